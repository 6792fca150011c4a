"""Browser journey of the official documents: the organizer drafts the movement's tổng kết report,
edits a section, numbers it, saves it and downloads it in Word and PDF."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from docx import Document
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def locked_movement(live_server):
    """A movement of its own whose tổng kết milestone is locked for every school."""
    from campaign.greennet import services
    from core.accounts.models import User
    from core.extensions import db
    from core.schools.models import SchoolLevel

    tag = uuid.uuid4().hex[:6]
    with live_server.app.test_request_context():
        organizer = db.session.scalar(sa.select(User).where(User.username == "organizer"))
        year = 2100 + int(tag, 16) % 800
        movement = services.create_movement(
            actor=organizer, school_year=f"{year}-{year + 1}", title=f"Phong trào văn bản {tag}"
        )
        services.add_criterion(
            actor=organizer,
            movement=movement,
            level=SchoolLevel.THCS,
            code="1",
            title="Chuyên đề sử dụng Internet an toàn",
            max_points=10,
            evidence_kinds=["photo"],
        )
        final = next(m for m in movement.milestones if m.kind.value == "final")
        services.lock_all(actor=organizer, movement=movement, milestone=final)
        db.session.commit()
        ids = {"movement": movement.id, "title": movement.title}
        db.session.remove()
    return ids


def _docx_text(path: Path) -> tuple[Document, str]:
    document = Document(io.BytesIO(path.read_bytes()))
    nodes = document.element.body.iter(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"
    )
    return document, "".join(node.text or "" for node in nodes)


def _pdf_text(path: Path) -> str:
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    return "".join(page.extract_text() for page in reader.pages)


def test_organizer_drafts_numbers_saves_and_downloads_the_final_report(
    live_server, page, locked_movement, tmp_path
):
    sign_in(page, live_server, "organizer")
    page.goto(live_server("/documents"))
    section = page.locator("section", has_text=locked_movement["title"])
    section.get_by_role("link", name="Báo cáo tổng kết").click()
    expect(page.get_by_role("heading", name="BÁO CÁO")).to_be_visible()

    # Before saving there is nothing to download yet.
    expect(page.get_by_text("Hãy lưu dự thảo trước khi tải về.")).to_be_visible()
    achievements = page.get_by_label("Ưu điểm")
    assert "hoạt động được thẩm định" in achievements.input_value()
    achievements.fill("Các trường tổ chức tốt chuyên đề an toàn mạng cho học sinh khối 8.")
    page.get_by_label("Số", exact=True).fill("27")
    page.get_by_label("Ngày ban hành").fill("2027-05-28")
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_text("Đã lưu văn bản.")).to_be_visible()
    expect(page.get_by_label("Số", exact=True)).to_have_value("27")

    with page.expect_download() as docx_download:
        page.get_by_role("link", name="Word (.docx)").click()
    docx_path = tmp_path / "report.docx"
    docx_download.value.save_as(docx_path)
    assert docx_download.value.suggested_filename.endswith(".docx")
    document, text = _docx_text(docx_path)
    left = document.tables[0].cell(0, 0).text
    assert "Số: 27/BC-" in left
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in document.tables[0].cell(0, 1).text
    assert "ngày 28 tháng 5 năm 2027" in text
    assert "chuyên đề an toàn mạng cho học sinh khối 8" in text

    with page.expect_download() as pdf_download:
        page.get_by_role("link", name="PDF").click()
    pdf_path = tmp_path / "report.pdf"
    pdf_download.value.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF")
    pdf = " ".join(_pdf_text(pdf_path).split())
    assert "27/BC-" in pdf
    assert "ngày 28 tháng 5 năm 2027" in pdf
    assert "chuyên đề an toàn mạng cho học sinh khối 8" in pdf
