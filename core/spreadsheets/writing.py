"""Write .xlsx files: bold, filled headers, and every text cell kept as text, never a formula."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: The header row's fill colour. openpyxl is imported where a workbook is written, not when the
#: application starts (issue 11, memory).
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
