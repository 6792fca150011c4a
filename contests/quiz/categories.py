"""Question categories: the code a category gets from its name (used by the bank and imports)."""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa

from contests.quiz.models import QuestionCategory
from core.extensions import db


def category_code(name: str) -> str:
    """A unique ASCII code for a category name: "Quyền trẻ em" → "quyen_tre_em"."""
    text = name.replace("đ", "d").replace("Đ", "D")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")[:30] or "chu_de"
    code, n = base, 1
    while db.session.scalar(sa.select(QuestionCategory.id).where(QuestionCategory.code == code)):
        n += 1
        code = f"{base}_{n}"
    return code
