"""Aiken question files: the question, lines "A. …", then "ANSWER: B"."""

from __future__ import annotations

import re

from flask_babel import gettext as _

from contests.quiz.formats.drafts import Draft
from contests.quiz.models import QuestionKind
from core.spreadsheets import Report

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
