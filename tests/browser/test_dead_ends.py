"""No dead ends, each seen on a phone (360×740): the quiz navigator and the summary before
submitting, attempts used up, leaderboard links before release, confirmed publication, the judge
picker, draw-rule errors beside their rule, the organizer's to-do list, the grouped menu and
tables that scroll in their own box."""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from contests.essay.models import EssayRound
from contests.quiz.models import QuestionCategory, QuizContest, QuizRound
from core.accounts.models import Role, RoleAssignment, User
from core.clock import utcnow
from core.extensions import db
from core.schools.models import School
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def vietnam_time(value) -> str:
    """A stored UTC time as the pages show it: "HH:mm dd/MM/yyyy" in Vietnam."""
    return value.replace(tzinfo=ZoneInfo("UTC")).astimezone(HANOI).strftime("%H:%M %d/%m/%Y")


def round_id(live_app, title: str) -> int:
    with live_app.app_context():
        found = db.session.scalar(sa.select(QuizRound.id).where(QuizRound.title == title))
        db.session.remove()
    return found


def test_student_uses_the_navigator_and_the_summary_before_submitting(phone, live_server, live_app):
    dialogs = []
    phone.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
    sign_in(phone, live_server, "student6")
    phone.goto(live_server(f"/quiz/rounds/{round_id(live_app, 'Vòng 2')}"))
    phone.get_by_test_id("start-quiz").click()
    phone.wait_for_selector("#quiz-form:not(.d-none)")
    progress = phone.get_by_test_id("quiz-progress")
    expect(progress).to_have_text("Em đã trả lời 0/19 câu")
    boxes = phone.locator("[data-nav]")
    assert boxes.count() == 19

    # Answering fills the question's box and the counter; a flag marks another box.
    questions = phone.locator("fieldset[data-question-id]")
    questions.nth(0).locator("label").first.click()
    expect(progress).to_have_text("Em đã trả lời 1/19 câu")
    expect(boxes.nth(0)).to_have_class(re.compile(r"\bis-answered\b"))
    flag = questions.nth(1).get_by_role("button", name="Đánh dấu để xem lại")
    flag.click()
    expect(flag).to_have_attribute("aria-pressed", "true")
    expect(boxes.nth(1)).to_have_class(re.compile(r"\bis-flagged\b"))
    expect(boxes.nth(1)).to_have_attribute("aria-label", "Câu 2: chưa trả lời, đã đánh dấu xem lại")
    assert page_width(phone) == 360

    # Submitting first shows what is left: unanswered and flagged questions, the empty prediction.
    phone.get_by_test_id("submit-quiz").click()
    summary = phone.get_by_test_id("submit-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Em đã trả lời 1/19 câu")
    expect(phone.get_by_test_id("summary-unanswered")).to_contain_text("Chưa trả lời: Câu 2, Câu 3")
    expect(summary).to_contain_text("Đã đánh dấu xem lại: Câu 2")
    error = phone.get_by_test_id("prediction-error")
    expect(error).to_be_visible()
    expect(error).to_have_text("Em hãy nhập số dự đoán (số nguyên từ 0 trở lên) trước khi nộp bài.")
    prediction = phone.get_by_test_id("prediction")
    expect(prediction).to_have_attribute("aria-invalid", "true")

    # Confirming with the prediction still empty keeps the paper open, at the field.
    phone.get_by_test_id("confirm-submit").click()
    expect(prediction).to_be_focused()
    assert "/quiz/attempts/" not in phone.url

    # A link of the summary leads to the unanswered question.
    phone.get_by_test_id("summary-unanswered").get_by_role("link", name="Câu 3").click()
    assert phone.url.endswith(f"#q-{questions.nth(2).get_attribute('data-question-id')}")

    prediction.fill("7")
    expect(error).to_be_hidden()
    phone.get_by_test_id("confirm-submit").click()
    phone.wait_for_url(re.compile(r"/quiz/attempts/\d+$"))
    assert "confirm" not in dialogs

    # The single attempt is used: "Vào thi" is gone from the round in "my rounds".
    phone.goto(live_server("/quiz"))
    row = phone.locator(".list-group-item", has_text="Vòng 2")
    expect(row.get_by_test_id("no-attempt-left")).to_have_text("Đã hết lượt thi")
    expect(row.get_by_role("link", name="Vào thi")).to_have_count(0)
    phone.goto(live_server(f"/quiz/rounds/{round_id(live_app, 'Vòng 2')}"))
    expect(phone.get_by_test_id("start-quiz")).to_have_count(0)


def test_released_result_links_to_the_leaderboard(phone, live_server, live_app):
    sign_in(phone, live_server, "student8")
    phone.goto(live_server("/quiz"))
    phone.locator(".list-group-item", has_text="Vòng 1").get_by_role(
        "link", name="Kết quả của em"
    ).click()
    phone.wait_for_url(re.compile(r"/quiz/attempts/\d+$"))

    phone.get_by_test_id("result-leaderboard").click()

    phone.wait_for_url(re.compile(r"/quiz/rounds/\d+/leaderboard"))
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Vòng 1")
    assert page_width(phone) == 360


def test_the_shared_board_names_its_signed_in_reader(phone, live_server, live_app):
    # The released board is one page for everyone (cached): the reader's menu and rank come
    # from the page's scripts, so a signed-in student is not shown "Đăng nhập".
    with live_app.app_context():
        name = db.session.scalar(sa.select(User.full_name).where(User.username == "student7"))
        round_id = db.session.scalar(sa.select(QuizRound.id).where(QuizRound.title == "Vòng 1"))
        db.session.remove()
    sign_in(phone, live_server, "student7")

    phone.goto(live_server(f"/quiz/rounds/{round_id}/leaderboard"))

    phone.get_by_role("button", name="Mở trình đơn").click()
    menu = phone.get_by_test_id("user-menu")
    expect(menu).to_have_text(name)
    expect(phone.get_by_role("link", name="Đăng nhập", exact=True)).to_be_hidden()
    expect(phone.locator("#my-rank")).to_contain_text("Thứ hạng của em: ")
    menu.click()
    phone.get_by_role("button", name="Đăng xuất").click()
    phone.wait_for_load_state("networkidle")
    phone.goto(live_server(f"/quiz/rounds/{round_id}/leaderboard"))
    phone.get_by_role("button", name="Mở trình đơn").click()
    expect(phone.get_by_role("link", name="Đăng nhập", exact=True)).to_be_visible()
    expect(phone.get_by_test_id("user-menu")).to_be_hidden()


def test_leaderboard_links_before_release_say_when(phone, live_server, live_app):
    with live_app.app_context():
        open_round = db.session.scalar(sa.select(QuizRound).where(QuizRound.title == "Vòng 2"))
        when = vietnam_time(open_round.results_release_at)
        contest_id = open_round.contest_id
        db.session.remove()
    sign_in(phone, live_server, "student9")

    phone.goto(live_server(f"/quiz/contests/{contest_id}"))
    row = phone.locator(".list-group-item", has_text="Vòng 2")
    expect(row.get_by_test_id("leaderboard-later")).to_have_text(
        f"Bảng xếp hạng công bố lúc {when}"
    )
    expect(row.get_by_role("link", name="Bảng xếp hạng")).to_have_count(0)
    expect(phone.get_by_test_id("round-paper").first).to_contain_text("19 câu hỏi")
    # The contest's description states the paper the draw rules make.
    expect(phone.locator(".campaign-description")).to_contain_text("mỗi vòng 19 câu hỏi")

    phone.goto(live_server("/campaigns"))
    phone.locator("main a[href^='/campaigns/']").first.click()
    rounds = phone.get_by_test_id("rounds-now")
    expect(rounds.get_by_test_id("leaderboard-later").first).to_have_text(
        f"Bảng xếp hạng công bố lúc {when}"
    )
    expect(rounds.get_by_role("link", name="Bảng xếp hạng")).to_have_count(0)
    # The campaign page fits the phone (the phase chips used to push it to 401 px).
    assert page_width(phone) == 360


@pytest.fixture
def closed_round(live_app):
    """A ranked round closed an hour ago, its results not yet released, and a round opening in
    two days (for the organizer's to-do list)."""
    tag = uuid.uuid4().hex[:6]
    with live_app.app_context():
        model = db.session.scalar(sa.select(QuizRound).where(QuizRound.title == "Vòng 1"))
        now = utcnow()
        closed = QuizRound(
            contest_id=model.contest_id,
            title=f"Vòng đóng {tag}",
            opens_at=now - timedelta(days=2),
            closes_at=now - timedelta(hours=1),
            draw_rules=model.draw_rules,
            show_answers=False,
        )
        soon = QuizRound(
            contest_id=model.contest_id,
            title=f"Vòng sắp mở {tag}",
            opens_at=now + timedelta(days=2),
            closes_at=now + timedelta(days=4),
            draw_rules=model.draw_rules,
        )
        db.session.add_all([closed, soon])
        db.session.commit()
        ids = {"closed": closed.id, "soon_title": soon.title, "contest": model.contest_id}
        db.session.remove()
    return ids


def test_organizer_confirms_release_and_sees_the_to_do_list(phone, live_server, closed_round):
    sign_in(phone, live_server, "organizer")

    # The home page lists what needs doing.
    phone.goto(live_server("/"))
    expect(phone.get_by_test_id("todo-quiz")).to_contain_text(closed_round["soon_title"])
    expect(phone.get_by_test_id("todo-greennet")).to_contain_text("đang chờ thẩm định")
    assert page_width(phone) == 360

    # Releasing says what it fixes and needs the tick.
    phone.goto(live_server(f"/manage/quiz/rounds/{closed_round['closed']}/results"))
    release = phone.get_by_test_id("release")
    expect(release).to_contain_text("Thời điểm công bố được ghi lại và không thể lùi lại.")
    phone.get_by_test_id("release-submit").click()
    expect(phone.get_by_text("Đã công bố kết quả.")).to_have_count(0)
    phone.get_by_test_id("release-confirm").check()
    phone.get_by_test_id("release-submit").click()
    expect(phone.get_by_text("Đã công bố kết quả.")).to_be_visible()
    expect(release).to_contain_text("Đã công bố lúc")
    assert page_width(phone) == 360


def test_draw_rule_errors_sit_beside_each_short_rule(phone, live_server, live_app):
    with live_app.app_context():
        contest_id = db.session.scalar(sa.select(QuizContest.id).order_by(QuizContest.id))
        categories = db.session.scalars(
            sa.select(QuestionCategory).order_by(QuestionCategory.name).limit(2)
        ).all()
        names = {c.id: c.name for c in categories}
        db.session.remove()
    sign_in(phone, live_server, "organizer")
    phone.goto(live_server(f"/manage/quiz/contests/{contest_id}/rounds/new"))
    phone.get_by_label("Tiêu đề").fill("Vòng thiếu câu")
    phone.locator("#opens_at").fill("2030-01-10T08:00")
    phone.locator("#closes_at").fill("2030-01-12T08:00")
    for category_id in names:
        phone.locator(f"#count_{category_id}").fill("150")

    phone.get_by_role("button", name="Lưu").click()

    for category_id, name in names.items():
        error = phone.locator(f"#count_{category_id}-error")
        expect(error).to_contain_text(f"“{name}” chỉ còn")
    assert page_width(phone) == 360


def test_organizer_filters_judges_by_touch(phone, live_server, live_app):
    with live_app.app_context():
        round_id_ = db.session.scalar(sa.select(EssayRound.id).order_by(EssayRound.id))
        judge = db.session.scalar(
            sa.select(User)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.role == Role.JUDGE)
            .order_by(User.id)
        )
        name = judge.full_name
        db.session.remove()
    sign_in(phone, live_server, "organizer")
    phone.goto(live_server(f"/manage/judging/rounds/{round_id_}/setup"))
    picker = phone.get_by_test_id("checklist-active")
    expect(picker.locator("select")).to_have_count(0)
    before = picker.locator("li.form-check:visible").count()
    assert before > 1

    # Typed without accents, the given name still finds the judge.
    folded = "".join(
        c for c in unicodedata.normalize("NFD", name.split()[-1]) if not unicodedata.combining(c)
    ).replace("đ", "d")
    phone.get_by_role("searchbox", name="Lọc: Giám khảo chính").fill(folded.lower())
    visible = picker.locator("li.form-check:visible")
    assert 1 <= visible.count() < before
    expect(visible.filter(has_text=name)).to_have_count(1)
    box = visible.filter(has_text=name).locator("input")
    was = box.is_checked()
    box.tap()
    assert box.is_checked() != was
    assert page_width(phone) == 360


def test_menu_fits_one_line_at_1366_and_collapses_on_a_phone(browser, phone, live_server):
    context = browser.new_context(locale="vi-VN", viewport={"width": 1366, "height": 768})
    wide = context.new_page()
    sign_in(wide, live_server, "admin")
    bar = wide.locator("#mainnav")
    assert bar.bounding_box()["height"] < 60
    wide.get_by_role("button", name="Các cuộc thi").click()
    expect(wide.locator("#mainnav").get_by_role("link", name="Thi trắc nghiệm")).to_be_visible()
    context.close()

    sign_in(phone, live_server, "organizer")
    phone.get_by_role("button", name="Mở trình đơn").click()
    phone.locator("#mainnav").get_by_role("button", name="Quản lý", exact=True).click()
    expect(phone.locator("#mainnav").get_by_role("link", name="Quản lý chiến dịch")).to_be_visible()
    assert page_width(phone) == 360


def test_coordinator_tables_scroll_in_their_own_box(phone, live_server, live_app):
    with live_app.app_context():
        school_id = db.session.scalar(sa.select(User.school_id).where(User.username == "coord1"))
        assert db.session.get(School, school_id) is not None
        db.session.remove()
    sign_in(phone, live_server, "coord1")
    phone.goto(live_server(f"/schools/{school_id}"))
    box = phone.locator(".table-responsive").first
    expect(box).to_have_attribute("tabindex", "0")
    expect(box).to_have_attribute("role", "region")
    assert box.get_attribute("aria-label")
    box.focus()
    expect(box).to_be_focused()
    assert page_width(phone) == 360
