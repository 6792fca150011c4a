"""Vietnamese first: every template string is translatable and the vi catalogs are complete."""

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import i18n  # noqa: E402

JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
TRANS_BLOCK = re.compile(r"\{%-?\s*trans\b.*?%\}.*?\{%-?\s*endtrans\s*-?%\}", re.S)
TEXT_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "label"}
#: Text that is the same in every language (brand, numbers, symbols, other-language switch).
NEUTRAL = re.compile(
    r"^[\s\d#%×·–—/:.,|()+\-*&;!?…]*$|^(English|Tiếng Việt|Mạng Xanh|PDF|XLSX|CSV)$"
)


class TextFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        for name, value in attrs:
            if name in TEXT_ATTRIBUTES and value and not NEUTRAL.match(value.replace("\x00", "")):
                self.found.append(f"{tag}[{name}]={value!r}")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data):
        text = data.replace("\x00", "").strip()
        if not self.skip and text and not NEUTRAL.match(text) and re.search(r"[^\W\d_]", text):
            self.found.append(repr(text))


def untranslatable_text(source: str) -> list[str]:
    source = TRANS_BLOCK.sub("\x00", source)
    source = JINJA.sub("\x00", source)
    finder = TextFinder()
    finder.feed(source)
    return finder.found


TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_template_text_is_wrapped_for_translation(path):
    assert untranslatable_text(path.read_text()) == []


def test_the_check_catches_bare_text():
    assert untranslatable_text("<p>Hello {{ _('World') }}</p><img alt='Logo'>") == [
        "'Hello'",
        "img[alt]='Logo'",
    ]


@pytest.mark.parametrize("catalog", sorted(i18n.CATALOGS))
def test_vietnamese_catalog_is_complete(catalog):
    assert i18n.missing(catalog, "vi") == []


def test_catalogs_agree_on_every_shared_message():
    """Flask-Babel merges the catalogs and the last one wins: a message two packages share must
    read the same in both, or a page would show the other package's wording."""
    seen: dict[str, tuple[str, object]] = {}
    disagreements = []
    for catalog in sorted(i18n.CATALOGS):
        for message in i18n.load(catalog, "vi"):
            if not message.id:
                continue
            key = message.id if isinstance(message.id, str) else message.id[0]
            text = message.string if isinstance(message.string, str) else tuple(message.string)
            if key in seen and seen[key][1] != text:
                disagreements.append((key, seen[key], (catalog, text)))
            seen.setdefault(key, (catalog, text))

    assert disagreements == []


def test_every_source_file_belongs_to_a_catalog():
    covered = {path for catalog in i18n.CATALOGS for path in i18n.sources(catalog)}
    sources = [
        p
        for pattern in (
            "core/**/*.py",
            "contests/**/*.py",
            "campaign/**/*.py",
            "demo/**/*.py",
            "app.py",
            "templates/**/*.html",
        )
        for p in ROOT.glob(pattern)
    ]

    assert sorted(str(p.relative_to(ROOT)) for p in sources if p not in covered) == []


def test_english_is_selectable_and_remembered(client):
    assert "Đăng nhập" in client.get("/login").get_data(as_text=True)

    response = client.post("/lang/en", data={"next": "/login"})
    page = client.get("/login").get_data(as_text=True)

    assert response.status_code == 302 and response.location == "/login"
    assert "mx_lang=en" in response.headers["Set-Cookie"]
    assert "Sign in" in page and "Đăng nhập" not in page
    client.post("/lang/vi")
    assert "Đăng nhập" in client.get("/login").get_data(as_text=True)


def test_signed_in_users_language_is_saved_on_their_account(client, make, login, db):
    user = make.user()
    login(user)

    client.post("/lang/en")

    assert user.locale == "en"


def test_dates_are_shown_in_ho_chi_minh_time(app):
    from datetime import UTC, datetime

    with app.test_request_context():
        rendered = app.jinja_env.from_string("{{ value|datetime('HH:mm dd/MM/yyyy') }}").render(
            value=datetime(2026, 11, 30, 17, 30, tzinfo=UTC)
        )

    assert rendered == "00:30 01/12/2026"
