from datetime import date

from campaign.documents.docx_writer import docx_bytes
from campaign.documents.layout import OfficialDocument, Paragraph, Signer, Table
from campaign.documents.pdf_writer import pdf_bytes
from tests.campaign.documents.conftest import docx_text, pdf_text, squeeze


def make(**kw) -> OfficialDocument:
    values = dict(
        parent_name="UBND xã Gia Lâm",
        issuer_name="Phòng Văn hóa - Xã hội",
        kind_title="THÔNG BÁO",
        symbol="TB-VHXH",
        subject="Kết quả cuộc thi",
        place="Gia Lâm",
        issued_on=date(2027, 2, 3),
        number=7,
        body=[Paragraph("Nội dung."), Table(["STT", "Tên"], [["1", "Lê Văn Cường"]])],
        recipients=["- Các trường;", "- Lưu: VT."],
        signers=[Signer("Trưởng phòng", "Trần Văn Đức")],
    )
    return OfficialDocument(**(values | kw))


def test_date_line_puts_a_zero_before_days_below_ten_and_months_one_and_two():
    assert make().date_line == "Gia Lâm, ngày 03 tháng 02 năm 2027"
    assert make(issued_on=date(2026, 12, 5)).date_line == "Gia Lâm, ngày 05 tháng 12 năm 2026"
    assert make(issued_on=date(2026, 3, 15)).date_line == "Gia Lâm, ngày 15 tháng 3 năm 2026"


def test_number_line_keeps_room_until_a_number_is_assigned():
    assert make().number_line == "Số: 07/TB-VHXH"
    assert make(number=None).number_line == "Số:       /TB-VHXH"
    assert make(issued_on=None).date_line == "Gia Lâm, ngày      tháng      năm"


def test_docx_has_decree_page_and_font():
    document, _ = docx_text(docx_bytes(make()))

    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert round(section.left_margin.mm) == 30
    assert round(section.right_margin.mm) == 15
    assert round(section.top_margin.mm) == 20
    assert document.styles["Normal"].font.name == "Times New Roman"
    assert document.styles["Normal"].font.size.pt == 14


def test_pdf_embeds_its_font_and_carries_the_docx_text():
    document = make(signers=[Signer("Đại diện nhà trường", "A"), Signer("Trưởng đoàn", "B")])

    pdf = pdf_bytes(document)
    _, text = docx_text(docx_bytes(document))

    assert b"/FontFile2" in pdf
    assert squeeze(pdf_text(pdf)) == squeeze(text)
