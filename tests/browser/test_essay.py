"""A student writes an entry on a phone, loses the connection, keeps typing, and submits."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

OPENING = " ".join(
    ["Hôm ấy em thấy một bạn bị trêu chọc trong nhóm lớp và em đã lên tiếng bảo vệ bạn."] * 12
)
OFFLINE_TEXT = "Đoạn này em viết khi mất mạng, máy vẫn giữ nguyên từng chữ."


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (40, 140, 70)).save(out, format="JPEG")
    return out.getvalue()


def test_student_writes_offline_uploads_photo_submits_and_sees_receipt(live_server, phone):
    page = phone
    sign_in(page, live_server, "student1")
    page.goto(live_server("/essay"))
    page.get_by_role("link", name="Bắt đầu viết").first.click()
    state = page.locator("#essay-save-state")
    page.locator("#essay-time-left").filter(has_text="Còn lại:").wait_for()

    page.get_by_label("Tiêu đề").fill("Lên tiếng trong nhóm lớp")
    page.locator("#essay-body").fill(OPENING)
    page.locator("#essay-body").press("End")
    page.locator("#essay-body").press("Enter")
    page.locator("#essay-body").press("Enter")
    wait_saved(state)
    assert page.locator("#essay-words").inner_text() == "240"

    page.context.set_offline(True)
    page.locator("#essay-body").press_sequentially(OFFLINE_TEXT, delay=5)
    state.filter(has_text="Mất mạng").wait_for()
    page.context.set_offline(False)
    wait_saved(state)

    page.reload()
    body = page.locator("#essay-body").input_value()
    assert body == OPENING + "\n\n" + OFFLINE_TEXT

    page.locator("#essay-photo-caption").fill("Nhóm lớp cùng viết nội quy")
    page.locator("#essay-photo-file").set_input_files(
        files=[{"name": "viec-tot.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}]
    )
    page.locator("#essay-photo-list img").first.wait_for()
    assert page.locator("#essay-photo-list li").count() == 1

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Nộp bài").click()
    receipt = page.locator("#essay-receipt")
    receipt.wait_for(state="visible")
    code = page.locator("#essay-receipt-code").inner_text()
    assert re.fullmatch(r"BV-[A-Z2-9]{6}", code)

    page.reload()
    expect(page.locator("#essay-receipt")).to_be_visible()
    assert page.locator("#essay-receipt-code").inner_text() == code
    assert page.locator("#essay-body").get_attribute("readonly") is not None
    assert page.locator("#essay-body").input_value() == OPENING + "\n\n" + OFFLINE_TEXT


def wait_saved(state) -> None:
    state.filter(has_text="Đã lưu").wait_for(timeout=20_000)


def test_student_undoes_an_accidental_wipe_from_kept_versions(live_server, phone):
    page = phone
    sign_in(page, live_server, "student2")
    page.goto(live_server("/essay"))
    page.get_by_role("link", name="Bắt đầu viết").first.click()
    state = page.locator("#essay-save-state")
    body = page.locator("#essay-body")
    page.get_by_label("Tiêu đề").fill("Bài sẽ bị xóa nhầm")
    body.fill(OPENING)
    wait_saved(state)

    body.fill("")
    state.filter(has_text="Đã lưu").wait_for(timeout=20_000)
    page.get_by_text("Hoàn tác: các bản lưu trước").click()
    kept = page.locator("#essay-version-list li").filter(has_text="240 chữ")
    page.once("dialog", lambda dialog: dialog.accept())
    kept.get_by_role("button", name="Khôi phục").click()
    wait_saved(state)

    page.reload()
    assert page.locator("#essay-body").input_value() == OPENING


def test_text_typed_before_the_editor_script_runs_is_saved(live_server, phone):
    """On a slow phone the page is usable before essay.js arrives; that typing must not be lost."""
    page = phone
    sign_in(page, live_server, "student3")
    held = []
    page.route("**/static/js/essay*.js", lambda route: held.append(route))
    page.goto(live_server("/essay"))
    page.get_by_role("link", name="Bắt đầu viết").first.click()
    page.get_by_label("Tiêu đề").fill("Gõ trước khi trang tải xong")
    page.locator("#essay-body").fill(OPENING)
    while not held:
        page.wait_for_timeout(50)
    held[0].continue_()
    page.unroute("**/static/js/essay*.js")
    wait_saved(page.locator("#essay-save-state"))

    page.reload()
    assert page.locator("#essay-title").input_value() == "Gõ trước khi trang tải xong"
    assert page.locator("#essay-body").input_value() == OPENING


def test_student_sees_what_judges_will_see_before_submitting(live_app, live_server, phone):
    import sqlalchemy as sa

    from contests.essay.masking import fold
    from core.accounts.models import User
    from core.extensions import db

    with live_app.app_context():
        full_name = db.session.scalar(sa.select(User.full_name).where(User.username == "student4"))
    unaccented = " ".join(w.capitalize() for w in fold(full_name).split())
    page = phone
    sign_in(page, live_server, "student4")
    page.goto(live_server("/essay"))
    page.get_by_role("link", name="Bắt đầu viết").first.click()
    page.get_by_label("Tiêu đề").fill("Bài viết của em")
    page.locator("#essay-body").fill(
        f"Em la {unaccented}, hoc lop 6a1 truong THCS Duong Xa. Zalo cua em: 0912 345 678. "
        + OPENING
    )
    wait_saved(page.locator("#essay-save-state"))

    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Xem bài như giám khảo sẽ thấy").click()
    preview = opened.value
    preview.wait_for_load_state()

    article = preview.locator("article.masked-entry")
    expect(article).to_contain_text(
        "Em la [tên], hoc lop [lớp] truong [trường]. Zalo cua em: [liên hệ]."
    )
    assert unaccented not in article.inner_text()
    assert "0912" not in article.inner_text()
    preview.get_by_role("link", name="Quay lại bài của em").click()
    expect(preview.locator("#essay-body")).to_be_visible()
