"""Judging journeys: a judge scores two entries from the queue; the chief judge settles a
disagreement and publishes; a student downloads their certificate."""

from __future__ import annotations

import io
import uuid

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect
from pypdf import PdfReader

from contests.judging import services
from contests.judging.models import Assignment
from core.accounts.models import User
from core.clock import utcnow
from core.extensions import db
from tests.browser.conftest import sign_in
from tests.browser.judging_rounds import closed_assigned_round

pytestmark = pytest.mark.browser


def test_judge_scores_two_entries_from_the_queue(live_server, page):
    sign_in(page, live_server, "judge5")
    page.goto(live_server("/judging"))
    todo = page.locator("li.list-group-item", has_text="Chưa chấm")
    before = todo.count()
    assert before >= 2
    todo.first.get_by_role("link").click()

    for round_number in range(2):
        page.locator("#judging-sheet[data-ready='true']").wait_for()
        fields = page.locator("[data-criterion]")
        fields.nth(0).fill("5")
        error = page.locator(".invalid-feedback", has_text="từ 0 đến 4")
        error.wait_for(timeout=10_000)
        fields.nth(0).fill("3")
        fields.nth(1).fill("2.5")
        fields.nth(2).fill("2,25")
        page.locator("#sheet-comment").fill(f"Bài viết chân thành (lượt {round_number + 1}).")
        page.locator("#sheet-status", has_text="Đã lưu").wait_for(timeout=10_000)
        assert not error.is_visible()
        # the script writes the total the page's way (Intl.NumberFormat): a decimal comma
        assert page.locator("#sheet-total").inner_text() == "7,75"
        left = page.url
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Nộp điểm").click()
        page.wait_for_url(lambda new, left=left: new != left)

    page.goto(live_server("/judging"))
    assert page.locator("li.list-group-item", has_text="Chưa chấm").count() == before - 2


@pytest.fixture
def round_waiting_for_chief(live_app):
    """A small closed round: two entries final, one the two judges could not reconcile."""
    with live_app.app_context(), live_app.test_request_context():
        now = utcnow()
        made = closed_assigned_round(title="thử", n_entries=3, seed=1, now=now)
        round_, entries = made.round, made.entries
        ids = [c.id for c in services.current_rubric(round_.id).criteria]
        for index, entry in enumerate(entries):
            sheets = db.session.scalars(
                sa.select(Assignment).where(Assignment.entry_id == entry.id)
            ).all()
            values = (
                [["3", "2.5", "2.25"], ["3.5", "2.75", "2.5"]]
                if index == 0
                else [[str(3 - index * 0.5), "2", "2"]] * 2
            )
            for sheet, marks in zip(sheets, values, strict=True):
                services.save_marks(
                    assignment=sheet,
                    marks=dict(zip(ids, marks, strict=True)),
                    comment="",
                    seq=1,
                    now=now,
                )
                services.submit_marks(assignment=sheet, now=now)
            if index == 0:
                for sheet in sheets:  # they look again and keep their marks: a new press
                    services.submit_marks(assignment=sheet, key=uuid.uuid4().hex, now=now)
        db.session.commit()
        data = {"round": round_.id, "name": round_.name, "code": entries[0].code}
        db.session.remove()
    return data


def test_chief_judge_resolves_disagreement_and_publishes(
    live_server, page, round_waiting_for_chief
):
    sign_in(page, live_server, "judge6")
    page.goto(live_server("/judging"))
    page.get_by_role(
        "link", name=f"Trưởng ban giám khảo: {round_waiting_for_chief['name']}"
    ).click()
    open_cases = page.locator("li.list-group-item", has_text=round_waiting_for_chief["code"])
    assert "Chờ trưởng ban giám khảo" in open_cases.inner_text()
    open_cases.get_by_role("link", name="Xem").click()

    page.get_by_label("Điểm chính thức").fill("8.25")
    page.get_by_label("Lý do").fill("Bài có tình huống cụ thể; thống nhất lấy 8,25.")
    page.get_by_role("button", name="Ghi nhận quyết định").click()
    page.get_by_text("Đã ghi nhận quyết định.").wait_for()
    expect(page.get_by_text("Không có bài nào đang chênh lệch điểm.")).to_be_visible()

    # Publishing says what it fixes and waits for the organizer's tick.
    publish = page.get_by_role("button", name="Công bố kết quả")
    publish.click()
    expect(page.get_by_text("Đã công bố kết quả.")).to_have_count(0)
    page.get_by_label("Tôi đã kiểm tra điểm và muốn công bố kết quả ngay bây giờ.").check()
    publish.click()
    page.get_by_text("Đã công bố kết quả.").wait_for()
    page.get_by_role("link", name="Trang kết quả").click()
    expect(
        page.get_by_role("heading", name=f"Kết quả: {round_waiting_for_chief['name']}")
    ).to_be_visible()
    assert "8,25" in page.locator("table").inner_text()


def test_student_downloads_certificate(live_server, page, live_app):
    with live_app.app_context():
        name = db.session.scalar(sa.select(User.full_name).where(User.username == "student1"))
    sign_in(page, live_server, "student1")
    page.goto(live_server("/judging/my-results"))

    with page.expect_download() as info:
        page.get_by_role("link", name="Tải giấy chứng nhận (PDF)").first.click()

    with open(info.value.path(), "rb") as downloaded:
        data = downloaded.read()
    assert data.startswith(b"%PDF")
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert name in text
    assert "GIẤY KHEN" in text
