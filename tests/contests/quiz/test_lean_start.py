"""startAttempt's lean route (core.lean): the full route's answer and row, every other case left to it.

Each test says which route answered: ``full`` counts calls of the full startAttempt view.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from contests.quiz import services
from contests.quiz.models import Accommodation, Attempt, AttemptStatus, RoundKind
from core import lean
from core.accounts.models import Role
from core.extensions import db
from tests.conftest import T0
from tests.contests.quiz.factories import counting_view, lean_routes_off

pytestmark = pytest.mark.usefixtures("frozen")  # the factory's rounds are open at T0

COLUMNS = (
    "round_id",
    "user_id",
    "number",
    "school_id",
    "class_id",
    "status",
    "paper",
    "started_at",
    "deadline_at",
    "submitted_at",
    "finalized_by",
    "score",
    "max_score",
    "prediction",
    "duration_ms",
)


@pytest.fixture
def full(app, monkeypatch):
    return counting_view(app, monkeypatch, "quiz_api.start_attempt")


def start(client, round_, **kwargs):
    return client.post(f"/api/v1/rounds/{round_.id}/attempts", **kwargs)


def rows(round_) -> list[tuple]:
    columns = [getattr(Attempt, name) for name in COLUMNS]
    return [
        tuple(row)
        for row in db.session.execute(
            sa.select(*columns).where(Attempt.round_id == round_.id).order_by(Attempt.id)
        )
    ]


@pytest.fixture
def fixed_round(quiz):
    """A round whose paper is the same for everyone: every question, in order, choices too (its
    three questions have difficulties 1, 2 and 3, which a balanced draw takes in that order)."""
    return quiz.round(
        count=3, shuffle_questions=False, shuffle_choices=False, balance_difficulty=True
    )


def test_a_new_start_is_served_lean_with_the_full_routes_answer_and_row(
    app, client, fixed_round, make, relogin, frozen, full
):
    klass = make.school_class()
    relogin(make.student(klass))
    lean_response = start(client, fixed_round)

    assert full == []
    assert lean_response.status_code == 201

    relogin(make.student(klass))
    with lean_routes_off(app):
        full_response = start(client, fixed_round)

    assert len(full) == 1
    assert full_response.status_code == 201
    lean_json, full_json = lean_response.json, full_response.json
    assert lean_json["id"] != full_json["id"]
    assert {**lean_json, "id": None} == {**full_json, "id": None}
    assert lean_json["seconds_remaining"] == 900
    assert lean_json["deadline_at"] == (T0 + timedelta(seconds=900)).isoformat()
    assert [len(q["choices"]) for q in lean_json["questions"]] == [4, 4, 4]
    ignore = {"Content-Length", "Set-Cookie"}
    assert {(k, v) for k, v in lean_response.headers.items() if k not in ignore} == {
        (k, v) for k, v in full_response.headers.items() if k not in ignore
    }
    # The same row but for its owner.
    lean_row, full_row = rows(fixed_round)
    assert lean_row[1] != full_row[1]
    assert lean_row[:1] + lean_row[2:] == full_row[:1] + full_row[2:]
    assert lean_row[COLUMNS.index("status")] == AttemptStatus.IN_PROGRESS
    assert lean_row[COLUMNS.index("started_at")] == T0


def test_the_lean_answer_carries_no_key_or_explanation(client, fixed_round, make, login, full):
    login(make.student())

    response = start(client, fixed_round)

    assert full == []
    text = json.dumps(response.json, ensure_ascii=False)
    assert '"correct"' not in text
    assert "explanation" not in text
    assert "Giải thích bí mật" not in text


def test_a_lean_start_draws_a_shuffled_paper_from_the_rules(client, quiz, make, login, full):
    category = quiz.category()
    questions = [quiz.question(category, kind="truefalse") for _ in range(5)]
    round_ = quiz.round(category=category, count=4, questions=0)
    login(make.student())

    response = start(client, round_)

    assert full == []
    drawn = response.json["questions"]
    assert len(drawn) == 4
    assert {q["id"] for q in drawn} < {q.id for q in questions}
    # True/false keeps its natural order (Đúng, Sai) even when choices are shuffled.
    by_id = {q.id: q for q in questions}
    for item in drawn:
        assert [c["id"] for c in item["choices"]] == [c.id for c in by_id[item["id"]].choices]
        assert item["kind"] == "truefalse"
    paper = db.session.scalar(sa.select(Attempt.paper))
    assert [item["q"] for item in paper] == [q["id"] for q in drawn]


@pytest.mark.parametrize("body", [b"{}", None])
def test_an_empty_body_or_none_is_served_lean(client, fixed_round, make, login, full, body):
    login(make.student())
    kwargs = {"data": body, "content_type": "application/json"} if body else {}

    response = start(client, fixed_round, **kwargs)

    assert response.status_code == 201
    assert full == []


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b'{"prediction": 3}', "application/json"),
        (b"[]", "application/json"),
        (b"{not json", "application/json"),
        (b"{}", "text/plain"),
    ],
)
def test_any_other_body_goes_to_the_full_route(
    client, fixed_round, make, login, full, data, content_type
):
    login(make.student())

    response = start(client, fixed_round, data=data, content_type=content_type)

    assert response.status_code == 201  # startAttempt reads no body
    assert len(full) == 1
    assert len(rows(fixed_round)) == 1


def test_starting_again_resumes_lean_with_the_full_routes_answer(
    app, client, fixed_round, make, login, frozen, full
):
    login(make.student())
    first = start(client, fixed_round).json
    for seq, question in enumerate(first["questions"][:2], start=1):
        path = f"/api/v1/attempts/{first['id']}/answers/{question['id']}"
        client.put(path, json={"choice_ids": [question["choices"][1]["id"]], "seq": seq})
    frozen.shift(61)

    again = start(client, fixed_round)
    with lean_routes_off(app):
        again_full = start(client, fixed_round)

    assert (again.status_code, again_full.status_code) == (200, 200)
    assert len(full) == 1
    assert again.json == again_full.json
    assert again.json["id"] == first["id"]
    assert again.json["questions"] == first["questions"]
    assert again.json["seconds_remaining"] == 900 - 61
    assert again.json["answers"] == [
        {"question_id": q["id"], "choice_ids": [q["choices"][1]["id"]], "seq": seq}
        for seq, q in enumerate(first["questions"][:2], start=1)
    ]
    assert len(rows(fixed_round)) == 1


def test_within_the_grace_a_resume_is_lean_and_after_it_the_full_route_finalizes(
    client, fixed_round, make, login, frozen, full
):
    login(make.student())
    first = start(client, fixed_round).json

    frozen.shift(900 + 20)
    within = start(client, fixed_round)
    frozen.shift(11)
    after = start(client, fixed_round)

    assert within.status_code == 200
    assert within.json["seconds_remaining"] == 0
    assert after.status_code == 200
    assert after.json["status"] == "submitted"
    assert after.json["id"] == first["id"]
    assert len(full) == 1
    assert rows(fixed_round)[0][COLUMNS.index("finalized_by")] == "scheduler"


@pytest.mark.parametrize(
    ("after", "status", "lean"), [(930, "in_progress", True), (930.001, "submitted", False)]
)
def test_the_grace_ends_exactly_as_on_the_full_route(
    client, fixed_round, make, login, frozen, full, after, status, lean
):
    login(make.student())
    start(client, fixed_round)

    frozen.shift(after)  # the deadline (900 s) plus the 30 s grace, and just past it
    again = start(client, fixed_round)

    assert again.status_code == 200
    assert again.json["status"] == status
    assert len(full) == (0 if lean else 1)


def test_a_resume_whose_question_left_the_bank_goes_to_the_full_route(
    client, fixed_round, make, login, full
):
    from contests.quiz.models import Question

    login(make.student())
    first = start(client, fixed_round).json
    db.session.get(Question, first["questions"][0]["id"]).retired_at = T0
    db.session.flush()

    again = start(client, fixed_round)

    assert again.status_code == 200
    assert again.json["questions"] == first["questions"]  # the paper is fixed at start
    assert len(full) == 1


@pytest.mark.parametrize("round_kw", [{"attempts_allowed": 3}, {"kind": RoundKind.PRACTICE}])
def test_an_open_attempt_is_resumed_even_with_attempts_left(
    client, quiz, make, login, full, round_kw
):
    round_ = quiz.round(count=2, **round_kw)
    login(make.student())
    first = start(client, round_)

    again = start(client, round_)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["id"] == first.json["id"]
    assert full == []
    assert len(rows(round_)) == 1


def test_a_later_attempt_is_served_lean_with_its_number(client, quiz, make, login, full):
    round_ = quiz.round(count=3, attempts_allowed=2)
    login(make.student())
    first = start(client, round_).json
    client.post(f"/api/v1/attempts/{first['id']}/submit")

    second = start(client, round_)
    third = start(client, round_)

    assert second.status_code == 201
    assert third.status_code == 200  # the second attempt, resumed
    assert third.json["id"] == second.json["id"]
    assert full == []
    client.post(f"/api/v1/attempts/{second.json['id']}/submit")
    used_up = start(client, round_)
    assert used_up.status_code == 409
    assert len(full) == 1
    assert [row[COLUMNS.index("number")] for row in rows(round_)] == [1, 2]


def test_a_practice_round_is_unlimited_and_asks_no_prediction(client, quiz, make, login, full):
    round_ = quiz.round(count=2, kind=RoundKind.PRACTICE, prediction_enabled=True)
    login(make.student())

    for _ in range(3):
        attempt = start(client, round_)
        assert attempt.status_code == 201
        assert attempt.json["prediction_required"] is False
        client.post(f"/api/v1/attempts/{attempt.json['id']}/submit")

    assert full == []
    assert [row[COLUMNS.index("number")] for row in rows(round_)] == [1, 2, 3]


def test_a_prediction_round_asks_for_one(client, quiz, make, login, full):
    round_ = quiz.round(count=2, prediction_enabled=True)
    login(make.student())

    assert start(client, round_).json["prediction_required"] is True
    assert full == []


@pytest.mark.parametrize(
    ("extra", "closes_in", "remaining"),
    [(300, 7200, 1200), (0, 600, 600), (300, 1000, 1000)],
)
def test_extra_time_and_the_round_close_bound_the_deadline(
    client, quiz, make, login, frozen, full, extra, closes_in, remaining
):
    round_ = quiz.round(count=2, closes_at=T0 + timedelta(seconds=closes_in))
    student = make.student()
    if extra:
        db.session.add(
            Accommodation(contest_id=round_.contest_id, user_id=student.id, extra_seconds=extra)
        )
        db.session.flush()
    login(student)

    response = start(client, round_)

    assert full == []
    assert response.json["seconds_remaining"] == remaining
    assert rows(round_)[0][COLUMNS.index("deadline_at")] == T0 + timedelta(seconds=remaining)


@pytest.mark.parametrize(
    ("round_kw", "who", "status"),
    [
        ({"eligible_levels": "TH"}, "student", 403),  # the factory's school is a THCS
        ({"eligible_grades": "6,7"}, "student", 403),  # the factory's class is an 8th grade
        ({}, "judge", 403),
        ({}, "unplaced", 201),  # no level or grade asked: any student may enter
        ({"eligible_grades": "8"}, "unplaced", 403),
        ({"opens_at": T0 + timedelta(minutes=5)}, "student", 409),
        ({"closes_at": T0}, "student", 409),
        ({"count": 5}, "student", 409),  # the bank has 3 questions
        ({"draw_rules": []}, "student", 409),
    ],
)
def test_what_the_plain_case_does_not_cover_goes_to_the_full_route(
    client, quiz, make, login, frozen, full, round_kw, who, status
):
    count = round_kw.pop("count", 3)
    round_ = quiz.round(count=count, questions=3, **round_kw)
    if who == "judge":
        user = make.user(None, Role.JUDGE)
    elif who == "unplaced":
        user = make.user(None, Role.STUDENT)
    else:
        user = make.student()
    login(user)

    response = start(client, round_)

    assert response.status_code == status, response.json
    assert len(full) == (0 if status == 201 else 1)


def test_an_unknown_round_is_not_found(client, make, login, full):
    login(make.student())

    response = client.post("/api/v1/rounds/999999/attempts")

    assert response.status_code == 404
    assert len(full) == 1


def test_a_disabled_account_is_refused(client, fixed_round, make, login, full):
    student = make.student()
    login(student)
    student.active = False
    db.session.flush()

    response = start(client, fixed_round)

    assert response.status_code == 401
    assert rows(fixed_round) == []


def test_without_a_session_the_full_route_asks_to_sign_in(app, fixed_round, full):
    response = start(app.test_client(), fixed_round)

    assert response.status_code == 401
    assert len(full) == 1


def test_a_start_that_raced_another_declines_and_resumes_it(
    client, fixed_round, make, login, monkeypatch, full
):
    """Another request inserted the same attempt number between the lean read and its insert."""
    student = make.student()
    login(student)
    real_first = lean.LeanConnection.first

    def read_then_race(self, prepared, params):
        row = real_first(self, prepared, params)
        if prepared is services._ENTRY_QUERY:
            other = services.start_attempt(round_=fixed_round, user=student, now=T0)[0]
            db.session.flush()
            race.append(other.id)
        return row

    race: list[int] = []
    monkeypatch.setattr(lean.LeanConnection, "first", read_then_race)

    response = start(client, fixed_round)

    assert response.status_code == 200
    assert response.json["id"] == race[0]
    assert len(full) == 1
    assert len(rows(fixed_round)) == 1


def test_the_path_pattern_matches_the_full_routes_rule(app):
    from flask import url_for

    from contests.quiz.api import START_ATTEMPT_PATH

    with app.test_request_context():
        path = url_for("quiz_api.start_attempt", round_id=12)
    assert re.fullmatch(START_ATTEMPT_PATH, path)
    assert not re.fullmatch(START_ATTEMPT_PATH, path + "/")
    assert not re.fullmatch(START_ATTEMPT_PATH, "/api/v1/rounds/012/attempts")


class TestCsrf:
    @pytest.fixture(autouse=True)
    def _on(self, app):
        app.config["WTF_CSRF_ENABLED"] = True
        yield
        app.config["WTF_CSRF_ENABLED"] = False

    def test_a_valid_token_is_served_lean(self, client, fixed_round, make, login, full):
        login(make.student())
        token = client.get("/api/v1/auth/csrf").json["csrf_token"]

        response = start(client, fixed_round, headers={"X-CSRFToken": token})

        assert response.status_code == 201
        assert full == []

    def test_a_missing_token_is_refused(self, client, fixed_round, make, login, full):
        login(make.student())

        response = start(client, fixed_round)

        assert response.status_code == 400
        assert rows(fixed_round) == []
