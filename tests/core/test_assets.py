"""Static files: fingerprinted names, compressed answers, a year of caching, trimmed CSS, subset fonts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from core.assets import IMMUTABLE, build, fingerprinted
from core.config import PROJECT_ROOT
from tests.conftest import make_test_app

STATIC = PROJECT_ROOT / "static"
VIETNAMESE = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxy"
    "áàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
    "0123456789.,:;!?()–—…“”‘’₫%"
)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    target = tmp_path_factory.mktemp("assets") / "static"
    return target, build(STATIC, target)


@pytest.fixture(scope="module")
def served(built, tmp_path_factory):
    target, _ = built
    return make_test_app(
        "sqlite://", tmp_path_factory.mktemp("served"), STATIC_BUILD_DIR=str(target)
    )


def test_fingerprinted_name_changes_with_content():
    first = fingerprinted("css/app.css", b"a")

    assert re.fullmatch(r"css/app\.[0-9a-f]{12}\.css", first)
    assert fingerprinted("css/app.css", b"b") != first


def test_url_for_static_gives_fingerprinted_name(served, built):
    _, manifest = built

    with served.test_request_context():
        from flask import url_for

        assert url_for("static", filename="css/app.css") == "/static/" + manifest["css/app.css"]
        assert manifest["css/app.css"] != "css/app.css"


def test_fingerprinted_file_served_compressed_and_cached_a_year(served, built):
    _, manifest = built
    client = served.test_client()

    response = client.get(
        "/static/" + manifest["vendor/bootstrap/bootstrap.min.css"],
        headers={"Accept-Encoding": "gzip, br"},
    )

    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "br"
    assert response.headers["Cache-Control"] == IMMUTABLE == "public, max-age=31536000, immutable"
    assert response.headers["Vary"] == "Accept-Encoding"


def test_plain_name_is_served_with_a_short_cache(served):
    response = served.test_client().get("/static/js/app.js", headers={"Accept-Encoding": "gzip"})

    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Cache-Control"] == "max-age=60, public"


def test_pages_link_fingerprinted_files(served, built):
    _, manifest = built

    html = served.test_client().get("/login").get_data(as_text=True)

    assert f'href="/static/{manifest["vendor/bootstrap/bootstrap.min.css"]}"' in html
    assert f'src="/static/{manifest["js/app.js"]}" defer' in html
    assert "bootstrap.bundle" not in html.split("data-bootstrap=")[0]


def test_font_stylesheet_names_fingerprinted_fonts(built):
    target, manifest = built

    css = (target / manifest["vendor/be-vietnam-pro/fonts.css"]).read_text()

    assert "url(be-vietnam-pro-400.woff2)" not in css
    assert f"url({Path(manifest['vendor/be-vietnam-pro/be-vietnam-pro-400.woff2']).name})" in css


def test_without_build_flask_serves_plain_static_files(client):
    assert client.get("/static/css/app.css").status_code == 200
    assert client.get("/static/vendor/be-vietnam-pro/fonts.css").status_code == 200


def _selectors(css: str) -> list[set[str]]:
    """The classes of each selector of a style sheet (at-rule preludes skipped)."""
    css = re.sub(r"url\([^)]*\)", "", css)
    preludes = re.findall(r"([^{}]+)\{", css)
    return [
        set(re.findall(r"\.(-?[A-Za-z_][\w-]*)", selector))
        for prelude in preludes
        if not prelude.lstrip().startswith("@")
        for selector in prelude.split(",")
    ]


def test_trimmed_bootstrap_keeps_every_rule_the_pages_use():
    """A Bootstrap rule whose classes the templates or scripts name survives the purge.

    The trimmed file is committed; after using a new Bootstrap class, run `make css`.
    """
    full = _selectors((PROJECT_ROOT / "assets" / "bootstrap.min.css").read_text())
    kept = set().union(
        *_selectors((STATIC / "vendor" / "bootstrap" / "bootstrap.min.css").read_text())
    )
    sources = [
        *(PROJECT_ROOT / "templates").rglob("*.html"),
        *(STATIC / "js").rglob("*.js"),
        *(
            p
            for pkg in ("core", "contests", "campaign")
            for p in (PROJECT_ROOT / pkg).rglob("*.py")
        ),
    ]
    words = set()
    for source in sources:
        words |= set(re.findall(r"[A-Za-z0-9_-]+", source.read_text(encoding="utf-8")))
    used = set().union(*(classes for classes in full if classes and classes <= words))

    assert sorted(used - kept) == []
    assert len(kept) < len(set().union(*full)) / 2


@pytest.mark.parametrize("weight", [400, 600, 700])
def test_font_has_every_vietnamese_letter(weight):
    font = TTFont(STATIC / "vendor" / "be-vietnam-pro" / f"be-vietnam-pro-{weight}.woff2")
    cmap = font.getBestCmap()

    text = VIETNAMESE + VIETNAMESE.upper()
    assert [c for c in text if ord(c) not in cmap] == []
    assert (
        STATIC / "vendor" / "be-vietnam-pro" / f"be-vietnam-pro-{weight}.woff2"
    ).stat().st_size < 20_000
