"""The essay page on a phone (360×740): feedback beside the button that caused it, submit held
back below the minimum word count, photos uploaded at once (shrunk in the browser, with a
progress bar, once however often the choice fires) and never dropped without a word."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.browser.test_essay import OPENING, wait_saved

pytestmark = pytest.mark.browser


def jpeg(size=(80, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (40, 140, 70)).save(out, format="JPEG")
    return out.getvalue()


def open_editor(page, live_server, username: str) -> None:
    sign_in(page, live_server, username)
    page.goto(live_server("/essay"))
    page.get_by_role("link", name="Bắt đầu viết").first.click()
    page.locator("#essay-time-left").filter(has_text="Còn lại:").wait_for()


def below(upper, lower, within: float = 120) -> bool:
    """Tell whether ``lower`` starts under ``upper``, close to it (the same place on screen)."""
    a, b = upper.bounding_box(), lower.bounding_box()
    return 0 <= b["y"] - (a["y"] + a["height"]) <= within


def test_submit_held_below_minimum_and_receipt_beside_the_button(live_server, phone):
    page = phone
    open_editor(page, live_server, "student11")
    submit = page.get_by_role("button", name="Nộp bài")
    hint = page.locator("#essay-submit-hint")

    page.get_by_label("Tiêu đề").fill("Bài còn ngắn")
    page.locator("#essay-body").fill("Em mới viết được vài chữ.")
    wait_saved(page.locator("#essay-save-state"))

    expect(submit).to_be_disabled()
    expect(hint).to_have_text("Cần ít nhất 150 chữ mới nộp được bài.")
    assert below(submit, hint)

    page.locator("#essay-body").fill(OPENING)
    expect(submit).to_be_enabled()
    expect(hint).to_have_text("")
    page.once("dialog", lambda dialog: dialog.accept())
    submit.click()

    receipt = page.locator("#essay-receipt")
    expect(receipt).to_be_visible()
    assert below(submit, receipt)
    expect(page.locator("#essay-alert")).to_be_hidden()


def test_photo_shrunk_in_browser_uploaded_once_with_progress(live_server, phone):
    page = phone
    open_editor(page, live_server, "student12")
    page.get_by_label("Tiêu đề").fill("Bài có ảnh lớn")
    page.locator("#essay-body").fill(OPENING)
    wait_saved(page.locator("#essay-save-state"))
    page.evaluate(
        """() => {
          // What leaves the browser: each upload's photo size, and whether the bar showed.
          window.sent = [];
          const send = XMLHttpRequest.prototype.send;
          XMLHttpRequest.prototype.send = function (form) {
            const file = form instanceof FormData ? form.get("file") : null;
            const record = { type: file && file.type, size: null };
            window.sent.push(record);
            if (file) {
              createImageBitmap(file).then((b) => { record.size = [b.width, b.height]; });
            }
            return send.call(this, form);
          };
          const bar = document.getElementById("essay-photo-progress");
          window.progressShown = false;
          new MutationObserver(() => {
            if (!bar.classList.contains("d-none")) { window.progressShown = true; }
          }).observe(bar, { attributes: true });
        }"""
    )
    page.get_by_label("Chú thích").fill("Cả lớp cùng dọn nhóm chat")

    page.locator("#essay-photo-file").set_input_files(
        files=[{"name": "anh-to.jpg", "mimeType": "image/jpeg", "buffer": jpeg((3000, 2000))}]
    )
    # A double tap: the same choice fires twice while the first upload is on its way.
    page.locator("#essay-photo-file").dispatch_event("change")

    expect(page.locator("#essay-photo-feedback")).to_have_text("Đã thêm ảnh.")
    expect(page.locator("#essay-photo-list li")).to_have_count(1)
    page.wait_for_function("window.sent.length && window.sent[0].size !== null")
    assert page.evaluate("window.sent") == [{"type": "image/jpeg", "size": [2048, 1365]}]
    assert page.evaluate("window.progressShown") is True
    expect(page.locator("#essay-photo-progress")).to_be_hidden()
    assert below(page.locator("#essay-photo-file"), page.locator("#essay-photo-feedback"))

    page.reload()
    expect(page.locator("#essay-photo-list li")).to_have_count(1)
    expect(page.locator("#essay-photo-list .small")).to_have_text("Cả lớp cùng dọn nhóm chat")


def test_photo_refused_by_server_is_said_beside_the_field(live_server, phone):
    page = phone
    open_editor(page, live_server, "student13")
    page.get_by_label("Tiêu đề").fill("Ảnh hỏng")
    page.locator("#essay-body").fill(OPENING)
    wait_saved(page.locator("#essay-save-state"))

    page.locator("#essay-photo-file").set_input_files(
        files=[{"name": "hong.jpg", "mimeType": "image/jpeg", "buffer": b"not a photo at all"}]
    )

    feedback = page.locator("#essay-photo-feedback")
    expect(feedback).not_to_have_text("")
    expect(feedback).not_to_have_text("Đang chuẩn bị ảnh…")
    expect(feedback).not_to_have_text("Đang tải ảnh lên…")
    assert "text-danger" in feedback.get_attribute("class")
    expect(page.locator("#essay-photo-list li")).to_have_count(0)
    expect(page.locator("#essay-photo-file")).to_have_value("")
