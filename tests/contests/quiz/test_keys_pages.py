"""Keys that stay secret, as students and organizers see the pages and the API."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from contests.quiz import keys, leaderboards, services
from contests.quiz.models import (
    Attempt,
    ExposedBy,
    Pool,
    Question,
    QuestionExposure,
    QuizContest,
    RoundKind,
)
from core.extensions import db
from tests.conftest import T0


def explained(quiz, category, n, *, pool=Pool.CONTEST, tag="K"):
    """Questions whose texts and explanations are unique, so a page can be searched for them."""
    found = []
    for _ in range(n):
        number = quiz.seq()
        found.append(
            quiz.question(
                category,
                pool=pool,
                text=f"Câu hỏi {tag}{number} về luật?",
                explanation=f"Lời giải {tag}{number} bí mật",
            )
        )
    return found


@pytest.fixture
def contest_world(quiz, make, frozen):
    """A contest (default settings) with a released round 1, an open round 2 drawing from the
    same category, and a practice round; a student who took round 1 and practice."""
    contest = quiz.contest()
    category = quiz.category("Luật Trẻ em")
    explained(quiz, category, 5)
    practice_category = quiz.category("Luyện tập")
    explained(quiz, practice_category, 3, pool=Pool.PRACTICE, tag="P")
    first = quiz.round(
        contest,
        category=category,
        count=3,
        title="Vòng 1",
        opens_at=T0 - timedelta(days=3),
        closes_at=T0 - timedelta(days=2),
        results_release_at=T0 - timedelta(days=1),
    )
    second = quiz.round(
        contest,
        category=category,
        count=3,
        title="Vòng 2",
        opens_at=T0 - timedelta(hours=1),
        closes_at=T0 + timedelta(days=1),
        results_release_at=T0 + timedelta(days=2),
    )
    practice = quiz.round(
        contest, category=practice_category, count=3, kind=RoundKind.PRACTICE, title="Luyện tập"
    )
    # Another contest, over, its results out, drawing from the same category.
    elsewhere = quiz.round(
        category=category,
        count=3,
        title="Vòng cũ",
        opens_at=T0 - timedelta(days=5),
        closes_at=T0 - timedelta(days=4),
        results_release_at=T0 - timedelta(days=4),
    )
    student = make.student()
    earlier = T0 - timedelta(days=3)
    old, _ = services.start_attempt(round_=first, user=student, now=earlier)
    services.submit_attempt(attempt=old, now=earlier)
    other, _ = services.start_attempt(round_=elsewhere, user=student, now=T0 - timedelta(days=5))
    services.submit_attempt(attempt=other, now=T0 - timedelta(days=5))
    tried, _ = services.start_attempt(round_=practice, user=student, now=T0)
    services.submit_attempt(attempt=tried, now=T0)
    leaderboards.snapshot_round(round_=first, now=T0 - timedelta(days=1))
    leaderboards.snapshot_contest(contest=contest, now=T0 - timedelta(days=1))
    return {
        "contest": contest,
        "first": first,
        "second": second,
        "practice": practice,
        "student": student,
        "old": old,
        "other": other,
        "tried": tried,
    }


def test_no_student_page_or_payload_shows_a_key_of_an_open_rounds_paper(
    client, login, make, contest_world
):
    w = contest_world
    classmate = make.student()
    services.start_attempt(round_=w["second"], user=classmate, now=T0)
    login(w["student"])
    second, first = w["second"].id, w["first"].id

    started = client.post(f"/api/v1/rounds/{second}/attempts")
    attempt = started.json
    question = attempt["questions"][0]
    payloads = {
        "startAttempt": started,
        "startAttempt again": client.post(f"/api/v1/rounds/{second}/attempts"),
        "saveAnswer": client.put(
            f"/api/v1/attempts/{attempt['id']}/answers/{question['id']}",
            json={"choice_ids": [question["choices"][0]["id"]], "seq": 1},
        ),
        "getAttempt": client.get(f"/api/v1/attempts/{attempt['id']}"),
        "listMyRounds": client.get("/api/v1/me/rounds"),
        "getLeaderboard": client.get(f"/api/v1/rounds/{first}/leaderboard"),
        "getContestLeaderboard": client.get(f"/api/v1/contests/{w['contest'].id}/leaderboard"),
    }
    pages = {
        "home": client.get("/"),
        "my rounds": client.get("/quiz"),
        "contest": client.get(f"/quiz/contests/{w['contest'].id}"),
        "round": client.get(f"/quiz/rounds/{second}"),
        "quiz page": client.get(f"/quiz/rounds/{second}/take"),
        "released review of round 1": client.get(f"/quiz/attempts/{w['old'].id}"),
        "practice review": client.get(f"/quiz/attempts/{w['tried'].id}"),
        "released review of another contest": client.get(f"/quiz/attempts/{w['other'].id}"),
        "round 1 leaderboard": client.get(f"/quiz/rounds/{first}/leaderboard"),
        "contest leaderboard": client.get(f"/quiz/contests/{w['contest'].id}/leaderboard"),
    }

    on_open_papers = set()
    for paper in db.session.scalars(sa.select(Attempt.paper).where(Attempt.round_id == second)):
        on_open_papers |= {item["q"] for item in paper}
    secrets = db.session.scalars(sa.select(Question).where(Question.id.in_(on_open_papers))).all()
    assert len(secrets) >= 3
    statuses = {name: r.status_code for name, r in {**payloads, **pages}.items()}
    # The contest board waits for round 2's release; everything else answers.
    assert statuses == {
        **dict.fromkeys(payloads, 200),
        "startAttempt": 201,
        "getContestLeaderboard": 403,
        **dict.fromkeys(pages, 200),
        "contest leaderboard": 403,
    }
    for name, response in payloads.items():
        text = json.dumps(response.json, ensure_ascii=False)
        assert '"correct"' not in text, name
        assert "explanation" not in text, name
        for q in secrets:
            assert q.explanation not in text, (name, q.id)
    for name, response in pages.items():
        body = response.get_data(as_text=True)
        for q in secrets:
            assert q.explanation not in body, (name, q.id)
            assert q.text not in body, (name, q.id)
    # The practice review did show its own keys (practice questions are never on a ranked paper).
    practice_body = pages["practice review"].get_data(as_text=True)
    assert "Lời giải P" in practice_body and "Đáp án đúng" in practice_body
    # Round 1's review waits for the contest's end; the other contest's review exposed its
    # questions (never drawn again) but holds their keys while the live papers are open.
    assert keys.exposed_among(on_open_papers) == set(w["other"].question_ids) & on_open_papers
    assert 'data-testid="keys-later"' in pages["released review of another contest"].get_data(
        as_text=True
    )


def test_result_page_says_when_keys_will_be_shown(client, login, contest_world):
    w = contest_world
    login(w["student"])

    body = client.get(f"/quiz/attempts/{w['old'].id}").get_data(as_text=True)

    assert 'data-testid="keys-later"' in body
    assert "Đáp án và giải thích được hiển thị từ" in body
    assert "Đáp án đúng" not in body


def test_result_page_review_exposes_its_questions_in_the_same_request(client, login, contest_world):
    w = contest_world
    w["contest"].reveal_keys_after_last_round = False  # round 1's release governs
    db.session.flush()
    login(w["student"])

    body = client.get(f"/quiz/attempts/{w['old'].id}").get_data(as_text=True)
    db.session.expire_all()

    rows = db.session.scalars(sa.select(QuestionExposure)).all()
    assert "Đáp án đúng" in body
    assert sorted((r.question_id, r.exposed_by, r.attempt_id, r.exposed_at) for r in rows) == [
        (q, ExposedBy.REVIEW, w["old"].id, T0) for q in sorted(w["old"].question_ids)
    ]


def test_take_page_safety_corner_is_a_link_only(client, login, contest_world):
    w = contest_world
    login(w["student"])

    take = client.get(f"/quiz/rounds/{w['second'].id}/take").get_data(as_text=True)
    rounds = client.get("/quiz").get_data(as_text=True)

    assert 'data-testid="safety-corner-link"' in take
    assert 'href="/safety/"' in take
    assert 'data-testid="safety-corner"' not in take
    assert "tel:111" not in take and "tel:113" not in take
    assert "miễn phí" not in take and "24 giờ" not in take
    assert 'data-testid="safety-corner"' in rounds and "tel:111" in rounds


# --- organizers ---------------------------------------------------------------------------------


def test_round_form_release_before_close_is_an_error_beside_the_field(client, login, make, quiz):
    contest = quiz.contest()
    category = quiz.category()
    for _ in range(3):
        quiz.question(category)
    login(make.organizer())

    response = client.post(
        f"/manage/quiz/contests/{contest.id}/rounds/new",
        data={
            "title": "Vòng sớm",
            "kind": "ranked",
            "opens_at": "2026-12-01T08:00",
            "closes_at": "2026-12-01T10:00",
            "time_limit": "15",
            "attempts_allowed": "1",
            "multiple_scoring": "all_or_nothing",
            "prediction_actual": "perfect",
            "results_release_at": "2026-12-01T09:00",
            f"count_{category.id}": "3",
        },
    )

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert (
        'id="results_release_at-error" class="invalid-feedback d-block" role="alert">'
        "Không thể công bố kết quả trước khi vòng thi đóng."
    ) in body


def test_round_form_and_bank_page_show_unexposed_counts(client, login, make, quiz, frozen):
    category = quiz.category()
    questions = [quiz.question(category) for _ in range(3)]
    quiz.question(category, pool=Pool.PRACTICE)
    keys.record_exposure(
        question_ids=[questions[0].id], by=ExposedBy.REVIEW, attempt_id=None, now=T0
    )
    contest = quiz.contest()
    login(make.organizer())

    form = client.get(f"/manage/quiz/contests/{contest.id}/rounds/new").get_data(as_text=True)
    bank = client.get("/manage/quiz/questions").get_data(as_text=True)

    assert f'id="count_{category.id}-help" class="form-text">Thi: 2 chưa lộ đáp án / 3' in form
    assert "luyện tập: 1" in form
    row = bank.split(f'data-category-id="{category.id}"')[1].split("</tr>")[0]
    assert '<td data-testid="unexposed-contest">2</td>' in row
    assert '<td data-testid="unexposed-practice">1</td>' in row
    assert bank.count("Đã lộ đáp án") == 1


def test_organizer_home_and_quiz_page_warn_about_a_round_short_of_questions(
    client, login, make, quiz, frozen
):
    category = quiz.category("Kỹ năng")
    questions = [quiz.question(category) for _ in range(3)]
    round_ = quiz.round(
        category=category,
        count=3,
        title="Vòng chung kết",
        opens_at=T0 + timedelta(days=1),
        closes_at=T0 + timedelta(days=2),
    )
    login(make.organizer())
    before = client.get("/").get_data(as_text=True)
    keys.record_exposure(
        question_ids=[questions[0].id], by=ExposedBy.REVIEW, attempt_id=None, now=T0
    )

    home = client.get("/").get_data(as_text=True)
    manage = client.get("/manage/quiz").get_data(as_text=True)

    assert 'data-testid="short-rounds"' not in before
    for body in (home, manage):
        assert 'data-testid="short-rounds"' in body
        assert f"/manage/quiz/rounds/{round_.id}/edit" in body
        assert "“Kỹ năng” cần 3, còn 2" in body


def test_student_home_has_no_short_round_warning(client, login, make, quiz, frozen):
    category = quiz.category()
    quiz.round(category=category, count=3, opens_at=T0 + timedelta(days=1))
    login(make.student())

    assert 'data-testid="short-rounds"' not in client.get("/").get_data(as_text=True)


CHECKED = (
    '<input aria-describedby="reveal_keys_after_last_round-help" checked class="form-check-input" '
    'id="reveal_keys_after_last_round" name="reveal_keys_after_last_round" type="checkbox" '
    'value="y">'
)


def test_contest_form_keeps_keys_back_by_default_and_can_turn_it_off(client, login, make, quiz):
    campaign = quiz.campaign()
    login(make.organizer())

    new = client.get("/manage/quiz/contests/new").get_data(as_text=True)
    on = client.post(
        "/manage/quiz/contests/new",
        data={
            "campaign_id": campaign.id,
            "title": "Bật",
            "reveal_keys_after_last_round": "y",
        },
    )
    off = client.post(
        "/manage/quiz/contests/new", data={"campaign_id": campaign.id, "title": "Tắt"}
    )

    settings = dict(
        db.session.execute(
            sa.select(QuizContest.title, QuizContest.reveal_keys_after_last_round)
        ).all()
    )
    assert CHECKED in new
    assert (on.status_code, off.status_code) == (302, 302)
    assert settings == {"Bật": True, "Tắt": False}
