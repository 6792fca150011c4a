"""Judging on a phone (360×740), issue 13: two judges disagree beyond the band, reconcile
(each sees where they differ), stay apart, and the chief judge decides. Also the judge's queue
and sheet: unscored first with progress and a filter, previous/next, the step shown before the
first mistake, a fixed value's error gone as the judge types, every check before the
confirmation, and one Idempotency-Key per press of "Nộp điểm"."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from contests.judging import services
from contests.judging.models import Assignment
from core.accounts.models import User
from core.clock import utcnow
from core.extensions import db
from tests.browser.conftest import sign_in
from tests.browser.judging_rounds import closed_assigned_round

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def phone_as(browser, live_server):
    """Open a signed-in page on a 360×740 phone for a user (one browser context each)."""
    contexts = []

    def open_as(username: str):
        context = browser.new_context(
            locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh",
            viewport=PHONE,
            is_mobile=True,
            has_touch=True,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        sign_in(page, live_server, username)
        return page

    yield open_as
    for context in contexts:
        context.close()


def fits_the_phone(page) -> None:
    """Nothing on the page is wider than the phone's screen (no sideways scrolling)."""
    page.wait_for_load_state()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide"


def new_round(live_app, n_entries: int) -> dict:
    """A closed round with its rubric, judges 2–5 active (judge6 reserve and chief), assigned."""
    with live_app.app_context(), live_app.test_request_context():
        now = utcnow()
        made = closed_assigned_round(title="điện thoại", n_entries=n_entries, seed=3, now=now)
        round_, entries = made.round, made.entries
        sheets = db.session.execute(
            sa.select(Assignment.id, Assignment.entry_id, Assignment.position, User.username)
            .join(User, User.id == Assignment.judge_id)
            .where(Assignment.round_id == round_.id)
            .order_by(Assignment.position, Assignment.id)
        ).all()
        data = {
            "round": round_.id,
            "name": round_.name,
            "codes": {e.id: e.code for e in entries},
            "sheets": [tuple(row) for row in sheets],
        }
        db.session.commit()
        db.session.remove()
    return data


def submit_on_page(page) -> None:
    left = page.url
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Nộp điểm").click()
    page.wait_for_url(lambda new: new != left)


def fill_sheet(page, values) -> None:
    page.locator("#judging-sheet[data-ready='true']").wait_for()
    fields = page.locator("[data-criterion]")
    for index, value in enumerate(values):
        fields.nth(index).fill(value)
    page.locator("#sheet-status", has_text="Đã lưu").wait_for()


def test_two_judges_reconcile_stay_apart_and_the_chief_decides_on_a_phone(
    live_server, live_app, phone_as
):
    data = new_round(live_app, 1)
    ((entry_id, code),) = data["codes"].items()
    (first_id, first), (second_id, second) = [
        (sheet_id, username) for sheet_id, e, _pos, username in data["sheets"] if e == entry_id
    ]

    # The first judge finds the entry in the queue and marks it: 8 out of 10.
    a = phone_as(first)
    a.goto(live_server("/judging"))
    a.locator("li.list-group-item", has_text=code).get_by_role("link", name=code).click()
    fits_the_phone(a)
    fill_sheet(a, ["4", "2", "2"])
    submit_on_page(a)

    # The second gives 6.75: 12.5 % apart, beyond the band for the mean — they reconcile.
    b = phone_as(second)
    b.goto(live_server(f"/judging/sheets/{second_id}"))
    fill_sheet(b, ["2.75", "2", "2"])
    submit_on_page(b)

    for page, sheet_id in ((a, first_id), (b, second_id)):
        page.goto(live_server("/judging"))
        item = page.locator("li.list-group-item", has_text=code)
        expect(item).to_contain_text("Cần thống nhất lại")
        item.get_by_role("link", name=code).click()
        assert page.url.endswith(f"/judging/sheets/{sheet_id}")
        fits_the_phone(page)
        # Both see where they differ: the first criterion only, and the other judge's marks.
        gaps = page.locator("[data-gap]")
        expect(gaps).to_have_count(1)
        expect(gaps).to_have_text("hai giám khảo lệch nhau ở đây")
        expect(page.locator("label", has=gaps)).to_contain_text("Nội dung")
        expect(page.get_by_role("heading", name="Điểm của các giám khảo khác")).to_be_visible()
        # They look again and keep their marks: still apart.
        page.locator("#judging-sheet[data-ready='true']").wait_for()
        submit_on_page(page)

    # The chief judge decides.
    chief = phone_as("judge6")
    chief.goto(live_server("/judging"))
    chief.get_by_role("link", name=f"Trưởng ban giám khảo: {data['name']}").click()
    case = chief.locator("li.list-group-item", has_text=code)
    expect(case).to_contain_text("Chờ trưởng ban giám khảo")
    case.get_by_role("link", name="Xem").click()
    chief.get_by_label("Điểm chính thức").fill("7,5")
    chief.get_by_label("Lý do").fill("Hai giám khảo vẫn lệch; bài có tình huống cụ thể.")
    chief.get_by_role("button", name="Ghi nhận quyết định").click()
    expect(chief.get_by_text("Đã ghi nhận quyết định.")).to_be_visible()
    fits_the_phone(chief)

    with live_app.app_context():
        latest = services.latest_resolution(entry_id)
        assert (latest.outcome, latest.final, latest.value) == (
            services.CHIEF_DECISION,
            True,
            Decimal("7.5"),
        )
        db.session.remove()


@pytest.fixture
def three_sheets(live_app):
    """A judge with three sheets in a new round, the first in queue order already submitted."""
    data = new_round(live_app, 6)
    counts: dict[str, list] = {}
    for sheet_id, entry_id, _position, username in data["sheets"]:
        counts.setdefault(username, []).append((sheet_id, entry_id))
    username, sheets = max(counts.items(), key=lambda item: len(item[1]))
    assert len(sheets) >= 3
    done_id, done_entry = sheets[0]
    with live_app.app_context(), live_app.test_request_context():
        sheet = db.session.get(Assignment, done_id)
        ids = [c.id for c in services.current_rubric(sheet.round_id).criteria]
        services.save_marks(
            assignment=sheet,
            marks=dict(zip(ids, ["3", "2", "2"], strict=True)),
            comment="",
            seq=1,
        )
        services.submit_marks(assignment=sheet)
        db.session.commit()
        db.session.remove()
    return {
        **data,
        "judge": username,
        "total": len(sheets),
        "done_code": data["codes"][done_entry],
        "todo": [data["codes"][e] for _s, e in sheets[1:]],
    }


def test_queue_lists_unscored_first_with_progress_and_a_filter(live_server, phone_as, three_sheets):
    page = phone_as(three_sheets["judge"])
    page.goto(live_server("/judging"))
    fits_the_phone(page)
    section = page.locator("section", has=page.get_by_role("heading", name=three_sheets["name"]))
    total = three_sheets["total"]
    expect(section.locator("[data-progress]")).to_have_text(f"1/{total}")
    items = section.locator("li.list-group-item")
    expect(items).to_have_count(total)
    codes = [items.nth(i).locator("a").inner_text() for i in range(total)]
    assert codes[-1] == three_sheets["done_code"]
    assert sorted(codes[:-1]) == sorted(three_sheets["todo"])
    expect(items.last).to_contain_text("Đã nộp")

    page.get_by_role("link", name="Chỉ bài chưa chấm").click()
    expect(items).to_have_count(total - 1)
    expect(section).not_to_contain_text(three_sheets["done_code"])
    expect(section.locator("[data-progress]")).to_have_text(f"1/{total}")
    expect(page.get_by_role("link", name="Hiện tất cả bài")).to_be_visible()


def test_sheet_previous_next_step_and_errors_before_the_confirmation(
    live_server, phone_as, three_sheets
):
    page = phone_as(three_sheets["judge"])
    page.goto(live_server("/judging?show=unscored"))
    section = page.locator("section", has=page.get_by_role("heading", name=three_sheets["name"]))
    first_code = section.locator("li.list-group-item a").first.inner_text()
    section.get_by_role("link", name=first_code).click()
    todo = three_sheets["total"] - 1

    # (b) previous / next through the unscored sheets.
    expect(page.locator("[data-position]")).to_have_text(f"1/{todo}")
    expect(page.get_by_role("link", name="Bài trước")).to_have_count(0)
    page.get_by_role("link", name="Bài sau").click()
    expect(page.locator("[data-position]")).to_have_text(f"2/{todo}")
    page.get_by_role("link", name="Bài trước").click()
    expect(page.locator("[data-position]")).to_have_text(f"1/{todo}")
    expect(page.locator("h1")).to_contain_text(first_code)
    fits_the_phone(page)

    # (c) the allowed step is shown before the judge makes any mistake.
    page.locator("#judging-sheet[data-ready='true']").wait_for()
    expect(page.locator("#sheet-step")).to_be_visible()
    expect(page.locator("#sheet-step")).to_contain_text("Điểm chấm theo bước 0,25 điểm")
    expect(page.locator(".invalid-feedback:visible")).to_have_count(0)

    # (d) with no save reaching the server, mistakes show and a fixed value's error goes.
    form = page.locator("#judging-sheet")
    save_url = live_server(form.get_attribute("data-url"))
    page.route(save_url, lambda route: route.abort())
    fields = page.locator("[data-criterion]")
    first_error = page.locator(f"#{fields.nth(0).get_attribute('id')}-error")
    fields.nth(0).fill("5")
    expect(first_error).to_have_text("Hãy nhập điểm từ 0 đến 4.")
    expect(first_error).to_be_visible()
    expect(fields.nth(0)).to_have_attribute("aria-invalid", "true")
    fields.nth(0).fill("3")
    expect(first_error).to_be_hidden(timeout=2_000)
    expect(fields.nth(0)).not_to_have_attribute("aria-invalid", "true")
    fields.nth(1).fill("2.3")
    second_error = page.locator(f"#{fields.nth(1).get_attribute('id')}-error")
    expect(second_error).to_have_text("Điểm chấm theo bước 0,25 điểm.")
    fields.nth(1).fill("2,25")
    expect(second_error).to_be_hidden(timeout=2_000)

    # (e) every check runs before the confirmation: an empty criterion, then an out-of-range one.
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    submit = page.get_by_role("button", name="Nộp điểm")
    submit.click()
    third_error = page.locator(f"#{fields.nth(2).get_attribute('id')}-error")
    expect(third_error).to_have_text("Hãy cho điểm mọi tiêu chí trước khi nộp.")
    expect(fields.nth(2)).to_be_focused()
    fields.nth(2).fill("9")
    submit.click()
    expect(third_error).to_have_text("Hãy nhập điểm từ 0 đến 3.")
    assert dialogs == []
    fields.nth(2).fill("2")
    with page.expect_event("dialog"):
        submit.click()
    assert len(dialogs) == 1  # now the confirmation, dismissed: nothing sent


def test_each_press_of_submit_sends_its_own_idempotency_key(live_server, phone_as, three_sheets):
    page = phone_as(three_sheets["judge"])
    page.goto(live_server("/judging?show=unscored"))
    section = page.locator("section", has=page.get_by_role("heading", name=three_sheets["name"]))
    section.locator("li.list-group-item a").first.click()
    fill_sheet(page, ["3", "2", "2"])
    form = page.locator("#judging-sheet")
    submit_url = live_server(form.get_attribute("data-submit-url"))
    keys = []

    def first_fails(route):
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 1:
            route.fulfill(
                status=503,
                content_type="application/json",
                body='{"error": {"message": "Máy chủ đang bận, thử lại sau."}}',
            )
        else:
            route.continue_()

    page.route(submit_url, first_fails)
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Nộp điểm").click()
    expect(page.locator("#sheet-status")).to_have_text("Máy chủ đang bận, thử lại sau.")
    left = page.url
    page.get_by_role("button", name="Nộp điểm").click()
    page.wait_for_url(lambda new: new != left)

    assert len(keys) == 2 and all(keys) and keys[0] != keys[1]
