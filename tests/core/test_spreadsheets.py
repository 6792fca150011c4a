import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from core.spreadsheets import Report, read_table, workbook_bytes

COLUMNS = {"code": "Mã học sinh", "name": "Họ và tên", "dob": "Ngày sinh"}
REQUIRED = ("code", "name")


def xlsx(rows):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def read(data, filename):
    report = Report()
    table = read_table(io.BytesIO(data), filename, COLUMNS, REQUIRED, report)
    return table, report


def test_xlsx_cells_are_read_as_written_with_the_sheet_row_numbers(app):
    data = xlsx(
        [
            ["  họ VÀ   tên ", "Mã học sinh", "Ngày sinh", "Ghi chú"],
            ["Nguyễn An", "0123", date(2012, 5, 9), "x"],
            [None, None, None, "only a note"],
            [None, None, None, None],
            ["NA", 42, "09/05/2012"],
            ["null", 7.5, None],
        ]
    )

    with app.test_request_context():
        table, report = read(data, "ds.xlsx")

    assert report.errors == []
    assert table.rows == [
        (2, {"name": "Nguyễn An", "code": "0123", "dob": datetime(2012, 5, 9)}),
        (5, {"name": "NA", "code": 42, "dob": "09/05/2012"}),
        (6, {"name": "null", "code": 7.5, "dob": ""}),
    ]


def test_csv_cells_stay_text_and_ragged_rows_are_read(app):
    text = 'Mã học sinh;Họ và tên\n0123;"Trần; Bình"\n\nHS2;NA;extra;fields\nHS3\n'

    with app.test_request_context():
        table, report = read(text.encode("utf-8-sig"), "ds.csv")

    assert report.errors == []
    assert table.rows == [
        (2, {"code": "0123", "name": "Trần; Bình"}),
        (4, {"code": "HS2", "name": "NA"}),
        (5, {"code": "HS3", "name": ""}),
    ]


def test_utf16_csv_with_tabs_is_read(app):
    text = "Mã học sinh\tHọ và tên\r\nHS1\tLê Văn Cường\r\n"

    with app.test_request_context():
        table, report = read(text.encode("utf-16"), "ds.csv")

    assert (report.errors, table.rows) == ([], [(2, {"code": "HS1", "name": "Lê Văn Cường"})])


@pytest.mark.parametrize("value", ["=1+1", '=HYPERLINK("http://x","y")', "+1", "@SUM(A1)"])
def test_text_written_to_a_workbook_stays_text_never_a_formula(value):
    data = workbook_bytes([("Ds", ["Tên"], [[value]])])

    cell = load_workbook(io.BytesIO(data))["Ds"]["A2"]

    assert (cell.value, cell.data_type) == (value, "s")


def test_a_header_from_user_text_stays_text():
    data = workbook_bytes([("Ds", ["=criterion"], [])])

    cell = load_workbook(io.BytesIO(data))["Ds"]["A1"]

    assert (cell.value, cell.data_type) == ("=criterion", "s")
