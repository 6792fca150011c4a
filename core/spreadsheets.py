"""Spreadsheets in and out: read .xlsx/.csv into checked rows, report problems per row.

Reading goes through pandas (``read_excel`` with the calamine engine, ``read_csv``) with every
cell kept as the file has it: the domain checks each value and reports problems per row.

Uploaded sheets are hostile until measured: before pandas reads a cell, an .xlsx has its zip's
uncompressed size capped and every worksheet's extent (the declared ``<dimension ref>``, the
cell and row references, and the count of cells per row when references are left out) checked
against ``MAX_ROWS`` × ``MAX_COLUMNS``; a .csv has its rows, columns and longest cell measured
with the standard csv reader. A tiny file naming cell XFD1048576 would otherwise make the reader
allocate the whole range.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from flask_babel import gettext as _

from core.errors import ValidationFailed

if TYPE_CHECKING:
    import pandas as pd
# pandas, openpyxl and calamine are imported where a sheet is read or written (an import or an
# export now and then), not when the application starts: ~40 MB that every gunicorn process
# would otherwise map (issue 11, memory).

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: Largest sheet read: rows (headers included), columns, and cells in the declared extent.
MAX_ROWS = 100_000
MAX_COLUMNS = 256
MAX_CELLS = 5_000_000
#: Largest total uncompressed size of an .xlsx archive's members.
MAX_XLSX_UNCOMPRESSED = 64 * 1024 * 1024
#: Longest text in one CSV cell.
MAX_CSV_FIELD = 131_072


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


class _TooLarge(Exception):
    """The sheet's extent is over the limits (raised before any cell is read)."""


def _too_large(report: Report) -> None:
    report.add(
        None,
        None,
        _(
            "The spreadsheet is too large: at most %(rows)d rows and %(columns)d columns can be"
            " imported.",
            rows=MAX_ROWS,
            columns=MAX_COLUMNS,
        ),
    )


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*?\bref=\"([^\"]*)\"")
#: Cell (``r="AB12"``) and row (``r="12"``) references; the leading literal keeps the scan fast.
_ANY_REF = re.compile(rb' r="([A-Za-z]*)([0-9]+)"')
_ROW_START = re.compile(rb"<(?:\w+:)?row\b")
_CELL_START = re.compile(rb"<(?:\w+:)?c\b")
_REF = re.compile(rb"<(?:\w+:)?c\b[^>]*?\br=\"([A-Za-z]+)([0-9]+)\"")
_ROW_REF = re.compile(rb"<(?:\w+:)?row\b[^>]*?\br=\"([0-9]+)\"")
_ROW_START = re.compile(rb"<(?:\w+:)?row\b")
_CELL_START = re.compile(rb"<(?:\w+:)?c\b")
_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")


def _column_number(letters: bytes | str) -> int:
    number = 0
    for char in letters.upper() if isinstance(letters, str) else letters.decode().upper():
        number = number * 26 + ord(char) - 64
    return number


def _check_extent(rows: int, columns: int) -> None:
    if rows > MAX_ROWS or columns > MAX_COLUMNS or rows * columns > MAX_CELLS:
        raise _TooLarge


def _check_dimension(head: bytes) -> None:
    """The extent the sheet declares in its header (``<dimension ref="A1:XFD1048576"/>``)."""
    match = _DIMENSION.search(head)
    if match is None:
        return
    corners = [
        _REF.match(part.strip()) for part in match.group(1).decode("ascii", "replace").split(":")
    ]
    if not all(corners):
        return
    rows = [int(corner.group(2)) for corner in corners]
    columns = [_column_number(corner.group(1)) for corner in corners]
    _check_extent(max(rows), max(columns))


def _cell_count(xml: bytes) -> int:
    """Opening cell tags (an overcount, e.g. prefixed closing tags, only costs time)."""
    # Prefixed tags (<x:c>) are counted only in a sheet where they may be.
    befores = (b"<", b":") if b":c" in xml else (b"<",)
    return sum(
        xml.count(before + b"c" + after) for before in befores for after in (b" ", b"/", b">")
    )


def _check_sheet(xml: bytes) -> None:
    """The extent the sheet's cells really reach, whatever its header says."""
    _check_dimension(xml[:4096])
    refs = _ANY_REF.findall(xml)
    digits = {number for _, number in refs}
    if any(len(number) > 7 for number in digits):
        raise _TooLarge
    rows = max((int(number) for number in digits), default=0)
    letters = {letter for letter, _ in refs if letter}
    if any(len(letter) > 3 for letter in letters):
        raise _TooLarge
    columns = max((_column_number(letter) for letter in letters), default=0)
    _check_extent(rows, columns)
    if _cell_count(xml) > sum(1 for letter, _ in refs if letter):
        # Rows and cells written without references sit one after the other: count them.
        starts = [m.start() for m in _ROW_START.finditer(xml)]
        rows = max(rows, len(starts))
        for begin, end in zip(starts, [*starts[1:], len(xml)], strict=True):
            columns = max(columns, sum(1 for _ in _CELL_START.finditer(xml, begin, end)))
            if columns > MAX_COLUMNS:
                raise _TooLarge
        _check_extent(rows, columns)


def _check_xlsx(data: bytes) -> None:
    """Measure an .xlsx archive without reading a cell; raise _TooLarge if it is oversize."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError):
        return  # calamine reports the file as not a workbook
    with archive:
        members = archive.infolist()
        if sum(member.file_size for member in members) > MAX_XLSX_UNCOMPRESSED:
            raise _TooLarge
        for member in members:
            name = member.filename.lower()
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                with archive.open(member) as stream:
                    # The header first: a declared oversize range is refused unread.
                    head = stream.read(4096)
                    _check_dimension(head)
                    # ZipExtFile stops at the declared size, capped above.
                    _check_sheet(head + stream.read())


def _xlsx_frame(data: bytes, report: Report) -> pd.DataFrame | None:
    import pandas as pd
    from python_calamine import CalamineError

    try:
        _check_xlsx(data)
    except _TooLarge:
        _too_large(report)
        return None
    # zipfile raises NotImplementedError for a compression method it cannot read and
    # RuntimeError for an encrypted member: both are files we cannot open, not missing code.
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError):
        report.add(None, None, _("The file is not a valid .xlsx workbook."))
        return None
    # calamine (Rust) reads a large sheet far faster than openpyxl (bench/roster_import times it).
    try:
        return pd.read_excel(io.BytesIO(data), sheet_name=0, engine="calamine", **_AS_WRITTEN)
    except (CalamineError, ValueError, OSError, IndexError):
        report.add(None, None, _("The file is not a valid .xlsx workbook."))
        return None


def _csv_frame(data: bytes, report: Report) -> pd.DataFrame | None:
    import pandas as pd

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
    # The csv reader measures rows, columns and cells before pandas builds the frame.
    try:
        width = _measure_csv(text, dialect)
    except _TooLarge:
        _too_large(report)
        return None
    except _LongField:
        report.add(
            None,
            None,
            _("A cell of the file is longer than %(n)d characters.", n=MAX_CSV_FIELD),
        )
        return None
    except csv.Error:
        report.add(None, None, _("The file is not a text CSV file."))
        return None
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


class _LongField(Exception):
    """A CSV cell is longer than MAX_CSV_FIELD."""


def _measure_csv(text: str, dialect) -> int:
    """Return the widest row's width; raise _TooLarge or _LongField for oversize files."""
    width = 0
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        for rows, row in enumerate(reader, start=1):
            width = max(width, len(row))
            if any(len(cell) > MAX_CSV_FIELD for cell in row):
                raise _LongField
            _check_extent(rows, width)
    except csv.Error as error:
        # The csv module's own cap (131,072 characters by default) stops a longer cell first.
        if "field limit" in str(error):
            raise _LongField from error
        raise
    return max(width, 1)


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


#: The header row's fill (openpyxl's PatternFill("solid", fgColor=…)).
HEADER_FILL_COLOR = "DDEEDD"


def _keep_text(cells) -> None:
    """Text is data, never a formula: openpyxl would make "=…" a formula cell."""
    for cell in cells:
        if cell.data_type == "f":
            cell.data_type = "s"


def workbook_bytes(sheets: list[tuple[str, list[str], Iterable[Iterable[Any]]]]) -> bytes:
    """Build an .xlsx file from (title, headers, rows) triples, with bold, filled headers.

    Every text cell stays text: a name or answer starting with "=" is written as a string.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    workbook = Workbook(write_only=False)
    workbook.remove(workbook.active)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title=str(title)[:31])
        sheet.append([str(h) for h in headers])
        _keep_text(sheet[1])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor=HEADER_FILL_COLOR)
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
