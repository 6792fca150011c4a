"""The quiz JSON API: the contract, errors (404/409/400, never 500), no answer keys, query counts."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from flask import g

from contests.quiz import leaderboards, services
from contests.quiz.models import Attempt, AttemptStatus, Choice
from core.extensions import db
from tests.conftest import T0
from tests.dbtools import Statements

SECRET = "Giải thích bí mật"


def forget_loaded_objects():
    """Start the next request cold, as a new worker request would (nothing cached)."""
    g.pop("_login_user", None)
    db.session.expunge_all()


def assert_no_keys(payload):
    """No answer key or explanation anywhere in a student-facing payload."""
    text = json.dumps(payload, ensure_ascii=False)
    assert '"correct"' not in text
    assert "explanation" not in text
    assert SECRET not in text


@pytest.fixture
def setup(quiz, make, login, frozen):
    round_ = quiz.round(count=3)
    student = make.student()
    login(student)
    return round_, student


def start(client, round_):
    return client.post(f"/api/v1/rounds/{round_.id}/attempts")


def test_list_my_rounds_shows_open_round(client, setup):
    round_, _student = setup

    response = client.get("/api/v1/me/rounds")

    assert response.status_code == 200
    assert [(r["id"], r["status"], r["time_limit_seconds"]) for r in response.json] == [
        (round_.id, "open", 900)
    ]
    assert set(response.json[0]) >= {
        "id",
        "contest_title",
        "opens_at",
        "closes_at",
        "time_limit_seconds",
        "status",
    }


def test_list_my_rounds_anonymous_is_401(client, db):
    assert client.get("/api/v1/me/rounds").status_code == 401


def test_list_my_rounds_hides_ineligible_round(client, quiz, make, login, frozen):
    quiz.round(eligible_grades="6")
    login(make.student(make.school_class(name="9A1")))

    assert client.get("/api/v1/me/rounds").json == []


def test_start_attempt_creates_then_resumes(client, setup):
    round_, _student = setup

    first = start(client, round_)
    again = start(client, round_)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["id"] == first.json["id"]
    assert again.json["questions"] == first.json["questions"]
    assert first.json["seconds_remaining"] == 900
    assert first.json["status"] == "in_progress"
    assert first.json["prediction_required"] is False
    assert_no_keys(first.json)


def test_start_attempt_ineligible_is_403(client, quiz, make, login, frozen):
    round_ = quiz.round(eligible_levels="TH")
    login(make.student())

    assert start(client, round_).status_code == 403


def test_start_attempt_closed_round_is_409_with_message(client, quiz, make, login, frozen):
    round_ = quiz.round(closes_at=T0)
    login(make.student())

    response = start(client, round_)

    assert response.status_code == 409
    assert response.json["error"]["message"] == "Vòng thi đã đóng."


def test_start_attempt_unknown_round_is_404(client, setup):
    assert client.post("/api/v1/rounds/999999/attempts").status_code == 404


def test_get_attempt_returns_saved_answers(client, setup):
    round_, _ = setup
    attempt = start(client, round_).json
    question = attempt["questions"][0]
    client.put(
        f"/api/v1/attempts/{attempt['id']}/answers/{question['id']}",
        json={"choice_ids": [question["choices"][0]["id"]], "seq": 1},
    )

    response = client.get(f"/api/v1/attempts/{attempt['id']}")

    assert response.status_code == 200
    assert response.json["answers"] == [
        {"question_id": question["id"], "choice_ids": [question["choices"][0]["id"]], "seq": 1}
    ]
    assert_no_keys(response.json)


def test_get_attempt_of_someone_else_is_404(client, setup, make, login, relogin):
    round_, _ = setup
    attempt = start(client, round_).json
    relogin(make.student())

    assert client.get(f"/api/v1/attempts/{attempt['id']}").status_code == 404


def test_save_answer_returns_saved_and_time_left(client, setup, frozen):
    round_, _ = setup
    attempt = start(client, round_).json
    question = attempt["questions"][0]
    frozen.shift(60)

    response = client.put(
        f"/api/v1/attempts/{attempt['id']}/answers/{question['id']}",
        json={"choice_ids": [question["choices"][1]["id"]], "seq": 3},
    )

    assert response.status_code == 200
    assert response.json == {
        "question_id": question["id"],
        "choice_ids": [question["choices"][1]["id"]],
        "seq": 3,
        "saved": True,
        "seconds_remaining": 840,
    }


def test_save_answer_older_seq_is_not_kept(client, setup):
    round_, _ = setup
    attempt = start(client, round_).json
    question = attempt["questions"][0]
    url = f"/api/v1/attempts/{attempt['id']}/answers/{question['id']}"
    client.put(url, json={"choice_ids": [question["choices"][1]["id"]], "seq": 2})

    response = client.put(url, json={"choice_ids": [question["choices"][0]["id"]], "seq": 1})

    assert response.json["saved"] is False
    assert client.get(f"/api/v1/attempts/{attempt['id']}").json["answers"][0]["choice_ids"] == [
        question["choices"][1]["id"]
    ]


def test_save_answer_to_someone_elses_attempt_is_404(client, setup, make, login, relogin):
    round_, _ = setup
    attempt = start(client, round_).json
    question = attempt["questions"][0]
    relogin(make.student())

    response = client.put(
        f"/api/v1/attempts/{attempt['id']}/answers/{question['id']}",
        json={"choice_ids": [], "seq": 1},
    )

    assert response.status_code == 404


def test_save_answer_after_deadline_and_grace_is_409(client, setup, frozen):
    round_, _ = setup
    attempt = start(client, round_).json
    question = attempt["questions"][0]
    frozen.shift(900 + 31)

    response = client.put(
        f"/api/v1/attempts/{attempt['id']}/answers/{question['id']}",
        json={"choice_ids": [question["choices"][0]["id"]], "seq": 1},
    )

    assert response.status_code == 409
    assert response.json["error"]["message"] == "Đã hết giờ: câu trả lời không được lưu."


@pytest.mark.parametrize(
    "body",
    [
        {"seq": 1},
        {"choice_ids": [1]},
        {"choice_ids": "abc", "seq": 1},
        {"choice_ids": ["x"], "seq": 1},
        {"choice_ids": [1], "seq": -1},
        {"choice_ids": [1], "seq": "1"},
        [],
    ],
)
def test_save_answer_malformed_body_is_400(client, setup, body):
    round_, _ = setup
    attempt = start(client, round_).json
    question = attempt["questions"][0]

    response = client.put(f"/api/v1/attempts/{attempt['id']}/answers/{question['id']}", json=body)

    assert response.status_code == 400


def test_save_answer_not_json_is_400(client, setup):
    round_, _ = setup
    attempt = start(client, round_).json
    question = attempt["questions"][0]

    response = client.put(
        f"/api/v1/attempts/{attempt['id']}/answers/{question['id']}",
        data="{not json",
        content_type="application/json",
    )

    assert response.status_code == 400


def test_submit_returns_score_and_retry_is_same(client, setup):
    round_, _ = setup
    attempt = start(client, round_).json
    for question in attempt["questions"]:
        right = db.session.scalar(
            sa.select(Choice.id).where(Choice.question_id == question["id"], Choice.correct)
        )
        client.put(
            f"/api/v1/attempts/{attempt['id']}/answers/{question['id']}",
            json={"choice_ids": [right], "seq": 1},
        )

    first = client.post(f"/api/v1/attempts/{attempt['id']}/submit", json={})
    again = client.post(f"/api/v1/attempts/{attempt['id']}/submit")

    assert first.status_code == again.status_code == 200
    assert (
        first.json
        == again.json
        == {
            "id": attempt["id"],
            "status": "submitted",
            "score": 3.0,
            "max_score": 3.0,
        }
    )


def test_submit_hides_score_when_round_does_not_show_it(client, quiz, make, login, frozen):
    round_ = quiz.round(show_score_on_submit=False)
    login(make.student())
    attempt = start(client, round_).json

    response = client.post(f"/api/v1/attempts/{attempt['id']}/submit")

    assert response.json == {"id": attempt["id"], "status": "submitted"}


def test_submit_someone_elses_attempt_is_404(client, setup, make, login, relogin):
    round_, _ = setup
    attempt = start(client, round_).json
    relogin(make.student())

    assert client.post(f"/api/v1/attempts/{attempt['id']}/submit").status_code == 404


def test_submit_after_deadline_and_grace_is_409(client, setup, frozen):
    round_, _ = setup
    attempt = start(client, round_).json
    frozen.shift(900 + 31)

    response = client.post(f"/api/v1/attempts/{attempt['id']}/submit")

    assert response.status_code == 409
    assert db.session.get(Attempt, attempt["id"]).status == AttemptStatus.IN_PROGRESS


def test_submit_malformed_prediction_is_400(client, setup):
    round_, _ = setup
    attempt = start(client, round_).json

    response = client.post(f"/api/v1/attempts/{attempt['id']}/submit", json={"prediction": "many"})

    assert response.status_code == 400


def test_save_after_submit_is_409(client, setup):
    round_, _ = setup
    attempt = start(client, round_).json
    client.post(f"/api/v1/attempts/{attempt['id']}/submit")
    question = attempt["questions"][0]

    response = client.put(
        f"/api/v1/attempts/{attempt['id']}/answers/{question['id']}",
        json={"choice_ids": [], "seq": 9},
    )

    assert response.status_code == 409


def test_leaderboard_before_release_is_403_for_student(client, setup):
    round_, _ = setup

    response = client.get(f"/api/v1/rounds/{round_.id}/leaderboard")

    assert response.status_code == 403


def test_leaderboard_for_organizer_before_release(client, setup, make, login, relogin):
    round_, _ = setup
    leaderboards.snapshot_round(round_=round_, now=T0)
    relogin(make.organizer())

    response = client.get(f"/api/v1/rounds/{round_.id}/leaderboard?scope=school")

    assert response.status_code == 200
    assert response.json["scope"] == "school"


def test_leaderboard_after_release_shows_my_rank(client, quiz, make, login, frozen):
    round_ = quiz.round(results_release_at=T0)
    student = make.student(full_name="Trần Minh Khôi")
    login(student)
    attempt = start(client, round_).json
    client.post(f"/api/v1/attempts/{attempt['id']}/submit")
    leaderboards.snapshot_round(round_=round_, now=T0)

    response = client.get(f"/api/v1/rounds/{round_.id}/leaderboard?scope=student")

    assert response.status_code == 200
    assert response.json["me"]["rank"] == 1
    assert response.json["me"]["name"] == "Trần M. K."
    assert_no_keys(response.json)


def test_contest_leaderboard_after_release_shows_my_rank(client, quiz, make, login, frozen):
    round_ = quiz.round(results_release_at=T0)
    login(make.student(full_name="Lê Thu Hà"))
    attempt = start(client, round_).json
    client.post(f"/api/v1/attempts/{attempt['id']}/submit")
    leaderboards.snapshot_contest(contest=round_.contest, now=T0)

    response = client.get(f"/api/v1/contests/{round_.contest_id}/leaderboard?scope=student")

    assert response.status_code == 200
    assert response.json["me"]["rank"] == 1
    assert response.json["me"]["name"] == "Lê T. H."
    assert response.json["entrants"] == 1
    assert_no_keys(response.json)


def test_contest_leaderboard_before_release_is_403_for_student(client, setup):
    round_, _ = setup

    response = client.get(f"/api/v1/contests/{round_.contest_id}/leaderboard")

    assert response.status_code == 403
    assert response.json["error"]["message"]


def test_contest_leaderboard_for_organizer_before_release(client, setup, make, relogin):
    round_, _ = setup
    leaderboards.snapshot_contest(contest=round_.contest, now=T0)
    relogin(make.organizer())

    response = client.get(f"/api/v1/contests/{round_.contest_id}/leaderboard?scope=class")

    assert response.status_code == 200
    assert response.json["scope"] == "class"


def test_contest_leaderboard_of_no_contest_is_404_and_needs_a_session(app, client, setup):
    assert client.get("/api/v1/contests/999999/leaderboard").status_code == 404
    assert app.test_client().get("/api/v1/contests/1/leaderboard").status_code == 401


def test_leaderboard_bad_scope_is_400(client, setup, make, login):
    round_, _ = setup
    login(make.organizer())

    assert client.get(f"/api/v1/rounds/{round_.id}/leaderboard?scope=planet").status_code == 400


def test_openapi_names_the_operations(client, db):
    spec = client.get("/api/v1/openapi.json").json

    operations = {
        op["operationId"]
        for path in spec["paths"].values()
        for op in path.values()
        if isinstance(op, dict) and "operationId" in op
    }
    assert {
        "listMyRounds",
        "startAttempt",
        "getAttempt",
        "saveAnswer",
        "submitAttempt",
        "getLeaderboard",
        "getContestLeaderboard",
    } <= operations
    assert "/api/v1/attempts/{attempt_id}/answers/{question_id}" in spec["paths"]


def test_save_answer_query_count_with_the_attempt_token(client, setup, stored_sessions):
    round_, student = setup
    stored_sessions.open(student.id)
    attempt = start(client, round_).json
    question = attempt["questions"][0]
    path = f"/api/v1/attempts/{attempt['id']}/answers/{question['id']}"
    choice = question["choices"][0]["id"]
    headers = {"X-Attempt-Token": attempt["attempt_token"]}

    forget_loaded_objects()
    with Statements() as after_start:
        client.put(path, json={"choice_ids": [choice], "seq": 1}, headers=headers)
    services._sheets.clear()  # a worker other than the one that started the attempt
    with Statements() as first:
        response = client.put(path, json={"choice_ids": [choice], "seq": 2}, headers=headers)
    with Statements() as later:
        client.put(path, json={"choice_ids": [choice], "seq": 3}, headers=headers)

    assert response.status_code == 200
    assert response.json["saved"] is True
    # No user loaded: the guarded upsert alone, once this worker knows the attempt's sheet (the
    # worker that started it does); another worker reads the sheet once.
    assert len(after_start) == 1, "\n".join(after_start)
    assert after_start[0].startswith("INSERT INTO quiz_answer")
    assert len(first) == 2, "\n".join(first)
    assert len(later) == 1, "\n".join(later)
    assert later[0].startswith("INSERT INTO quiz_answer")


def test_save_answer_query_count_without_a_token(app, client, setup):
    round_, _ = setup
    attempt = start(client, round_).json
    question = attempt["questions"][0]
    forget_loaded_objects()
    with Statements() as statements:
        response = client.put(
            f"/api/v1/attempts/{attempt['id']}/answers/{question['id']}",
            json={"choice_ids": [question["choices"][0]["id"]], "seq": 1},
        )

    assert response.status_code == 200
    # user with roles, attempt, upsert
    assert len(statements) == 3, "\n".join(statements)


def test_start_attempt_query_count(app, client, setup):
    round_, _ = setup

    forget_loaded_objects()
    with Statements() as statements:
        response = start(client, round_)

    assert response.status_code == 201
    # user with roles, round, attempts so far, the pool's questions and choices, accommodation,
    # insert, question texts, choice texts (a new attempt has no saved answers to read)
    assert len(statements) == 9, "\n".join(statements)
    assert statements[6].startswith("INSERT INTO quiz_attempt")


def test_leaderboard_query_count(client, quiz, make, relogin, frozen):
    round_ = quiz.round(results_release_at=T0)
    for _ in range(30):
        student = make.student()
        relogin(student)
        attempt = start(client, round_).json
        client.post(f"/api/v1/attempts/{attempt['id']}/submit")
    leaderboards.snapshot_round(round_=round_, now=T0)
    relogin(make.student())

    forget_loaded_objects()
    with Statements() as statements:
        response = client.get(f"/api/v1/rounds/{round_.id}/leaderboard?limit=10")

    assert response.status_code == 200
    assert len(response.json["entries"]) == 10
    # the reader with their session and the round's released snapshot (one statement,
    # contests.quiz.boardapp), top N, the snapshot's standings (where my line would be)
    assert len(statements) == 3, statements

    forget_loaded_objects()
    with Statements() as statements:
        client.get(f"/api/v1/rounds/{round_.id}/leaderboard?limit=10")

    # the top lines and the standings are read once per worker and snapshot
    assert len(statements) == 1, statements


def test_every_student_payload_of_a_journey_is_free_of_keys(client, setup):
    round_, _ = setup
    payloads = [client.get("/api/v1/me/rounds").json]
    attempt = start(client, round_).json
    payloads.append(attempt)
    for question in attempt["questions"]:
        payloads.append(
            client.put(
                f"/api/v1/attempts/{attempt['id']}/answers/{question['id']}",
                json={"choice_ids": [question["choices"][0]["id"]], "seq": 1},
            ).json
        )
    payloads.append(client.get(f"/api/v1/attempts/{attempt['id']}").json)
    payloads.append(client.post(f"/api/v1/attempts/{attempt['id']}/submit").json)
    payloads.append(client.get(f"/api/v1/attempts/{attempt['id']}").json)

    for payload in payloads:
        assert_no_keys(payload)
    assert len(payloads) == 8


def test_start_attempt_query_count_with_the_bank_cached(app, client, setup, make, relogin):
    round_, _ = setup
    path = f"/api/v1/rounds/{round_.id}/attempts"
    app.config["QUIZ_BANK_CACHE_SECONDS"] = 30
    try:
        client.post(path)  # the first start of the round in this worker reads the bank
        relogin(make.student())
        forget_loaded_objects()
        with Statements() as statements:
            response = client.post(path)
    finally:
        app.config["QUIZ_BANK_CACHE_SECONDS"] = 0

    assert response.status_code == 201
    # user with roles, round, attempts so far, whether a drawn question was exposed since the
    # bank was cached, accommodation, insert
    assert len(statements) == 6, "\n".join(statements)


def test_resuming_query_count_with_the_bank_cached(app, client, setup):
    round_, _ = setup
    path = f"/api/v1/rounds/{round_.id}/attempts"
    app.config["QUIZ_BANK_CACHE_SECONDS"] = 30
    try:
        client.post(path)
        forget_loaded_objects()
        with Statements() as statements:
            response = client.post(path)
    finally:
        app.config["QUIZ_BANK_CACHE_SECONDS"] = 0

    assert response.status_code == 200
    # In reads only: user with roles, round, attempts so far, the open attempt's answers.
    assert len(statements) == 4, "\n".join(statements)
