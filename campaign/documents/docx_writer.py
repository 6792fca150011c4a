"""Write an ``OfficialDocument`` as a Word file with python-docx."""

from __future__ import annotations

from io import BytesIO

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

from campaign.documents import layout
from campaign.documents.layout import OfficialDocument, Table

FONT = "Times New Roman"
ALIGN = {
    "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "left": WD_ALIGN_PARAGRAPH.LEFT,
}
TEXT_WIDTH_CM = (210 - layout.MARGIN_LEFT_MM - layout.MARGIN_RIGHT_MM) / 10
#: The logo's height above the issuing body's name.
LOGO_CM = 1.5


def _run(paragraph, text: str, *, size: float, bold=False, italic=False):
    run = paragraph.add_run(text)
    run.font.name = FONT
    run.font.size = Pt(size)
    run.bold = bold
    run.italic = italic
    # East Asian and complex-script fonts too, or Word may substitute for Vietnamese letters.
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:eastAsia", "w:cs", "w:hAnsi"):
        fonts.set(qn(attribute), FONT)
    return run


def _line(container, text: str, *, size: float, bold=False, italic=False, align="center"):
    paragraph = container.add_paragraph()
    paragraph.alignment = ALIGN[align]
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.space_before = Pt(0)
    if text:
        _run(paragraph, text, size=size, bold=bold, italic=italic)
    return paragraph


def _short_rule(container, *, width_cm: float, cell_width_cm: float) -> None:
    """A centred horizontal line (the rule under the issuer's name and under the motto)."""
    paragraph = container.add_paragraph()
    side = max((cell_width_cm - width_cm) / 2, 0)
    paragraph.paragraph_format.left_indent = Cm(side)
    paragraph.paragraph_format.right_indent = Cm(side)
    paragraph.paragraph_format.space_after = Pt(4)
    paragraph_format = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    top = OxmlElement("w:top")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        top.set(qn(key), value)
    borders.append(top)
    paragraph_format.append(borders)
    _run(paragraph, "", size=2)


def _no_borders(table) -> None:
    properties = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    properties.append(borders)


def _cell(table, row: int, column: int, width_cm: float):
    cell = table.cell(row, column)
    cell.width = Cm(width_cm)
    # A new cell holds one empty paragraph; drop it so the first line is ours.
    cell._tc.remove(cell.paragraphs[0]._p)
    return cell


def _heading(document, doc: OfficialDocument) -> None:
    left_w, right_w = 6.5, TEXT_WIDTH_CM - 6.5
    table = document.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _no_borders(table)
    left = _cell(table, 0, 0, left_w)
    if doc.logo:
        picture = _line(left, "", size=layout.HEADING_PT, align="left")
        picture.add_run().add_picture(BytesIO(doc.logo), height=Cm(LOGO_CM))
    if doc.parent_name:
        _line(left, layout.upper(doc.parent_name), size=layout.HEADING_PT)
    _line(left, layout.upper(doc.issuer_name), size=layout.HEADING_PT, bold=True)
    _short_rule(left, width_cm=2.5, cell_width_cm=left_w)
    _line(left, doc.number_line, size=layout.HEADING_PT)
    right = _cell(table, 0, 1, right_w)
    _line(right, layout.NATIONAL, size=layout.HEADING_PT, bold=True)
    _line(right, layout.MOTTO, size=layout.BODY_PT, bold=True)
    _short_rule(right, width_cm=5.8, cell_width_cm=right_w)
    _line(right, doc.date_line, size=layout.BODY_PT, italic=True)


def _blocks(document, blocks) -> None:
    for block in blocks:
        if isinstance(block, Table):
            _table(document, block)
            continue
        for text in block.text.split("\n"):
            paragraph = _line(
                document,
                text,
                size=layout.BODY_PT,
                bold=block.bold,
                italic=block.italic,
                align=block.align,
            )
            paragraph.paragraph_format.space_before = Pt(6)
            paragraph.paragraph_format.line_spacing = 1.15
            if block.indent and block.align == "justify":
                paragraph.paragraph_format.first_line_indent = Cm(1)


def _table(document, block: Table) -> None:
    table = document.add_table(rows=1 + len(block.rows), cols=len(block.headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths = block.widths or [1.0] * len(block.headers)
    total = sum(widths)
    for row_index, values in enumerate([block.headers, *block.rows]):
        for column, value in enumerate(values):
            cell = _cell(table, row_index, column, TEXT_WIDTH_CM * widths[column] / total)
            _line(
                cell,
                str(value),
                size=layout.TABLE_PT,
                bold=row_index == 0,
                align="center" if row_index == 0 else "left",
            )


def _closing(document, doc: OfficialDocument) -> None:
    document.add_paragraph()
    table = document.add_table(rows=1, cols=2)
    table.autofit = False
    _no_borders(table)
    left_w, right_w = TEXT_WIDTH_CM / 2, TEXT_WIDTH_CM / 2
    left = _cell(table, 0, 0, left_w)
    right = _cell(table, 0, 1, right_w)
    if len(doc.signers) == 2:
        signer_cells = [(left, doc.signers[0]), (right, doc.signers[1])]
    else:
        signer_cells = [(right, signer) for signer in doc.signers]
        if doc.recipients:
            _line(
                left,
                layout.RECIPIENTS_LABEL,
                size=layout.RECIPIENTS_LABEL_PT,
                bold=True,
                italic=True,
                align="left",
            )
            for recipient in doc.recipients:
                _line(left, recipient, size=layout.RECIPIENTS_PT, align="left")
        else:
            _line(left, "", size=layout.RECIPIENTS_PT)
    for cell, signer in signer_cells:
        for title_line in signer.title.split("\n"):
            _line(cell, layout.upper(title_line), size=layout.BODY_PT, bold=True)
        for _ in range(4):  # room for the signature and the seal
            _line(cell, "", size=layout.BODY_PT)
        _line(cell, signer.name, size=layout.BODY_PT, bold=True)


def docx_bytes(doc: OfficialDocument) -> bytes:
    """The document as a .docx file."""
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = Mm(layout.MARGIN_TOP_MM)
    section.bottom_margin = Mm(layout.MARGIN_BOTTOM_MM)
    section.left_margin = Mm(layout.MARGIN_LEFT_MM)
    section.right_margin = Mm(layout.MARGIN_RIGHT_MM)
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(layout.BODY_PT)
    document.core_properties.title = f"{doc.kind_title} {doc.subject}"
    document.core_properties.language = "vi-VN"
    _heading(document, doc)
    title = _line(document, doc.kind_title, size=layout.BODY_PT, bold=True)
    title.paragraph_format.space_before = Pt(18)
    for text in doc.subject.split("\n"):
        _line(document, text, size=layout.BODY_PT, bold=True)
    _blocks(document, doc.body)
    _closing(document, doc)
    if doc.annex:
        document.add_page_break()
        _line(document, doc.annex_title, size=layout.BODY_PT, bold=True)
        _line(document, doc.annex_reference, size=layout.HEADING_PT, italic=True)
        _blocks(document, doc.annex)
    out = BytesIO()
    document.save(out)
    return out.getvalue()
