"""Spreadsheets in and out: read .xlsx/.csv into checked rows, report problems per row.

- `report`: the all-or-nothing import's report (`Report`, `ImportRejected`) and cell values
  (`clean_text`, `parse_date`, `normalize_header`);
- `limits`: an uploaded sheet is measured before any cell is read (size, extent, cell length);
- `reading`: `read_table`, through pandas (calamine for .xlsx), every cell as the file has it;
- `writing`: `workbook_bytes`, where text stays text, never a formula.
"""

from core.spreadsheets.limits import MAX_COLUMNS, MAX_ROWS
from core.spreadsheets.reading import Table, read_table
from core.spreadsheets.report import (
    ImportRejected,
    Report,
    RowError,
    clean_text,
    normalize_header,
    parse_date,
)
from core.spreadsheets.writing import XLSX_MIME, workbook_bytes

__all__ = [
    "MAX_COLUMNS",
    "MAX_ROWS",
    "XLSX_MIME",
    "ImportRejected",
    "Report",
    "RowError",
    "Table",
    "clean_text",
    "normalize_header",
    "parse_date",
    "read_table",
    "workbook_bytes",
]
