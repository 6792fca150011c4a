"""Translation catalogs: one per package, so packages never edit each other's catalog.

    python scripts/i18n.py extract   # refresh every vi catalog from the sources
    python scripts/i18n.py compile   # build the .mo files Flask-Babel loads
    python scripts/i18n.py check     # list untranslated or fuzzy entries (exit 1 if any)

Messages are written in English in the code and templates; the Vietnamese catalog must be
complete, because Vietnamese is what users see by default.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ("vi",)
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
    "lazy_ngettext": (1, 2),
}

#: catalog name → the sources it covers (globs relative to the project root).
CATALOGS: dict[str, list[str]] = {
    "core": [
        "core/**/*.py",
        "contests/__init__.py",
        "demo/**/*.py",
        "app.py",
        "templates/*.html",
        "templates/errors/**/*.html",
        "templates/macros/**/*.html",
        "templates/core/**/*.html",
    ],
    "campaign": ["campaign/**/*.py", "templates/campaign/**/*.html"],
    "quiz": [
        "contests/quiz/**/*.py",
        "templates/contests/quiz/**/*.html",
    ],
    "essay": ["contests/essay/**/*.py", "templates/contests/essay/**/*.html"],
    "judging": ["contests/judging/**/*.py", "templates/contests/judging/**/*.html"],
}


def sources(catalog: str) -> list[Path]:
    found: set[Path] = set()
    for pattern in CATALOGS[catalog]:
        found.update(p for p in ROOT.glob(pattern) if p.is_file())
    return sorted(found)


def extract(catalog: str) -> Catalog:
    """Collect every translatable message in the catalog's sources."""
    template = Catalog(project="mangxanh", charset="utf-8")
    for path in sources(catalog):
        method = "python" if path.suffix == ".py" else "jinja2.ext:babel_extract"
        options = {} if path.suffix == ".py" else {"trimmed": "true"}
        for lineno, message, comments, context in extract_from_file(
            method, str(path), keywords=KEYWORDS, options=options
        ):
            template.add(
                message,
                locations=[(str(path.relative_to(ROOT)), lineno)],
                auto_comments=comments,
                context=context,
            )
    return template


def po_path(catalog: str, locale: str) -> Path:
    return ROOT / "translations" / catalog / locale / "LC_MESSAGES" / "messages.po"


def load(catalog: str, locale: str) -> Catalog:
    path = po_path(catalog, locale)
    if not path.exists():
        return Catalog(locale=locale, project="mangxanh", charset="utf-8")
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def save(catalog_obj: Catalog, catalog: str, locale: str) -> None:
    path = po_path(catalog, locale)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(
            f, catalog_obj, width=100, sort_output=True, ignore_obsolete=True, omit_header=False
        )


def cmd_extract() -> int:
    for catalog in CATALOGS:
        template = extract(catalog)
        for locale in LOCALES:
            existing = load(catalog, locale)
            existing.update(template, no_fuzzy_matching=True)
            save(existing, catalog, locale)
            print(f"{catalog}/{locale}: {len(template)} messages")
    return 0


def cmd_compile() -> int:
    for catalog in CATALOGS:
        for locale in LOCALES:
            path = po_path(catalog, locale)
            if not path.exists():
                continue
            with path.open("rb") as f:
                cat = read_po(f, locale=locale)
            with path.with_suffix(".mo").open("wb") as f:
                write_mo(f, cat, use_fuzzy=False)
    return 0


def missing(catalog: str, locale: str) -> list[str]:
    """Return the catalog's messages that are in the sources but not translated."""
    template = extract(catalog)
    translated = load(catalog, locale)
    gaps = []
    for message in template:
        if not message.id:
            continue
        entry = translated.get(message.id, context=message.context)
        strings = entry.string if entry is not None else None
        if isinstance(strings, tuple | list):
            ok = entry is not None and all(strings) and not entry.fuzzy
        else:
            ok = entry is not None and bool(strings) and not entry.fuzzy
        if not ok:
            gaps.append(message.id if isinstance(message.id, str) else message.id[0])
    return gaps


def cmd_check() -> int:
    total = 0
    for catalog in CATALOGS:
        for locale in LOCALES:
            gaps = missing(catalog, locale)
            total += len(gaps)
            for gap in gaps:
                print(f"{catalog}/{locale}: untranslated: {gap!r}")
    return 1 if total else 0


if __name__ == "__main__":
    commands = {"extract": cmd_extract, "compile": cmd_compile, "check": cmd_check}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        print(__doc__)
        sys.exit(2)
    sys.exit(commands[sys.argv[1]]())
