"""Hostile spreadsheets (issue 15): refused with a message before any cell is read."""

import io
import zipfile

import pandas
import pytest
from openpyxl import Workbook

from core.spreadsheets import Report, limits, read_table

COLUMNS = {"code": "Mã học sinh", "name": "Họ và tên"}
REQUIRED = ("code", "name")


@pytest.fixture
def no_cell_reads(monkeypatch):
    """Fail if pandas is asked to read the cells (it would allocate the whole declared range)."""

    def refuse(*args, **kwargs):
        raise AssertionError("cells were read")

    # pandas is imported where a sheet is read (core.spreadsheets.reading): patch it at the source.
    monkeypatch.setattr(pandas, "read_excel", refuse)


def read(data, filename):
    report = Report()
    table = read_table(io.BytesIO(data), filename, COLUMNS, REQUIRED, report)
    return table, [error.message for error in report.errors]


def far_corner_xlsx():
    workbook = Workbook()
    workbook.active["A1"] = "Mã học sinh"
    workbook.active["XFD1048576"] = "x"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def handmade_xlsx(sheet_xml: bytes) -> bytes:
    """A minimal workbook whose only sheet is ``sheet_xml``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats'
            '-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
            'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml'
            '.worksheet+xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        archive.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets>'
            "</workbook>",
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>",
        )
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return out.getvalue()


def sheet(dimension: str, cells: str) -> bytes:
    return (
        '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        f'2006/main"><dimension ref="{dimension}"/><sheetData>{cells}</sheetData></worksheet>'
    ).encode()


TOO_LARGE = "Bảng tính quá lớn"


def test_a_tiny_xlsx_reaching_the_last_cell_is_refused_before_cells_are_read(app, no_cell_reads):
    data = far_corner_xlsx()
    assert len(data) < 8000

    with app.test_request_context():
        table, errors = read(data, "ds.xlsx")

    assert table is None
    assert len(errors) == 1
    assert errors[0].startswith(TOO_LARGE)


def test_a_declared_dimension_of_200000_rows_is_refused(app, no_cell_reads):
    cells = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>'
        '<row r="200000"><c r="CV200000" t="inlineStr"><is><t>b</t></is></c></row>'
    )

    with app.test_request_context():
        table, errors = read(handmade_xlsx(sheet("A1:CV200000", cells)), "ds.xlsx")

    assert table is None
    assert len(errors) == 1
    assert errors[0].startswith(TOO_LARGE)


def test_a_dimension_that_lies_does_not_hide_a_far_cell(app, no_cell_reads):
    cells = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>'
        '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>b</t></is></c></row>'
    )

    with app.test_request_context():
        table, errors = read(handmade_xlsx(sheet("A1:B2", cells)), "ds.xlsx")

    assert table is None
    assert len(errors) == 1
    assert errors[0].startswith(TOO_LARGE)


def test_a_sheet_without_cell_references_is_counted(app, no_cell_reads):
    wide = "<row>" + "<c/>" * 20000 + "</row>"

    with app.test_request_context():
        table, errors = read(handmade_xlsx(sheet("A1", wide)), "ds.xlsx")

    assert table is None
    assert len(errors) == 1
    assert errors[0].startswith(TOO_LARGE)


def test_a_zip_bomb_is_refused_by_its_uncompressed_size(app, no_cell_reads):
    padding = b" " * (limits.MAX_XLSX_UNCOMPRESSED + 1)
    data = handmade_xlsx(sheet("A1", "") + padding)
    assert len(data) < 200_000

    with app.test_request_context():
        table, errors = read(data, "ds.xlsx")

    assert table is None
    assert len(errors) == 1
    assert errors[0].startswith(TOO_LARGE)


def test_an_ordinary_handmade_sheet_is_still_read(app):
    cells = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Mã học sinh</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>Họ và tên</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>HS1</t></is></c>'
        '<c r="B2" t="inlineStr"><is><t>An</t></is></c></row>'
    )

    with app.test_request_context():
        table, errors = read(handmade_xlsx(sheet("A1:B2", cells)), "ds.xlsx")

    assert errors == []
    assert table.rows == [(2, {"code": "HS1", "name": "An"})]


def test_a_csv_cell_over_131072_characters_is_refused_with_a_message(app):
    data = ("Mã học sinh,Họ và tên\nHS1," + "x" * 131_073 + "\n").encode()

    with app.test_request_context():
        table, errors = read(data, "ds.csv")

    assert table is None
    assert len(errors) == 1
    assert errors[0].startswith("Một ô của tệp dài quá")


def test_a_csv_cell_of_131072_characters_is_read(app):
    data = ("Mã học sinh,Họ và tên\nHS1," + "x" * 131_072 + "\n").encode()

    with app.test_request_context():
        table, errors = read(data, "ds.csv")

    assert errors == []
    assert table.rows == [(2, {"code": "HS1", "name": "x" * 131_072})]


def test_a_csv_with_too_many_columns_is_refused(app):
    data = ("Mã học sinh,Họ và tên" + "," * 5000 + "\n" + "\n" * 10).encode()

    with app.test_request_context():
        table, errors = read(data, "ds.csv")

    assert table is None
    assert len(errors) == 1
    assert errors[0].startswith(TOO_LARGE)


def test_commas_inside_a_quoted_cell_are_not_columns(app):
    data = ('Mã học sinh,Họ và tên\nHS1,"' + "," * 5000 + '"\n').encode()

    with app.test_request_context():
        table, errors = read(data, "ds.csv")

    assert errors == []
    assert table.rows == [(2, {"code": "HS1", "name": "," * 5000})]
