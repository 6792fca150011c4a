"""The certificate PDF: the entry code and the date inside the border whatever the titles'
length, the date written the Vietnamese way, the score with a decimal comma."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader

from contests.judging import exports, services
from contests.judging.models import Award
from tests.contests.judging.test_views import mark_everything

MM = 72 / 25.4
PAGE_HEIGHT_MM = 210
#: The inner border of the certificate, in millimetres from the top left corner.
INNER = (14, 14, 283, 196)


@pytest.fixture
def result(assigned):
    mark_everything(assigned, "varied")
    services.publish_results(
        actor=assigned.organizer, round_=assigned.round, now=datetime(2026, 2, 24, 2, 0, tzinfo=UTC)
    )
    return services.published_results(assigned.round.id)[0]


def placed_text(data: bytes) -> tuple[int, list[tuple[str, float, float]]]:
    """The pages, and each piece of text on the first with its position (mm from top left)."""
    reader = PdfReader(io.BytesIO(data))
    pieces: list[tuple[str, float, float]] = []

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip():
            x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
            y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
            pieces.append((text.strip(), x / MM, PAGE_HEIGHT_MM - y / MM))

    reader.pages[0].extract_text(visitor_text=visit)
    return len(reader.pages), pieces


def test_certificate_code_and_date_inside_border_with_long_titles(result):
    entry = result.entry
    entry.round.contest.title = "Cuộc thi viết về hành động đẹp trên không gian mạng " * 3
    entry.round.name = "Vòng chung kết cấp huyện dành cho học sinh trung học cơ sở " * 3

    pages, pieces = placed_text(exports.certificate_pdf(result))

    assert pages == 1
    left, top, right, bottom = INNER
    for needle in (entry.code, "ngày 24 tháng 2 năm 2026"):
        x, y = next((x, y) for text, x, y in pieces if needle in text)
        assert left < x < right and top < y < bottom, (needle, x, y)


def test_certificate_date_written_the_vietnamese_way(result):
    text = PdfReader(io.BytesIO(exports.certificate_pdf(result))).pages[0].extract_text()

    assert "ngày 24 tháng 2 năm 2026" in text


def test_certificate_score_with_decimal_comma(result):
    result.award = Award.FIRST
    result.score = Decimal("8.50")

    text = PdfReader(io.BytesIO(exports.certificate_pdf(result))).pages[0].extract_text()

    assert "8,5" in text
    assert "8.5" not in text
