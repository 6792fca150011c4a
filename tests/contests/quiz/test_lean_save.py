"""saveAnswer's lean route (core.lean): the full route's answers, and every odd case left to it.

Each test says which route answered: ``full`` counts calls of the full saveAnswer view.
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from contests.quiz import services
from contests.quiz.models import Answer, Attempt, AttemptStatus
from core.extensions import db
from core.lean import identifier
from tests.contests.quiz.factories import counting_view, lean_routes_off


@pytest.fixture
def full(app, monkeypatch):
    return counting_view(app, monkeypatch, "quiz_api.save_answer")


@pytest.fixture
def paper(client, quiz, make, login, frozen):
    round_ = quiz.round(count=3)
    student = make.student()
    login(student)
    attempt = client.post(f"/api/v1/rounds/{round_.id}/attempts").json
    question = attempt["questions"][0]
    return SimpleNamespace(
        round=round_,
        student=student,
        attempt=attempt,
        question=question,
        path=f"/api/v1/attempts/{attempt['id']}/answers/{question['id']}",
        choices=[c["id"] for c in question["choices"]],
    )


def stored(paper) -> list[tuple]:
    return db.session.execute(
        sa.select(Answer.question_id, Answer.choice_ids, Answer.seq).where(
            Answer.attempt_id == paper.attempt["id"]
        )
    ).all()


def test_a_plain_save_is_served_lean_with_the_full_routes_answer(app, client, paper, full):
    lean_response = client.put(paper.path, json={"choice_ids": [paper.choices[1]], "seq": 5})

    assert full == []
    assert lean_response.status_code == 200
    assert lean_response.json == {
        "question_id": paper.question["id"],
        "choice_ids": [paper.choices[1]],
        "seq": 5,
        "saved": True,
        "seconds_remaining": 900,
    }
    assert stored(paper) == [(paper.question["id"], [paper.choices[1]], 5)]

    with lean_routes_off(app):
        full_response = client.put(paper.path, json={"choice_ids": [paper.choices[2]], "seq": 6})

    assert len(full) == 1
    assert full_response.json == {**lean_response.json, "choice_ids": [paper.choices[2]], "seq": 6}
    assert stored(paper) == [(paper.question["id"], [paper.choices[2]], 6)]
    ignore = {"Content-Length", "Set-Cookie"}
    assert {(k, v) for k, v in lean_response.headers.items() if k not in ignore} == {
        (k, v) for k, v in full_response.headers.items() if k not in ignore
    }


def test_a_repeated_choice_is_stored_once_and_echoed_as_sent(
    client, quiz, make, login, frozen, full
):
    category = quiz.category()
    question = quiz.question(category, kind="multiple", correct=(0, 1))
    round_ = quiz.round(category=category, count=1, questions=0)
    login(make.student())
    attempt = client.post(f"/api/v1/rounds/{round_.id}/attempts").json
    choices = [c["id"] for c in attempt["questions"][0]["choices"]]

    response = client.put(
        f"/api/v1/attempts/{attempt['id']}/answers/{question.id}",
        json={"choice_ids": [choices[0], choices[1], choices[0]], "seq": 1},
    )

    assert full == []
    assert response.json["choice_ids"] == [choices[0], choices[1], choices[0]]
    saved = db.session.scalar(
        sa.select(Answer.choice_ids).where(Answer.attempt_id == attempt["id"])
    )
    assert saved == [choices[0], choices[1]]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"choice_ids": [], "seq": 1, "extra": 1}, 400),
        ({"choice_ids": [], "seq": "1"}, 400),
        ({"choice_ids": ["1"], "seq": 1}, 400),
        ({"choice_ids": [1.5], "seq": 1}, 400),
        ({"choice_ids": [], "seq": -1}, 400),
        ({"choice_ids": [], "seq": 2**31}, 400),
        ({"seq": 1}, 400),
        ([], 400),
    ],
)
def test_a_body_the_schema_refuses_goes_to_the_full_route(client, paper, full, body, status):
    response = client.put(paper.path, json=body)

    assert response.status_code == status
    assert len(full) == 1
    assert stored(paper) == []


def test_malformed_json_goes_to_the_full_route(client, paper, full):
    response = client.put(paper.path, data="{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json["error"]
    assert stored(paper) == []


def test_what_the_paper_does_not_allow_goes_to_the_full_route(client, paper, full):
    other_question = paper.attempt["questions"][1]
    wrong_choice = other_question["choices"][0]["id"]

    two = client.put(paper.path, json={"choice_ids": paper.choices[:2], "seq": 1})
    foreign = client.put(paper.path, json={"choice_ids": [wrong_choice], "seq": 1})
    off_paper = client.put(
        f"/api/v1/attempts/{paper.attempt['id']}/answers/999999",
        json={"choice_ids": [], "seq": 1},
    )

    assert (two.status_code, foreign.status_code, off_paper.status_code) == (400, 400, 404)
    assert len(full) == 3
    assert stored(paper) == []


def test_an_older_seq_is_answered_by_the_full_route_and_keeps_the_newer(client, paper, full):
    client.put(paper.path, json={"choice_ids": [paper.choices[0]], "seq": 9})

    response = client.put(paper.path, json={"choice_ids": [paper.choices[1]], "seq": 3})

    assert response.status_code == 200
    assert response.json["saved"] is False
    assert len(full) == 1
    assert stored(paper) == [(paper.question["id"], [paper.choices[0]], 9)]


def test_another_students_attempt_is_not_found(app, client, paper, make, login, full):
    intruder = app.test_client()
    login(make.student(), intruder)

    response = intruder.put(paper.path, json={"choice_ids": [paper.choices[0]], "seq": 1})

    assert response.status_code == 404
    assert len(full) == 1
    assert stored(paper) == []


def test_without_a_session_the_full_route_asks_to_sign_in(app, paper, full):
    response = app.test_client().put(paper.path, json={"choice_ids": [], "seq": 1})

    assert response.status_code == 401
    assert stored(paper) == []


def test_a_disabled_account_is_refused(client, paper, full):
    paper.student.active = False
    db.session.commit()

    response = client.put(paper.path, json={"choice_ids": [paper.choices[0]], "seq": 1})

    assert response.status_code == 401
    assert stored(paper) == []


def test_a_session_from_another_browser_goes_through_session_protection(client, paper, full):
    response = client.put(
        paper.path,
        json={"choice_ids": [paper.choices[0]], "seq": 1},
        headers={"User-Agent": "another browser"},
    )

    assert response.status_code == 200
    assert len(full) == 1  # Flask-Login marks the session non-fresh: the full route's work


def test_after_submit_and_after_the_deadline_saves_are_refused(client, paper, frozen, full):
    frozen.shift(900 + 31)
    late = client.put(paper.path, json={"choice_ids": [paper.choices[0]], "seq": 1})
    assert late.status_code == 409

    frozen.shift(-(900 + 31))
    client.post(f"/api/v1/attempts/{paper.attempt['id']}/submit")
    after_submit = client.put(paper.path, json={"choice_ids": [paper.choices[0]], "seq": 2})

    assert after_submit.status_code == 409
    assert len(full) == 2
    assert stored(paper) == []


def test_within_the_grace_a_save_is_still_served_lean(client, paper, frozen, full):
    frozen.shift(900 + 20)

    response = client.put(paper.path, json={"choice_ids": [paper.choices[0]], "seq": 1})

    assert response.status_code == 200
    assert response.json["seconds_remaining"] == 0
    assert full == []


def test_an_expired_session_is_refused(client, paper, frozen, full):
    frozen.shift(timedelta(hours=12, seconds=1).total_seconds())

    response = client.put(paper.path, json={"choice_ids": [paper.choices[0]], "seq": 1})

    assert response.status_code == 401
    assert stored(paper) == []


def test_a_stale_sheet_declines_and_is_forgotten(client, paper, full):
    client.put(paper.path, json={"choice_ids": [paper.choices[0]], "seq": 1})
    sheet = services._sheets[paper.attempt["id"]]
    # As if the id had been reused after a rollback: same id, another attempt's start.
    services._sheets[paper.attempt["id"]] = sheet._replace(
        started_at=sheet.started_at - timedelta(seconds=1)
    )

    response = client.put(paper.path, json={"choice_ids": [paper.choices[1]], "seq": 2})

    assert response.status_code == 200
    assert len(full) == 1
    assert paper.attempt["id"] not in services._sheets
    assert stored(paper) == [(paper.question["id"], [paper.choices[1]], 2)]


def test_a_guarded_write_that_changes_nothing_declines(client, paper, full):
    client.put(paper.path, json={"choice_ids": [paper.choices[0]], "seq": 1})
    db.session.execute(
        sa.update(Attempt)
        .where(Attempt.id == paper.attempt["id"])
        .values(status=AttemptStatus.SUBMITTED)
    )
    db.session.commit()

    response = client.put(paper.path, json={"choice_ids": [paper.choices[1]], "seq": 2})

    assert response.status_code == 409
    assert len(full) == 1


def test_the_switch_turns_the_lean_route_off(app, client, paper, full):
    with lean_routes_off(app):
        response = client.put(paper.path, json={"choice_ids": [paper.choices[0]], "seq": 1})

    assert response.status_code == 200
    assert len(full) == 1


class TestCsrf:
    @pytest.fixture(autouse=True)
    def _on(self, paper, app):
        # After the paper is started: from here on, tokens are checked as in production.
        app.config["WTF_CSRF_ENABLED"] = True
        yield
        app.config["WTF_CSRF_ENABLED"] = False

    def token(self, client):
        return client.get("/api/v1/auth/csrf").json["csrf_token"]

    def test_a_valid_token_is_served_lean(self, client, paper, full):
        token = self.token(client)

        response = client.put(
            paper.path,
            json={"choice_ids": [paper.choices[0]], "seq": 1},
            headers={"X-CSRFToken": token},
        )

        assert response.status_code == 200
        assert full == []

    @pytest.mark.parametrize("header", [None, "not-a-token", "other-session"])
    def test_a_missing_or_foreign_token_is_refused(
        self, app, client, paper, make, login, full, header
    ):
        headers = {}
        if header == "other-session":
            other = app.test_client()
            login(make.student(), other)
            headers["X-CSRFToken"] = self.token(other)
        elif header:
            headers["X-CSRFToken"] = header

        response = client.put(
            paper.path, json={"choice_ids": [paper.choices[0]], "seq": 1}, headers=headers
        )

        assert response.status_code == 400
        assert stored(paper) == []


def test_the_path_pattern_matches_the_full_routes_rule(app):
    import re

    from contests.quiz.api import SAVE_ANSWER_PATH

    with app.test_request_context():
        from flask import url_for

        path = url_for("quiz_api.save_answer", attempt_id=12, question_id=345)
    assert re.fullmatch(SAVE_ANSWER_PATH, path)
    assert not re.fullmatch(SAVE_ANSWER_PATH, path + "/")
    assert not re.fullmatch(SAVE_ANSWER_PATH, "/api/v1/attempts/012/answers/345")


@pytest.mark.parametrize(
    "environ",
    [
        {"REMOTE_ADDR": "127.0.0.1"},
        {"REMOTE_ADDR": "10.0.0.7", "HTTP_USER_AGENT": "Mozilla/5.0 (Điện thoại)"},
        {"REMOTE_ADDR": "10.0.0.7", "HTTP_X_FORWARDED_FOR": "203.0.113.9, 10.0.0.1"},
    ],
)
def test_the_session_identifier_is_flask_logins(app, environ):
    from flask_login.utils import _create_identifier

    with app.test_request_context(environ_base=environ):
        from flask import request

        assert identifier(request.environ) == _create_identifier()
