"""Measure an uploaded sheet before a cell is read: hostile until measured.

An .xlsx has its zip's uncompressed size capped and every worksheet's extent (the declared
``<dimension ref>``, the cell and row references, and the count of cells per row when references
are left out) checked against ``MAX_ROWS`` × ``MAX_COLUMNS``; a .csv has its rows, columns and
longest cell measured with the standard csv reader. A tiny file naming cell XFD1048576 would
otherwise make the reader allocate the whole range.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile

from flask_babel import gettext as _

from core.spreadsheets.report import Report

#: Largest sheet read: rows (headers included), columns, and cells in the declared extent.
MAX_ROWS = 100_000
MAX_COLUMNS = 256
MAX_CELLS = 5_000_000
#: Largest total uncompressed size of an .xlsx archive's members.
MAX_XLSX_UNCOMPRESSED = 64 * 1024 * 1024
#: Longest text in one CSV cell.
MAX_CSV_FIELD = 131_072


class TooLarge(Exception):
    """The sheet's extent is over the limits (raised before any cell is read)."""


def too_large(report: Report) -> None:
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
_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")


def _column_number(letters: bytes | str) -> int:
    number = 0
    for char in letters.upper() if isinstance(letters, str) else letters.decode().upper():
        number = number * 26 + ord(char) - 64
    return number


def _check_extent(rows: int, columns: int) -> None:
    if rows > MAX_ROWS or columns > MAX_COLUMNS or rows * columns > MAX_CELLS:
        raise TooLarge


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
        raise TooLarge
    rows = max((int(number) for number in digits), default=0)
    letters = {letter for letter, _ in refs if letter}
    if any(len(letter) > 3 for letter in letters):
        raise TooLarge
    columns = max((_column_number(letter) for letter in letters), default=0)
    _check_extent(rows, columns)
    if _cell_count(xml) > sum(1 for letter, _ in refs if letter):
        # Rows and cells written without references sit one after the other: count them.
        starts = [m.start() for m in _ROW_START.finditer(xml)]
        rows = max(rows, len(starts))
        for begin, end in zip(starts, [*starts[1:], len(xml)], strict=True):
            columns = max(columns, sum(1 for _ in _CELL_START.finditer(xml, begin, end)))
            if columns > MAX_COLUMNS:
                raise TooLarge
        _check_extent(rows, columns)


def check_xlsx(data: bytes) -> None:
    """Measure an .xlsx archive without reading a cell; raise TooLarge if it is oversize."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError):
        return  # calamine reports the file as not a workbook
    with archive:
        members = archive.infolist()
        if sum(member.file_size for member in members) > MAX_XLSX_UNCOMPRESSED:
            raise TooLarge
        for member in members:
            name = member.filename.lower()
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                with archive.open(member) as stream:
                    # The header first: a declared oversize range is refused unread.
                    head = stream.read(4096)
                    _check_dimension(head)
                    # ZipExtFile stops at the declared size, capped above.
                    _check_sheet(head + stream.read())


class LongField(Exception):
    """A CSV cell is longer than MAX_CSV_FIELD."""


def measure_csv(text: str, dialect) -> int:
    """Return the widest row's width; raise TooLarge or LongField for oversize files."""
    width = 0
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        for rows, row in enumerate(reader, start=1):
            width = max(width, len(row))
            if any(len(cell) > MAX_CSV_FIELD for cell in row):
                raise LongField
            _check_extent(rows, width)
    except csv.Error as error:
        # The csv module's own cap (131,072 characters by default) stops a longer cell first.
        if "field limit" in str(error):
            raise LongField from error
        raise
    return max(width, 1)
