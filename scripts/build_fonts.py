"""Subset Be Vietnam Pro to what Vietnamese and English pages print, one woff2 file per weight.

The fontsource files under assets/be-vietnam-pro/ split each weight into latin, latin-ext and
vietnamese pieces by unicode-range, and a Vietnamese page fetched all three for every weight
(the vowels with a breve or horn fall in two ranges). This merges the latin and vietnamese
pieces, keeps only Basic Latin, Latin-1, the Vietnamese letters, the combining marks they use,
general punctuation and the đồng sign, drops hinting (phones ignore it), and writes one file per
weight the pages use into static/vendor/be-vietnam-pro/ with the @font-face rules beside them.
The outputs are committed; run `make fonts` after changing the weights or the characters.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from fontTools import subset
from fontTools.merge import Merger
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "assets" / "be-vietnam-pro"
TARGET = ROOT / "static" / "vendor" / "be-vietnam-pro"
WEIGHTS = (400, 600, 700)
VIETNAMESE = [0x102, 0x103, 0x110, 0x111, 0x128, 0x129, 0x168, 0x169, 0x1A0, 0x1A1, 0x1AF, 0x1B0]
COMBINING = [0x300, 0x301, 0x303, 0x309, 0x323]
CODEPOINTS = sorted(
    {
        *range(0x20, 0x7F),
        *range(0xA0, 0x100),
        *VIETNAMESE,
        *COMBINING,
        *range(0x1EA0, 0x1EFA),
        *range(0x2010, 0x2027),
        0x2030,
        0x2039,
        0x203A,
        0x20AB,
        0x20AC,
        0x2122,
        0x2212,
    }
)


def unicode_range(codepoints: list[int]) -> str:
    """Write codepoints as a CSS unicode-range, runs collapsed (U+20-7E,U+A0-FF,…)."""
    runs: list[list[int]] = []
    for cp in codepoints:
        if runs and cp == runs[-1][1] + 1:
            runs[-1][1] = cp
        else:
            runs.append([cp, cp])
    return ",".join(f"U+{a:X}" if a == b else f"U+{a:X}-{b:X}" for a, b in runs)


def build_weight(weight: int, workdir: Path) -> Path:
    """Merge the latin and vietnamese pieces of one weight and subset them to one woff2."""
    pieces = []
    for piece in ("latin", "vietnamese"):
        font = TTFont(SOURCE / f"be-vietnam-pro-{piece}-{weight}-normal.woff2")
        font.flavor = None
        path = workdir / f"{piece}-{weight}.ttf"
        font.save(path)
        pieces.append(str(path))
    merged = workdir / f"merged-{weight}.ttf"
    Merger().merge(pieces).save(merged)

    options = subset.Options()
    options.flavor = "woff2"
    options.hinting = False
    options.desubroutinize = True
    options.layout_features = ["ccmp", "kern", "liga", "locl", "mark", "mkmk"]
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6]
    font = subset.load_font(str(merged), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=CODEPOINTS)
    subsetter.subset(font)
    target = TARGET / f"be-vietnam-pro-{weight}.woff2"
    subset.save_font(font, str(target), options)
    return target


def main() -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    rules = [
        "/* Be Vietnam Pro (SIL OFL 1.1) from @fontsource/be-vietnam-pro 5.2.8, subset to Latin and"
        " Vietnamese by scripts/build_fonts.py. */"
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for weight in WEIGHTS:
            target = build_weight(weight, Path(tmp))
            print(f"{target.relative_to(ROOT)}: {target.stat().st_size:,} bytes")
            rules.append(
                "@font-face { font-family: 'Be Vietnam Pro'; font-style: normal;"
                f" font-display: swap; font-weight: {weight};"
                f" src: url(be-vietnam-pro-{weight}.woff2) format('woff2');"
                f" unicode-range: {unicode_range(CODEPOINTS)}; }}"
            )
    (TARGET / "fonts.css").write_text("\n".join(rules) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
