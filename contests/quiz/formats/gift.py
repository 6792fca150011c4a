"""GIFT question files (Moodle's format), the subset a quiz bank needs."""

from __future__ import annotations

import re

from flask_babel import gettext as _

from contests.quiz.formats.drafts import Draft
from contests.quiz.models import QuestionKind
from core.spreadsheets import Report

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
