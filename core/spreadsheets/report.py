"""What an import reports (problems per row, counts) and how a cell's value is read."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _

from core.errors import ValidationFailed


@dataclass(frozen=True)
class RowError:
    """One problem in one cell of an uploaded sheet (row numbers as the spreadsheet shows them)."""

    row: int | None
    column: str | None
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class Report:
    """The outcome of an all-or-nothing import: errors, or what was written."""

    errors: list[RowError] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, row: int | None, column: str | None, message: str) -> None:
        self.errors.append(RowError(row, column, str(message)))


class ImportRejected(ValidationFailed):
    """The file has problems; nothing was imported. ``report`` lists them."""

    def __init__(self, report: Report) -> None:
        super().__init__(
            _("The file has %(n)d problem(s); nothing was imported.", n=len(report.errors))
        )
        self.report = report


def normalize_header(value: Any) -> str:
    """Compare headers the way a person reads them: NFC, trimmed, case-folded, single spaces."""
    text = unicodedata.normalize("NFC", str(value or "")).strip()
    return " ".join(text.split()).casefold()


def clean_text(value: Any) -> str:
    """Return a cell as trimmed NFC text ('' for empty cells)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).strip()


DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d.%m.%Y", "%d/%m/%y")


def parse_date(value: Any) -> date | None:
    """Read a date cell: an Excel date, or text written day first (dd/mm/yyyy)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = clean_text(value)
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no zone
        except ValueError:
            continue
    return None
