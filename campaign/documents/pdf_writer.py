"""Write an ``OfficialDocument`` as PDF with fpdf2, the same text as the .docx, fonts embedded."""

from __future__ import annotations

from io import BytesIO

from fpdf import FPDF
from fpdf.enums import Align

from campaign.documents import layout
from campaign.documents.layout import OfficialDocument, Table
from core.config import PROJECT_ROOT

FONT_DIR = PROJECT_ROOT / "static" / "fonts"
#: Liberation Serif: metric-compatible with Times New Roman, with Vietnamese glyphs (SIL OFL).
FONT = "LiberationSerif"
PT_MM = 0.3528
#: The logo's height above the issuing body's name (as in the .docx).
LOGO_MM = 15
ALIGN = {"justify": Align.J, "center": Align.C, "left": Align.L}


def _new() -> FPDF:
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    for style, suffix in (("", "Regular"), ("B", "Bold"), ("I", "Italic"), ("BI", "BoldItalic")):
        pdf.add_font(FONT, style, str(FONT_DIR / f"LiberationSerif-{suffix}.ttf"))
    pdf.set_margins(layout.MARGIN_LEFT_MM, layout.MARGIN_TOP_MM, layout.MARGIN_RIGHT_MM)
    pdf.set_auto_page_break(auto=True, margin=layout.MARGIN_BOTTOM_MM)
    pdf.set_creator("Mạng Xanh")
    pdf.set_lang("vi")
    return pdf


def _style(bold=False, italic=False) -> str:
    return ("B" if bold else "") + ("I" if italic else "")


def _line(pdf: FPDF, text: str, *, size, bold=False, italic=False, x=None, w=0.0, align="center"):
    pdf.set_font(FONT, _style(bold, italic), size)
    if x is not None:
        pdf.set_x(x)
    pdf.multi_cell(w, size * PT_MM * 1.25, text, align=ALIGN[align], new_x="LMARGIN", new_y="NEXT")


def _rule(pdf: FPDF, centre_x: float, width: float) -> None:
    y = pdf.get_y() + 0.6
    pdf.set_line_width(0.3)
    pdf.line(centre_x - width / 2, y, centre_x + width / 2, y)
    pdf.set_y(y + 1.5)


def _heading(pdf: FPDF, doc: OfficialDocument) -> None:
    left_x, left_w = pdf.l_margin - 8, 75.0
    right_x = left_x + left_w
    right_w = pdf.w - pdf.r_margin - right_x + 4
    top = pdf.get_y()
    if doc.logo:
        pdf.image(BytesIO(doc.logo), x=left_x + 2, y=top, h=LOGO_MM)
        pdf.set_y(top + LOGO_MM + 1)
    if doc.parent_name:
        _line(pdf, layout.upper(doc.parent_name), size=layout.HEADING_PT, x=left_x, w=left_w)
    _line(pdf, layout.upper(doc.issuer_name), size=layout.HEADING_PT, bold=True, x=left_x, w=left_w)
    _rule(pdf, left_x + left_w / 2, 25)
    _line(pdf, doc.number_line, size=layout.HEADING_PT, x=left_x, w=left_w)
    left_bottom = pdf.get_y()
    pdf.set_y(top)
    _line(pdf, layout.NATIONAL, size=layout.HEADING_PT, bold=True, x=right_x, w=right_w)
    _line(pdf, layout.MOTTO, size=layout.BODY_PT, bold=True, x=right_x, w=right_w)
    _rule(pdf, right_x + right_w / 2, 58)
    _line(pdf, doc.date_line, size=layout.BODY_PT, italic=True, x=right_x, w=right_w)
    pdf.set_y(max(left_bottom, pdf.get_y()) + 6)


def _blocks(pdf: FPDF, blocks) -> None:
    for block in blocks:
        if isinstance(block, Table):
            _table(pdf, block)
            continue
        for text in block.text.split("\n"):
            pdf.ln(2)
            indent = "    " if block.indent and block.align == "justify" and text else ""
            _line(
                pdf,
                indent + text,
                size=layout.BODY_PT,
                bold=block.bold,
                italic=block.italic,
                align=block.align,
            )


def _table(pdf: FPDF, block: Table) -> None:
    pdf.ln(2)
    widths = block.widths or [1.0] * len(block.headers)
    pdf.set_font(FONT, "", layout.TABLE_PT)
    with pdf.table(
        col_widths=tuple(widths),
        line_height=layout.TABLE_PT * PT_MM * 1.3,
        text_align="LEFT",
        headings_style=None,
        first_row_as_headings=False,
    ) as table:
        header = table.row()
        pdf.set_font(FONT, "B", layout.TABLE_PT)
        for value in block.headers:
            header.cell(value, align="CENTER")
        pdf.set_font(FONT, "", layout.TABLE_PT)
        for values in block.rows:
            row = table.row()
            for value in values:
                row.cell(str(value))
    pdf.ln(2)


def _closing(pdf: FPDF, doc: OfficialDocument) -> None:
    pdf.ln(6)
    if pdf.get_y() > pdf.h - 70:
        pdf.add_page()
    half = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    left_x, right_x = pdf.l_margin, pdf.l_margin + half
    top = pdf.get_y()
    bottoms = []
    if len(doc.signers) == 2:
        placed = [(left_x, doc.signers[0]), (right_x, doc.signers[1])]
    else:
        placed = [(right_x, signer) for signer in doc.signers]
        if doc.recipients:
            _line(
                pdf,
                layout.RECIPIENTS_LABEL,
                size=layout.RECIPIENTS_LABEL_PT,
                bold=True,
                italic=True,
                x=left_x,
                w=half,
                align="left",
            )
            for recipient in doc.recipients:
                _line(pdf, recipient, size=layout.RECIPIENTS_PT, x=left_x, w=half, align="left")
            bottoms.append(pdf.get_y())
    for x, signer in placed:
        pdf.set_y(top)
        for title_line in signer.title.split("\n"):
            _line(pdf, layout.upper(title_line), size=layout.BODY_PT, bold=True, x=x, w=half)
        pdf.ln(24)  # room for the signature and the seal
        _line(pdf, signer.name, size=layout.BODY_PT, bold=True, x=x, w=half)
        bottoms.append(pdf.get_y())
    pdf.set_y(max(bottoms, default=top))


def pdf_bytes(doc: OfficialDocument) -> bytes:
    """The document as PDF (A4, the decree's margins, Liberation Serif embedded)."""
    pdf = _new()
    pdf.set_title(f"{doc.kind_title} {doc.subject}")
    pdf.add_page()
    _heading(pdf, doc)
    _line(pdf, doc.kind_title, size=layout.BODY_PT, bold=True)
    for text in doc.subject.split("\n"):
        _line(pdf, text, size=layout.BODY_PT, bold=True)
    _blocks(pdf, doc.body)
    _closing(pdf, doc)
    if doc.annex:
        pdf.add_page()
        _line(pdf, doc.annex_title, size=layout.BODY_PT, bold=True)
        _line(pdf, doc.annex_reference, size=layout.HEADING_PT, italic=True)
        _blocks(pdf, doc.annex)
    return bytes(pdf.output())
