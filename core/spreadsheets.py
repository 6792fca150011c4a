"""Spreadsheets in and out: read .xlsx/.csv into checked rows, report problems per row.

Reading goes through pandas (``read_excel`` with the calamine engine, ``read_csv``) with every
cell kept as the file has it: the domain checks each value and reports problems per row.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import pandas as pd
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from python_calamine import CalamineError

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
        frame = _xlsx_frame(data, report)
    elif suffix == ".csv":
        frame = _csv_frame(data, report)
    else:
        report.add(None, None, _("Only .xlsx or .csv files can be imported."))
        return None
    if frame is None:
        return None
    if frame.empty:
        report.add(None, None, _("The file is empty."))
        return None
    # Positional labels: frame.index + 1 is the row number the spreadsheet shows.
    frame = frame.set_axis(range(frame.shape[1]), axis="columns").reset_index(drop=True)
    wanted = {normalize_header(label): key for key, label in columns.items()}
    positions: dict[str, int] = {}
    for index, header in enumerate(frame.iloc[0]):
        key = wanted.get(normalize_header(header))
        if key is not None and key not in positions:
            positions[key] = index
    missing = [columns[key] for key in required if key not in positions]
    if missing:
        report.add(
            1,
            None,
            _("Missing column(s): %(columns)s.", columns=", ".join(missing)),
        )
        return None
    body = frame.iloc[1:, list(positions.values())]
    keys = list(positions)
    # Row by row from plain lists: a dict per row, and blank rows (every wanted cell empty or
    # whitespace) left out, in one pass.
    cells = [body[column].tolist() for column in body.columns]
    rows = [
        (number, dict(zip(keys, values, strict=True)))
        for number, *values in zip((body.index + 1).tolist(), *cells, strict=True)
        if not all(_blank(value) for value in values)
    ]
    if not rows:
        report.add(None, None, _("The file has headers but no rows."))
        return None
    return Table(rows=rows, columns=columns)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_bytes(stream) -> bytes:
    if isinstance(stream, str):
        return Path(stream).read_bytes()
    data = stream.read()
    return data if isinstance(data, bytes) else data.encode()


#: Every cell as the file has it: no header row, no type guessing, no "NA"/"null" → missing.
_AS_WRITTEN = {"header": None, "dtype": object, "keep_default_na": False, "na_filter": False}


def _xlsx_frame(data: bytes, report: Report) -> pd.DataFrame | None:
    # calamine (Rust) reads a large sheet far faster than openpyxl (bench/roster_import times it).
    try:
        return pd.read_excel(io.BytesIO(data), sheet_name=0, engine="calamine", **_AS_WRITTEN)
    except (CalamineError, ValueError, OSError, IndexError):
        report.add(None, None, _("The file is not a valid .xlsx workbook."))
        return None


def _csv_frame(data: bytes, report: Report) -> pd.DataFrame | None:
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
    if not text.strip("\r\n"):
        return pd.DataFrame()
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    # Rows may be ragged (a row longer than the header); name enough columns for the longest.
    width = max(line.count(dialect.delimiter) for line in text.splitlines()) + 1
    try:
        return pd.read_csv(
            io.StringIO(text),
            sep=dialect.delimiter,
            quotechar=dialect.quotechar or '"',
            doublequote=dialect.doublequote,
            escapechar=dialect.escapechar,
            skipinitialspace=dialect.skipinitialspace,
            names=range(width),
            skip_blank_lines=False,
            **_AS_WRITTEN | {"dtype": str},
        )
    except (pd.errors.ParserError, csv.Error):
        report.add(None, None, _("The file is not a text CSV file."))
        return None


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


def _keep_text(cells) -> None:
    """Text is data, never a formula: openpyxl would make "=…" a formula cell."""
    for cell in cells:
        if cell.data_type == "f":
            cell.data_type = "s"


def workbook_bytes(sheets: list[tuple[str, list[str], Iterable[Iterable[Any]]]]) -> bytes:
    """Build an .xlsx file from (title, headers, rows) triples, with bold, filled headers.

    Every text cell stays text: a name or answer starting with "=" is written as a string.
    """
    workbook = Workbook(write_only=False)
    workbook.remove(workbook.active)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title=str(title)[:31])
        sheet.append([str(h) for h in headers])
        _keep_text(sheet[1])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.fill = HEADER_FILL
        for row in rows:
            values = list(row)
            sheet.append(values)
            if any(isinstance(v, str) and v.startswith("=") for v in values):
                _keep_text(sheet[sheet.max_row])
        for index, header in enumerate(headers, start=1):
            letter = sheet.cell(row=1, column=index).column_letter
            sheet.column_dimensions[letter].width = max(12, len(str(header)) + 4)
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


#: Shown to people when a whole-file problem has no row.
