"""Spreadsheets in and out: read .xlsx/.csv into checked rows, report problems per row."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from python_calamine import CalamineError, CalamineWorkbook

from core.errors import ValidationFailed

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


@dataclass(frozen=True)
class Table:
    """Rows read from a sheet, keyed by canonical column names, with their sheet row numbers."""

    rows: list[tuple[int, dict[str, Any]]]
    columns: dict[str, str]  #: canonical name → header as written in the file


def read_table(
    stream: IO[bytes] | Path | str,
    filename: str,
    columns: dict[str, str],
    required: Iterable[str],
    report: Report,
) -> Table | None:
    """Read an .xlsx or .csv file whose first row holds the headers named in ``columns``.

    ``columns`` maps canonical keys to the header people see (e.g. "code": "Mã học sinh").
    Problems with the file as a whole are added to ``report`` and None is returned.
    """
    suffix = Path(filename or "").suffix.lower()
    data = stream.read_bytes() if isinstance(stream, Path) else _read_bytes(stream)
    if suffix == ".xlsx":
        raw_rows = _xlsx_rows(data, report)
    elif suffix == ".csv":
        raw_rows = _csv_rows(data, report)
    else:
        report.add(None, None, _("Only .xlsx or .csv files can be imported."))
        return None
    if raw_rows is None:
        return None
    if not raw_rows:
        report.add(None, None, _("The file is empty."))
        return None
    header_row = [normalize_header(h) for h in raw_rows[0]]
    wanted = {normalize_header(label): key for key, label in columns.items()}
    positions: dict[str, int] = {}
    for index, header in enumerate(header_row):
        if header in wanted and wanted[header] not in positions:
            positions[wanted[header]] = index
    missing = [columns[key] for key in required if key not in positions]
    if missing:
        report.add(
            1,
            None,
            _("Missing column(s): %(columns)s.", columns=", ".join(missing)),
        )
        return None
    rows = []
    for offset, raw in enumerate(raw_rows[1:], start=2):
        values = {key: (raw[i] if i < len(raw) else None) for key, i in positions.items()}
        if all(clean_text(v) == "" for v in values.values()):
            continue
        rows.append((offset, values))
    if not rows:
        report.add(None, None, _("The file has headers but no rows."))
        return None
    return Table(rows=rows, columns=columns)


def _read_bytes(stream) -> bytes:
    if isinstance(stream, str):
        return Path(stream).read_bytes()
    data = stream.read()
    return data if isinstance(data, bytes) else data.encode()


def _xlsx_rows(data: bytes, report: Report) -> list[list[Any]] | None:
    # calamine (Rust) reads a large sheet far faster than openpyxl (bench/roster_import times it).
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except (CalamineError, ValueError, OSError, IndexError):
        report.add(None, None, _("The file is not a valid .xlsx workbook."))
        return None


def _csv_rows(data: bytes, report: Report) -> list[list[Any]] | None:
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-16" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        break
    else:
        report.add(
            None,
            None,
            _("The file's text encoding cannot be read. Save it as CSV UTF-8 and try again."),
        )
        return None
    if "\x00" in text:
        report.add(None, None, _("The file is not a text CSV file."))
        return None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [row for row in csv.reader(io.StringIO(text), dialect)]


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


HEADER_FILL = PatternFill("solid", fgColor="DDEEDD")


def workbook_bytes(sheets: list[tuple[str, list[str], Iterable[Iterable[Any]]]]) -> bytes:
    """Build an .xlsx file from (title, headers, rows) triples, with bold, filled headers."""
    workbook = Workbook(write_only=False)
    workbook.remove(workbook.active)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title=str(title)[:31])
        sheet.append([str(h) for h in headers])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.fill = HEADER_FILL
        for row in rows:
            sheet.append(list(row))
        for index, header in enumerate(headers, start=1):
            letter = sheet.cell(row=1, column=index).column_letter
            sheet.column_dimensions[letter].width = max(12, len(str(header)) + 4)
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


#: Shown to people when a whole-file problem has no row.
