"""PDF documents with Vietnamese text: fpdf2 with an embedded Unicode font (DejaVu Sans)."""

from __future__ import annotations

from fpdf import FPDF

from core.config import PROJECT_ROOT

FONT_DIR = PROJECT_ROOT / "static" / "fonts"
FONT = "DejaVu"


def new_document(*, orientation: str = "P", title: str = "") -> FPDF:
    """Return an A4 document with the Vietnamese-capable font loaded and selected."""
    pdf = FPDF(orientation=orientation, unit="mm", format="A4")
    pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_font(FONT, size=11)
    pdf.set_title(title)
    pdf.set_creator("Mạng Xanh")
    pdf.set_auto_page_break(auto=True, margin=12)
    return pdf


def to_bytes(pdf: FPDF) -> bytes:
    """Return the finished document."""
    return bytes(pdf.output())
