"""The question every reader produces, and the checks every import runs on it before writing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _

from contests.quiz import keys, services
from contests.quiz.models import Pool, QuestionKind
from core.errors import ValidationFailed
from core.spreadsheets import Report

LETTERS = "ABCDEF"
#: Spreadsheet headers are data (the file people fill in), written in Vietnamese.
COLUMNS = {
    "category": "Chủ đề",
    "kind": "Loại câu hỏi",
    "text": "Câu hỏi",
    **{f"choice_{letter}": f"Phương án {letter}" for letter in LETTERS},
    "answer": "Đáp án đúng",
    "explanation": "Giải thích",
    "difficulty": "Độ khó",
    "source": "Căn cứ pháp lý",
    "valid_from": "Hiệu lực từ",
    "valid_to": "Hiệu lực đến",
    "pool": "Ngân hàng",
}


@dataclass
class Draft:
    """A question read from a file, not yet written."""

    row: int
    category: str
    kind: QuestionKind
    text: str
    choices: list[tuple[str, bool]]
    explanation: str = ""
    difficulty: int = 2
    source: str = ""
    valid_from: date | None = None
    valid_to: date | None = None
    pool: Pool | None = None
    problems: list[tuple[str | None, str]] = field(default_factory=list)


def check(draft: Draft, report: Report) -> None:
    for column, message in draft.problems:
        report.add(draft.row, column, message)
    if draft.problems:
        return
    if not draft.text:
        report.add(draft.row, COLUMNS["text"], _("The question needs a text."))
        return
    try:
        services.check_question(
            draft.kind, draft.choices, draft.difficulty, draft.valid_from, draft.valid_to
        )
    except ValidationFailed as error:
        report.add(draft.row, None, error.message)


def check_pools(drafts: list[Draft], pool: Pool, report: Report) -> None:
    """Report every question whose text the other pool has, in the bank or earlier in the file."""
    seen: dict[str, tuple[Pool, int]] = {}
    for draft in drafts:
        if draft.problems or not draft.text:
            continue
        target = draft.pool or pool
        twin = keys.twin_in_other_pool(text=draft.text, pool=target)
        key = keys.text_key(draft.text)
        if twin is not None:
            report.add(draft.row, COLUMNS["text"], keys.shared_message(twin))
        elif key in seen and seen[key][0] != target:
            report.add(
                draft.row,
                COLUMNS["text"],
                _(
                    "The same question is at row %(row)d in the other pool: a practice question "
                    "may not repeat a contest question.",
                    row=seen[key][1],
                ),
            )
        seen.setdefault(key, (target, draft.row))
