"""A student takes the open demo round through a network cut and a reload, and sees the result."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from contests.quiz.models import Answer, Attempt, QuizRound
from core.accounts.models import User
from core.extensions import db
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def seconds(timer_text: str) -> int:
    minutes, secs = timer_text.split(":")
    return int(minutes) * 60 + int(secs)


def saved_answers(live_app, username: str) -> dict[int, list[int]]:
    with live_app.app_context():
        rows = db.session.execute(
            sa.select(Answer.question_id, Answer.choice_ids)
            .join(Attempt, Attempt.id == Answer.attempt_id)
            .join(User, User.id == Attempt.user_id)
            .where(User.username == username)
        ).all()
        db.session.remove()
    return {q: c for q, c in rows}


def test_student_takes_open_round_offline_and_after_reload(page, context, live_server, live_app):
    with live_app.app_context():
        round_id = db.session.scalar(sa.select(QuizRound.id).where(QuizRound.title == "Vòng 2"))
        db.session.remove()
    dialogs = []

    def on_dialog(dialog):
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", on_dialog)
    sign_in(page, live_server, "student1")
    page.goto(live_server(f"/quiz/rounds/{round_id}"))
    page.get_by_test_id("start-quiz").click()
    page.wait_for_selector("#quiz-form:not(.d-none)")
    questions = page.locator("fieldset[data-question-id]")
    assert questions.count() == 19
    paper = [questions.nth(i).get_attribute("data-question-id") for i in range(19)]
    state = page.get_by_test_id("save-state")

    # Online: the first answer is saved and the page says so.
    questions.nth(0).locator("label").first.click()
    expect(state).to_have_text("Đã lưu")

    # Offline: two more answers wait on the device.
    context.set_offline(True)
    questions.nth(1).locator("label").nth(1).click()
    questions.nth(2).locator("label").nth(0).click()
    expect(state).to_have_attribute("data-state", "warn")
    assert "Mất kết nối" in state.text_content()
    assert len(saved_answers(live_app, "student1")) == 1

    # Back online: the queue is sent, nothing is lost.
    context.set_offline(False)
    expect(state).to_have_text("Đã lưu", timeout=20_000)
    chosen = {
        int(paper[i]): [int(questions.nth(i).locator("input:checked").get_attribute("value"))]
        for i in range(3)
    }
    assert saved_answers(live_app, "student1") == chosen

    # Reload: the same paper, the same answers, the same remaining time (the server's clock).
    before = seconds(page.get_by_test_id("timer").text_content())
    page.reload()
    page.wait_for_selector("#quiz-form:not(.d-none)")
    assert "beforeunload" in dialogs
    questions = page.locator("fieldset[data-question-id]")
    assert [questions.nth(i).get_attribute("data-question-id") for i in range(19)] == paper
    assert page.locator("fieldset[data-question-id] input:checked").count() == 3
    after = seconds(page.get_by_test_id("timer").text_content())
    assert 0 <= before - after <= 15

    # Submit with the prediction; the result page shows the score.
    page.get_by_test_id("prediction").fill("12")
    page.get_by_test_id("submit-quiz").click()
    # The summary before submitting replaces the browser's confirm dialog.
    page.get_by_test_id("confirm-submit").click()
    page.wait_for_url(re.compile(r"/quiz/attempts/\d+$"))
    result = page.get_by_test_id("result")
    assert re.search(r"\d+ / 19 điểm", result.text_content())
    assert "confirm" not in dialogs
