"""Static files: fingerprinted names, compressed copies, a year in the browser's cache.

`flask assets build` (run by `make run` and `make serve`) copies static/ into a build folder
under names that carry a hash of their content (``css/app.3f2a9c1e0b7d.css``), points the
``url(...)`` inside style sheets at those names, writes ``manifest.json`` (plain name →
fingerprinted name) and a gzip and a brotli copy of every file worth compressing.

At run time WhiteNoise serves that folder under /static/: the compressed copy the browser
accepts, and for a fingerprinted name ``Cache-Control: public, max-age=31536000, immutable``
(a changed file gets a new name, so a cached one never goes stale). ``url_for('static',
filename=...)`` gives the fingerprinted name through a ``url_defaults`` hook, so templates keep
writing plain names. Without a build (a fresh clone before ``make``), Flask serves static/ as
it always did and the pages still work.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
import shutil
from pathlib import Path, PurePosixPath

import click
from flask import Flask, current_app
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

from core.config import PROJECT_ROOT

#: Where the build goes unless STATIC_BUILD_DIR says otherwise (ignored by git).
DEFAULT_BUILD_DIR = PROJECT_ROOT / "build" / "static"
MANIFEST = "manifest.json"
#: A year: the longest lifetime HTTP caches are asked to honour.
YEAR = 365 * 24 * 60 * 60
IMMUTABLE = f"public, max-age={YEAR}, immutable"
#: Files under static/ that no page links to: the PDF fonts are read from disk by core.pdf.
SKIPPED = ("fonts/",)
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")


def fingerprinted(name: str, content: bytes) -> str:
    """Name a file after its content: css/app.css → css/app.<12 hex digits>.css."""
    digest = hashlib.sha256(content).hexdigest()[:12]
    path = PurePosixPath(name)
    return str(path.with_name(f"{path.stem}.{digest}{path.suffix}"))


def _rewrite_css(name: str, text: str, manifest: dict[str, str]) -> str:
    """Point each relative url(...) of a style sheet at the fingerprinted file."""
    folder = posixpath.dirname(name)

    def replace(match: re.Match) -> str:
        quote, target = match.group(1), match.group(2)
        if target.startswith(("data:", "http:", "https:", "/", "#")):
            return match.group(0)
        plain, _, rest = target.partition("?")
        hashed = manifest.get(posixpath.normpath(posixpath.join(folder, plain)))
        if hashed is None:
            return match.group(0)
        relative = posixpath.relpath(hashed, folder or ".")
        return f"url({quote}{relative}{'?' + rest if rest else ''}{quote})"

    return CSS_URL.sub(replace, text)


def build(source: Path, target: Path, *, compress: bool = True) -> dict[str, str]:
    """Write the fingerprinted, compressed copy of ``source`` into ``target``; return the manifest."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    files = sorted(
        p.relative_to(source).as_posix()
        for p in source.rglob("*")
        if p.is_file() and not p.relative_to(source).as_posix().startswith(SKIPPED)
    )
    manifest: dict[str, str] = {}
    # Style sheets last: their fingerprint covers the rewritten url()s of the files they name.
    for name in sorted(files, key=lambda n: n.endswith(".css")):
        content = (source / name).read_bytes()
        if name.endswith(".css"):
            content = _rewrite_css(name, content.decode("utf-8"), manifest).encode("utf-8")
        hashed = fingerprinted(name, content)
        for written in (name, hashed):
            (target / written).parent.mkdir(parents=True, exist_ok=True)
            (target / written).write_bytes(content)
        manifest[name] = hashed
    (target / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True), "utf-8")
    if compress:
        compressor = Compressor(quiet=True)
        for path in sorted(target.rglob("*")):
            if path.is_file() and path.name != MANIFEST and compressor.should_compress(path.name):
                list(compressor.compress(str(path)))
    return manifest


def build_dir(app: Flask) -> Path:
    return Path(app.config.get("STATIC_BUILD_DIR") or DEFAULT_BUILD_DIR)


def init_app(app: Flask) -> None:
    """Serve the build with WhiteNoise and hand out fingerprinted URLs, when there is a build."""
    app.cli.add_command(assets_cli)
    folder = build_dir(app)
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        return
    manifest: dict[str, str] = json.loads(manifest_path.read_text("utf-8"))
    hashed_urls = {f"/static/{name}" for name in manifest.values()}
    app.extensions["static_manifest"] = manifest

    def cache_forever(headers, path: str, url: str) -> None:
        if url in hashed_urls:
            headers["Cache-Control"] = IMMUTABLE

    app.wsgi_app = WhiteNoise(
        app.wsgi_app,
        root=str(folder),
        prefix="/static/",
        max_age=60,
        add_headers_function=cache_forever,
    )

    @app.url_defaults
    def _fingerprint(endpoint: str, values: dict) -> None:
        if endpoint == "static" and values.get("filename") in manifest:
            values["filename"] = manifest[values["filename"]]


@click.group("assets")
def assets_cli() -> None:
    """Static files for production."""


@assets_cli.command("build")
def build_command() -> None:
    """Fingerprint and compress static/ into the build folder WhiteNoise serves."""
    target = build_dir(current_app)
    manifest = build(Path(current_app.static_folder), target)
    click.echo(f"{len(manifest)} static files fingerprinted and compressed into {target}")
