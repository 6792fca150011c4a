"""Plain text as students type it: cleaned, counted in words, split in paragraphs."""

from __future__ import annotations

import re

from core.text import clean_text

__all__ = ["clean_text", "count_words"]

_WORD = re.compile(r"\S+")


def count_words(text: str) -> int:
    """Count words the way Vietnamese contests do: every syllable between spaces."""
    return len(_WORD.findall(text or ""))


def paragraphs(text: str) -> list[str]:
    """Split plain text into paragraphs for display (templates escape each one)."""
    return [p.strip() for p in re.split(r"\n\s*\n|\n", text or "") if p.strip()]
