"""An official document as data, in the layout of Nghị định 30/2020/NĐ-CP (pure, no I/O).

The .docx and PDF writers both render an ``OfficialDocument``, so the two formats carry the
same text. Sizes and margins are the decree's (Phụ lục I): A4; top and bottom 20 mm, left
30 mm, right 15 mm; Times New Roman (the PDF embeds Liberation Serif, its metric twin with
Vietnamese glyphs); body 14 pt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from babel.numbers import format_decimal

NATIONAL = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
RECIPIENTS_LABEL = "Nơi nhận:"

MARGIN_TOP_MM = 20
MARGIN_BOTTOM_MM = 20
MARGIN_LEFT_MM = 30
MARGIN_RIGHT_MM = 15
HEADING_PT = 13
BODY_PT = 14
RECIPIENTS_LABEL_PT = 12
RECIPIENTS_PT = 11
TABLE_PT = 12


@dataclass
class Paragraph:
    text: str
    bold: bool = False
    italic: bool = False
    #: "justify" (body), "center" or "left".
    align: str = "justify"
    #: First-line indent, as body paragraphs have.
    indent: bool = True


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    #: Relative column widths; equal when empty.
    widths: list[float] = field(default_factory=list)


Block = Paragraph | Table


@dataclass
class Signer:
    title: str
    name: str


@dataclass
class OfficialDocument:
    parent_name: str
    issuer_name: str
    #: The kind of document: "BÁO CÁO", "QUYẾT ĐỊNH", "TỜ TRÌNH", "BIÊN BẢN", "THÔNG BÁO".
    kind_title: str
    #: "BC-PGDĐT": the part of the number after the slash.
    symbol: str
    subject: str
    place: str
    issued_on: date | None
    number: int | None = None
    body: list[Block] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    #: One signer on the right; two (e.g. both sides of minutes) left and right.
    signers: list[Signer] = field(default_factory=list)
    #: The list attached to a decision ("DANH SÁCH …"), on a new page.
    annex_title: str = ""
    annex: list[Block] = field(default_factory=list)
    #: The issuing body's logo (PNG or JPEG bytes), drawn at the top left of the heading.
    logo: bytes | None = None

    @property
    def number_line(self) -> str:
        """ "Số: 12/QĐ-PGDĐT", or room for the number when none is assigned yet."""
        number = f"{self.number:02d}" if self.number else "      "
        return f"Số: {number}/{self.symbol}"

    @property
    def date_line(self) -> str:
        """ "Gia Lâm, ngày 05 tháng 12 năm 2026": days below 10 and months 1, 2 take a zero."""
        place = f"{self.place}, " if self.place else ""
        if self.issued_on is None:
            return f"{place}ngày      tháng      năm"
        day = self.issued_on
        month = f"{day.month:02d}" if day.month < 3 else str(day.month)
        return f"{place}ngày {day.day:02d} tháng {month} năm {day.year}"

    @property
    def annex_reference(self) -> str:
        """ "(Kèm theo Quyết định số 12/QĐ-PGDĐT ngày 05 tháng 12 năm 2026)"."""
        number = self.number_line.removeprefix("Số: ").strip()
        when = self.date_line.split(", ", 1)[-1] if self.place else self.date_line
        return f"(Kèm theo {self.kind_title.capitalize()} số {number} {when})"


def upper(text: str) -> str:
    """Uppercase Vietnamese text (đ becomes Đ)."""
    return text.upper()


def vi_number(value: float) -> str:
    """A number the Vietnamese way (decimal comma, dot between thousands): 95,79; 1.234,5."""
    return format_decimal(value, format="#,##0.##", locale="vi")
