"""Read an .xlsx or .csv into checked rows keyed by canonical column names.

Reading goes through pandas (``read_excel`` with the calamine engine, ``read_csv``) with every
cell kept as the file has it: the domain checks each value and reports problems per row. Every
file is measured first (`limits`).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from flask_babel import gettext as _

from core.spreadsheets.limits import (
    MAX_CSV_FIELD,
    LongField,
    TooLarge,
    check_xlsx,
    measure_csv,
    too_large,
)
from core.spreadsheets.report import Report, normalize_header

if TYPE_CHECKING:
    import pandas as pd

# pandas and calamine are imported where a sheet is read (an import now and then), not when
# the application starts: memory every gunicorn process would otherwise map (issue 11).


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
    import pandas as pd
    from python_calamine import CalamineError

    try:
        check_xlsx(data)
    except TooLarge:
        too_large(report)
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
        width = measure_csv(text, dialect)
    except TooLarge:
        too_large(report)
        return None
    except LongField:
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
