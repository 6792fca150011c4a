"""No dead ends on the quiz: attempts left, leaderboard links before release, releasing results
with a confirmation, draw-rule errors beside each short rule, the organizer's to-do list."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from contests.quiz import services
from contests.quiz.models import AttemptStatus, RoundKind
from contests.quiz.permissions import contest_board_from
from core.audit import AuditEntry
from core.errors import Conflict, ValidationFailed
from core.extensions import db
from tests.conftest import T0


@pytest.fixture
def world(quiz, make, frozen):
    round_ = quiz.round(count=3, results_release_at=T0 + timedelta(days=1))
    student = make.student(full_name="Phạm Thu Trang")
    return round_, student


def submitted(round_, student):
    attempt, _ = services.start_attempt(round_=round_, user=student, now=T0)
    services.submit_attempt(attempt=attempt, prediction=3, now=T0 + timedelta(minutes=5))
    return attempt


# --- attempts left --------------------------------------------------------------------------


def test_has_attempt_left_without_attempt(world):
    round_, _ = world

    assert services.has_attempt_left(round_, None) is True


def test_has_attempt_left_false_once_the_only_attempt_is_submitted(world):
    round_, student = world
    attempt = submitted(round_, student)

    assert services.has_attempt_left(round_, attempt) is False


def test_has_attempt_left_while_in_progress(world):
    round_, student = world
    attempt, _ = services.start_attempt(round_=round_, user=student, now=T0)

    assert attempt.status == AttemptStatus.IN_PROGRESS
    assert services.has_attempt_left(round_, attempt) is True


def test_has_attempt_left_with_a_second_try(world):
    round_, student = world
    round_.attempts_allowed = 2
    attempt = submitted(round_, student)

    assert services.has_attempt_left(round_, attempt) is True


def test_has_attempt_left_always_in_practice(quiz, make, frozen):
    round_ = quiz.round(count=2, kind=RoundKind.PRACTICE)
    attempt = submitted(round_, make.student())

    assert services.has_attempt_left(round_, attempt) is True


def test_my_rounds_hides_take_the_quiz_when_no_attempt_is_left(client, login, world):
    round_, student = world
    submitted(round_, student)
    login(student)

    body = client.get("/quiz").get_data(as_text=True)

    assert "Vào thi" not in body
    assert 'data-testid="take-round"' not in body
    assert "Đã hết lượt thi" in body


def test_my_rounds_offers_take_the_quiz_before_the_first_attempt(client, login, world):
    _, student = world
    login(student)

    body = client.get("/quiz").get_data(as_text=True)

    assert "Vào thi" in body


def test_round_page_has_no_start_button_when_no_attempt_is_left(client, login, world):
    round_, student = world
    submitted(round_, student)
    login(student)

    body = client.get(f"/quiz/rounds/{round_.id}").get_data(as_text=True)

    assert 'data-testid="start-quiz"' not in body
    assert "Em đã dùng hết số lượt làm bài của vòng này." in body


# --- leaderboard links never lead to a refusal --------------------------------------------


def test_contest_page_says_when_the_leaderboard_is_published(client, login, world):
    round_, student = world
    login(student)

    body = client.get(f"/quiz/contests/{round_.contest_id}").get_data(as_text=True)

    # T0 + 1 day is 01:00 UTC on 1 December 2026: 08:00 in Vietnam.
    assert "Bảng xếp hạng công bố lúc 08:00 01/12/2026" in body
    assert f"/quiz/rounds/{round_.id}/leaderboard" not in body
    assert "Bảng xếp hạng toàn cuộc thi được công bố lúc 08:00 01/12/2026." in body


def test_contest_page_links_the_leaderboard_once_released(client, login, world, frozen):
    round_, student = world
    frozen.shift(timedelta(days=2))
    login(student)

    body = client.get(f"/quiz/contests/{round_.contest_id}").get_data(as_text=True)

    assert f"/quiz/rounds/{round_.id}/leaderboard" in body
    assert "Bảng xếp hạng công bố lúc" not in body


def test_contest_page_states_the_paper_from_the_draw_rules(client, login, world):
    round_, student = world
    login(student)

    body = client.get(f"/quiz/contests/{round_.contest_id}").get_data(as_text=True)

    assert "3 câu hỏi, 15 phút" in body


def test_contest_board_from_is_the_last_release(quiz, world):
    round_, _ = world
    later = quiz.round(round_.contest, count=1, results_release_at=T0 + timedelta(days=9))

    assert contest_board_from(round_.contest) == later.results_release_at


def test_contest_board_from_unknown_while_a_round_has_no_release(quiz, world):
    round_, _ = world
    quiz.round(round_.contest, count=1, results_release_at=None)

    assert contest_board_from(round_.contest) is None


def test_result_page_links_to_the_leaderboard_once_released(client, login, world, frozen):
    round_, student = world
    attempt = submitted(round_, student)
    frozen.shift(timedelta(days=2))
    login(student)

    body = client.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)

    assert f'href="/quiz/rounds/{round_.id}/leaderboard"' in body


def test_result_page_before_release_has_no_leaderboard_link(client, login, world):
    round_, student = world
    attempt = submitted(round_, student)
    login(student)

    body = client.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)

    assert f"/quiz/rounds/{round_.id}/leaderboard" not in body
    assert "08:00 01/12/2026" in body


# --- releasing results ------------------------------------------------------------------------


def test_release_results_refused_before_the_round_closes(world, make):
    round_, _ = world

    with pytest.raises(Conflict):
        services.release_results(actor=make.organizer(), round_=round_, now=T0)

    assert round_.results_release_at == T0 + timedelta(days=1)


def test_release_results_sets_the_time_and_audits(world, make):
    round_, _ = world
    organizer = make.organizer()
    now = round_.closes_at + timedelta(minutes=10)

    services.release_results(actor=organizer, round_=round_, now=now)

    assert round_.results_release_at == now
    assert round_.results_released(now) is True
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "quiz.results_release")
    )
    assert entry.actor_id == organizer.id


def test_release_results_refused_twice(world, make):
    round_, _ = world
    now = round_.closes_at + timedelta(minutes=10)
    services.release_results(actor=make.organizer(), round_=round_, now=now)

    with pytest.raises(Conflict):
        services.release_results(actor=make.organizer(), round_=round_, now=now)


def test_release_results_refused_for_practice(quiz, make):
    round_ = quiz.round(count=2, kind=RoundKind.PRACTICE)

    with pytest.raises(Conflict):
        services.release_results(
            actor=make.organizer(), round_=round_, now=round_.closes_at + timedelta(hours=1)
        )


def test_release_page_needs_the_confirmation(client, login, make, world, frozen):
    round_, _ = world
    frozen.shift(timedelta(hours=3))
    login(make.organizer())

    response = client.post(f"/manage/quiz/rounds/{round_.id}/release", follow_redirects=True)

    assert "Hãy đánh dấu ô xác nhận để công bố kết quả." in response.get_data(as_text=True)
    db.session.refresh(round_)
    assert round_.results_release_at == T0 + timedelta(days=1)


def test_release_page_releases_when_confirmed(client, login, make, world, frozen):
    round_, _ = world
    frozen.shift(timedelta(hours=3))
    login(make.organizer())

    response = client.post(
        f"/manage/quiz/rounds/{round_.id}/release", data={"confirm": "y"}, follow_redirects=True
    )

    assert "Đã công bố kết quả." in response.get_data(as_text=True)
    db.session.refresh(round_)
    assert round_.results_release_at == T0 + timedelta(hours=3)


def test_release_page_forbidden_to_student(client, login, world, frozen):
    round_, student = world
    frozen.shift(timedelta(hours=3))
    login(student)

    response = client.post(f"/manage/quiz/rounds/{round_.id}/release", data={"confirm": "y"})

    assert response.status_code == 403


def test_results_page_says_what_releasing_fixes(client, login, make, world, frozen):
    round_, _ = world
    frozen.shift(timedelta(hours=3))
    login(make.organizer())

    body = client.get(f"/manage/quiz/rounds/{round_.id}/results").get_data(as_text=True)

    assert "Thời điểm công bố được ghi lại và không thể lùi lại." in body
    assert "sẽ không bao giờ được rút vào đề thi xếp hạng nữa" in body
    assert 'name="confirm"' in body


# --- draw rules ---------------------------------------------------------------------------


def test_save_round_names_every_short_category_beside_its_rule(quiz, make, world):
    round_, _ = world
    first, second = quiz.category("Luật Trẻ em"), quiz.category("Quy tắc ứng xử")
    quiz.question(first)
    values = {
        "title": "Vòng thiếu",
        "kind": RoundKind.RANKED,
        "opens_at": T0 + timedelta(days=1),
        "closes_at": T0 + timedelta(days=2),
        "time_limit_seconds": 600,
        "draw_rules": [
            {"category_id": first.id, "count": 5},
            {"category_id": second.id, "count": 2},
        ],
    }

    with pytest.raises(ValidationFailed) as caught:
        services.save_round(actor=None, contest=round_.contest, round_=None, now=T0, **values)

    error = caught.value
    assert error.field == f"count_{first.id}"
    assert "“Luật Trẻ em” chỉ còn 1 câu hỏi" in error.message
    assert list(error.details["beside"]) == [f"count_{second.id}"]
    assert "“Quy tắc ứng xử” chỉ còn 0 câu hỏi" in error.details["beside"][f"count_{second.id}"]


def test_round_form_shows_each_short_rule_beside_its_field(client, login, make, quiz, world):
    round_, _ = world
    first, second = quiz.category("Luật Trẻ em"), quiz.category("Quy tắc ứng xử")
    login(make.organizer())

    response = client.post(
        f"/manage/quiz/contests/{round_.contest_id}/rounds/new",
        data={
            "title": "Vòng thiếu",
            "kind": "ranked",
            "opens_at": "2026-12-10T08:00",
            "closes_at": "2026-12-12T08:00",
            "time_limit": 15,
            "attempts_allowed": 1,
            "multiple_scoring": "all_or_nothing",
            "prediction_actual": "perfect",
            f"count_{first.id}": 4,
            f"count_{second.id}": 2,
        },
    )

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    for category in (first, second):
        start = body.index(f'id="count_{category.id}-error"')
        assert f"“{category.name}” chỉ còn 0 câu hỏi" in body[start : start + 400]


# --- the organizer's to-do list -------------------------------------------------------------


def test_rounds_opening_soon_within_a_week(quiz, world):
    round_, _ = world
    soon = quiz.round(
        round_.contest,
        count=1,
        opens_at=T0 + timedelta(days=3),
        closes_at=T0 + timedelta(days=4),
    )
    quiz.round(
        round_.contest,
        count=1,
        opens_at=T0 + timedelta(days=9),
        closes_at=T0 + timedelta(days=10),
    )

    assert services.rounds_opening_soon(now=T0) == [soon]


def test_organizer_home_lists_rounds_opening_soon(client, login, make, quiz, world):
    round_, _ = world
    quiz.round(
        round_.contest,
        count=1,
        title="Vòng sắp mở",
        opens_at=T0 + timedelta(days=3),
        closes_at=T0 + timedelta(days=4),
    )
    login(make.organizer())

    body = client.get("/").get_data(as_text=True)

    assert "Việc cần làm: các vòng thi trắc nghiệm" in body
    assert "Vòng sắp mở" in body
