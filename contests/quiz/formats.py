"""Question bank files: the .xlsx template (Vietnamese headers), Aiken and GIFT.

Every import is all or nothing: each question is checked first, problems are reported per row
(or per line for text formats), and nothing is written unless the whole file is clean.

Past ~400 lines for now: the three readers share one parsed-question model and one validation
and storing pass, which is most of the module. Splitting each reader into its own module
(formats/xlsx.py, aiken.py, gift.py around a shared core) is the next step of the renovation
(issue 12 note).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from contests.quiz import keys, services
from contests.quiz.categories import category_code
from contests.quiz.models import Pool, Question, QuestionCategory, QuestionKind
from core import audit
from core.errors import ValidationFailed
from core.extensions import db
from core.spreadsheets import (
    ImportRejected,
    Report,
    clean_text,
    parse_date,
    read_table,
    workbook_bytes,
)

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


def _check(draft: Draft, report: Report) -> None:
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


def _check_pools(drafts: list[Draft], pool: Pool, report: Report) -> None:
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


def _write(
    *, actor, drafts: list[Draft], category_id: int | None, pool: Pool, report: Report
) -> Report:
    if report.errors:
        raise ImportRejected(report)
    categories: dict[str, QuestionCategory] = {}
    created_categories = 0
    for draft in drafts:
        if category_id and not draft.category:
            target = category_id
        else:
            name = draft.category
            if name not in categories:
                found = services.category_by_name_or_code(name)
                if found is None:
                    found = QuestionCategory(code=category_code(name), name=name)
                    db.session.add(found)
                    db.session.flush()
                    created_categories += 1
                categories[name] = found
            target = categories[name].id
        services.save_question(
            actor=actor,
            question=None,
            category_id=target,
            kind=draft.kind,
            text=draft.text,
            choices=draft.choices,
            explanation=draft.explanation,
            difficulty=draft.difficulty,
            source=draft.source,
            valid_from=draft.valid_from,
            valid_to=draft.valid_to,
            pool=draft.pool or pool,
            audit_it=False,
        )
    report.counts = {"questions": len(drafts), "categories": created_categories}
    audit.record(
        actor=actor,
        action="quiz.questions_import",
        object_type="quiz_question",
        after=report.counts,
    )
    return report


# --- xlsx ---------------------------------------------------------------------------------------


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
    from sqlalchemy.orm import selectinload

    questions = db.session.scalars(
        sa.select(Question)
        .where(Question.retired_at.is_(None))
        .options(selectinload(Question.choices), selectinload(Question.category))
        .order_by(Question.category_id, Question.id)
    )
    return workbook_bytes(
        [("Câu hỏi", list(COLUMNS.values()), [_question_row(q) for q in questions])]
    )


# --- Aiken --------------------------------------------------------------------------------------

AIKEN_CHOICE = re.compile(r"^([A-Z])[.)]\s+(.*)$")
AIKEN_ANSWER = re.compile(r"^ANSWER:\s*([A-Z])\s*$", re.IGNORECASE)


def read_aiken(text: str, report: Report) -> list[Draft]:
    """Aiken: the question, lines "A. …", then "ANSWER: B"; questions separated by blank lines."""
    drafts = []
    lines = text.splitlines()
    block: list[tuple[int, str]] = []
    for number, line in enumerate([*lines, ""], start=1):
        if line.strip():
            block.append((number, line.strip()))
            continue
        if not block:
            continue
        start = block[0][0]
        stem, choices, answer, problems = [], [], None, []
        for line_no, content in block:
            if (m := AIKEN_ANSWER.match(content)) is not None:
                answer = m.group(1).upper()
            elif (m := AIKEN_CHOICE.match(content)) is not None and (choices or stem):
                choices.append((m.group(1), m.group(2)))
            elif choices:
                problems.append(
                    (None, _("Line %(n)d is not a choice or an ANSWER line.", n=line_no))
                )
            else:
                stem.append(content)
        if answer is None:
            problems.append((None, _("The ANSWER line is missing.")))
        elif answer not in [letter for letter, _t in choices]:
            problems.append((None, _("The ANSWER letter is not one of the choices.")))
        drafts.append(
            Draft(
                row=start,
                category="",
                kind=QuestionKind.SINGLE,
                text=" ".join(stem),
                choices=[(t, letter == answer) for letter, t in choices],
                problems=problems,
            )
        )
        block = []
    if not drafts:
        report.add(None, None, _("The file is empty."))
    return drafts


# --- GIFT ---------------------------------------------------------------------------------------

GIFT_TITLE = re.compile(r"^::(.*?)::")


def _gift_unescape(value: str) -> str:
    return re.sub(r"\\([~=#{}:])", r"\1", value).strip()


def _gift_split(body: str) -> list[str]:
    """Split the answer block on unescaped = and ~ (each keeps its marker)."""
    parts, current, escaped = [], "", False
    for char in body:
        if escaped:
            current += "\\" + char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in "=~":
            if current.strip():
                parts.append(current)
            current = char
        else:
            current += char
    if current.strip():
        parts.append(current)
    return parts


def read_gift(text: str, report: Report) -> list[Draft]:
    """GIFT (subset): single "=right ~wrong", multiple "~%50%right ~%-50%wrong", and {T}/{F}."""
    drafts = []
    category = ""
    chunk: list[tuple[int, str]] = []
    lines = text.splitlines()
    for number, raw in enumerate([*lines, ""], start=1):
        line = raw.strip()
        if line.startswith("//"):
            continue
        if line.startswith("$CATEGORY:"):
            category = line.split(":", 1)[1].strip().split("/")[-1]
            continue
        if line:
            chunk.append((number, line))
            continue
        if not chunk:
            continue
        start = chunk[0][0]
        whole = " ".join(content for _n, content in chunk)
        chunk = []
        whole = GIFT_TITLE.sub("", whole).strip()
        match = re.search(r"(?<!\\)\{(.*?)(?<!\\)\}", whole, re.S)
        if match is None:
            drafts.append(
                Draft(
                    row=start,
                    category=category,
                    kind=QuestionKind.SINGLE,
                    text=whole,
                    choices=[],
                    problems=[(None, _("The answers in braces { } are missing."))],
                )
            )
            continue
        stem = _gift_unescape((whole[: match.start()] + " " + whole[match.end() :]).strip())
        body = match.group(1).strip()
        if body.upper() in ("T", "TRUE", "F", "FALSE"):
            truth = body.upper().startswith("T")
            drafts.append(
                Draft(
                    row=start,
                    category=category,
                    kind=QuestionKind.TRUEFALSE,
                    text=stem,
                    choices=[("Đúng", truth), ("Sai", not truth)],
                )
            )
            continue
        choices, weighted = [], False
        for part in _gift_split(body):
            marker, rest = part[0], part[1:]
            rest = rest.split("#", 1)[0]
            weight = None
            if (m := re.match(r"^%(-?\d+(?:\.\d+)?)%", rest)) is not None:
                weight = float(m.group(1))
                rest = rest[m.end() :]
                weighted = True
            right = marker == "=" or (weight is not None and weight > 0)
            choices.append((_gift_unescape(rest), right))
        right_count = sum(1 for _t, c in choices if c)
        kind = QuestionKind.MULTIPLE if weighted or right_count > 1 else QuestionKind.SINGLE
        drafts.append(Draft(row=start, category=category, kind=kind, text=stem, choices=choices))
    if not drafts:
        report.add(None, None, _("The file is empty."))
    return drafts


def import_questions(
    *,
    actor,
    data: bytes,
    filename: str,
    fmt: str,
    category_id: int | None = None,
    pool: str = Pool.CONTEST,
) -> Report:
    """Read a question file and write every question, or none (raises ImportRejected)."""
    report = Report()
    if fmt == "xlsx":
        drafts = read_xlsx(data, filename, report)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            report.add(
                None,
                None,
                _("The file's text encoding cannot be read. Save it as UTF-8 and try again."),
            )
            raise ImportRejected(report) from None
        drafts = read_aiken(text, report) if fmt == "aiken" else read_gift(text, report)
        for draft in drafts:
            if not draft.category and not category_id:
                draft.problems.append((None, _("Choose a category for this file.")))
    for draft in drafts:
        _check(draft, report)
    _check_pools(drafts, Pool(pool), report)
    if not drafts and not report.errors:
        report.add(None, None, _("The file is empty."))
    return _write(
        actor=actor, drafts=drafts, category_id=category_id, pool=Pool(pool), report=report
    )
