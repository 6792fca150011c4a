"""The .xlsx question file: the template people fill in (Vietnamese headers), its reader and the export.

The headers and the words in the cells ("một đáp án", "thi") are data, the file's own language,
so they are not translated; an export imports back unchanged.
"""

from __future__ import annotations

import io
import re

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from contests.quiz.formats.drafts import COLUMNS, LETTERS, Draft
from contests.quiz.models import Pool, Question, QuestionKind
from core.extensions import db
from core.spreadsheets import Report, clean_text, parse_date, read_table, workbook_bytes

REQUIRED = ("category", "kind", "text", "answer")
KIND_NAMES = {
    "một đáp án": QuestionKind.SINGLE,
    "single": QuestionKind.SINGLE,
    "nhiều đáp án": QuestionKind.MULTIPLE,
    "multiple": QuestionKind.MULTIPLE,
    "đúng/sai": QuestionKind.TRUEFALSE,
    "đúng sai": QuestionKind.TRUEFALSE,
    "truefalse": QuestionKind.TRUEFALSE,
}
KIND_WRITTEN = {
    QuestionKind.SINGLE: "một đáp án",
    QuestionKind.MULTIPLE: "nhiều đáp án",
    QuestionKind.TRUEFALSE: "đúng/sai",
}
POOL_NAMES = {
    "": None,
    "thi": Pool.CONTEST,
    "contest": Pool.CONTEST,
    "luyện tập": Pool.PRACTICE,
    "practice": Pool.PRACTICE,
}
POOL_WRITTEN = {Pool.CONTEST: "thi", Pool.PRACTICE: "luyện tập"}


def read_xlsx(data: bytes, filename: str, report: Report) -> list[Draft]:
    table = read_table(io.BytesIO(data), filename, COLUMNS, REQUIRED, report)
    if table is None:
        return []
    drafts = []
    for row, values in table.rows:
        problems: list[tuple[str | None, str]] = []
        kind_text = clean_text(values.get("kind")).casefold()
        kind = KIND_NAMES.get(kind_text)
        if kind is None:
            problems.append(
                (COLUMNS["kind"], _("Unknown question type: %(value)s.", value=kind_text))
            )
            kind = QuestionKind.SINGLE
        texts = [clean_text(values.get(f"choice_{letter}")) for letter in LETTERS]
        answer = {
            a.strip().upper()
            for a in re.split(r"[,;\s]+", clean_text(values.get("answer")))
            if a.strip()
        }
        if kind == QuestionKind.TRUEFALSE and not any(texts):
            texts = ["Đúng", "Sai", "", "", "", ""]
            answer = {
                "A" if a in ("ĐÚNG", "A", "TRUE") else "B" if a in ("SAI", "B", "FALSE") else a
                for a in answer
            }
        while texts and not texts[-1]:
            texts.pop()
        if not answer or any(a not in LETTERS[: len(texts)] for a in answer):
            problems.append(
                (
                    COLUMNS["answer"],
                    _("The right answer must be one or more of the choice letters given."),
                )
            )
        choices = [(t, LETTERS[i] in answer) for i, t in enumerate(texts)]
        difficulty_text = clean_text(values.get("difficulty")) or "2"
        difficulty = int(difficulty_text) if difficulty_text.isdigit() else 0
        dates = {}
        for key in ("valid_from", "valid_to"):
            raw = values.get(key)
            dates[key] = parse_date(raw) if clean_text(raw) else None
            if clean_text(raw) and dates[key] is None:
                problems.append((COLUMNS[key], _("Write the date as dd/mm/yyyy.")))
        pool_text = clean_text(values.get("pool")).casefold()
        if pool_text not in POOL_NAMES:
            problems.append((COLUMNS["pool"], _('The pool is "thi" or "luyện tập".')))
        category = clean_text(values.get("category"))
        if not category:
            problems.append((COLUMNS["category"], _("The category is missing.")))
        drafts.append(
            Draft(
                row=row,
                category=category,
                kind=kind,
                text=clean_text(values.get("text")),
                choices=choices,
                explanation=clean_text(values.get("explanation")),
                difficulty=difficulty,
                source=clean_text(values.get("source")),
                valid_from=dates["valid_from"],
                valid_to=dates["valid_to"],
                pool=POOL_NAMES.get(pool_text),
                problems=problems,
            )
        )
    return drafts


def _question_row(q: Question) -> list:
    letters = [c for c in q.choices]
    cells = [c.text for c in letters] + [""] * (len(LETTERS) - len(letters))
    return [
        q.category.name,
        KIND_WRITTEN[q.kind],
        q.text,
        *cells[: len(LETTERS)],
        ", ".join(LETTERS[i] for i, c in enumerate(letters) if c.correct and i < len(LETTERS)),
        q.explanation,
        q.difficulty,
        q.source,
        q.valid_from.strftime("%d/%m/%Y") if q.valid_from else "",
        q.valid_to.strftime("%d/%m/%Y") if q.valid_to else "",
        POOL_WRITTEN[q.pool],
    ]


def template_bytes() -> bytes:
    """An .xlsx template with the headers and two example rows."""
    examples = [
        [
            "Quyền trẻ em và bảo vệ trẻ em trên mạng",
            "một đáp án",
            "Theo Luật Trẻ em năm 2016, trẻ em là người dưới bao nhiêu tuổi?",
            "16 tuổi",
            "18 tuổi",
            "15 tuổi",
            "14 tuổi",
            "",
            "",
            "A",
            "Điều 1 Luật Trẻ em năm 2016: trẻ em là người dưới 16 tuổi.",
            1,
            "Luật Trẻ em 102/2016/QH13, Điều 1",
            "",
            "",
            "thi",
        ],
        [
            "Quyền trẻ em và bảo vệ trẻ em trên mạng",
            "đúng/sai",
            "Tổng đài 111 hoạt động 24/7 và miễn phí.",
            "Đúng",
            "Sai",
            "",
            "",
            "",
            "",
            "A",
            "Tổng đài quốc gia bảo vệ trẻ em 111 hoạt động 24/7, miễn phí.",
            1,
            "Tổng đài 111",
            "",
            "",
            "luyện tập",
        ],
    ]
    return workbook_bytes([("Câu hỏi", list(COLUMNS.values()), examples)])


def export_bytes() -> bytes:
    """Every active question, in the template's layout (it imports back unchanged)."""
    questions = db.session.scalars(
        sa.select(Question)
        .where(Question.retired_at.is_(None))
        .options(selectinload(Question.choices), selectinload(Question.category))
        .order_by(Question.category_id, Question.id)
    )
    return workbook_bytes(
        [("Câu hỏi", list(COLUMNS.values()), [_question_row(q) for q in questions])]
    )
