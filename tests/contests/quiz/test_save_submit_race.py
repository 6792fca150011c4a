"""Every acknowledged answer is graded: saves racing a submit, the scheduler's finalization or the
deadline are either in the grade or refused with 409, never ``200 saved:true`` and left out.

Real concurrent connections on a database of its own (not the rolled-back test transaction),
on both databases: on PostgreSQL the save's guarded statement and the submit's transition
serialize on the attempt row; on SQLite the write lock serializes them.
"""

from __future__ import annotations

import random
import threading
import time
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from contests.quiz import api, services
from contests.quiz.models import Answer, Attempt, AttemptStatus, Choice
from core.extensions import db
from tests.conftest import sign_in
from tests.contests.quiz import factories as quiz_factories

TRIALS = 20
SAVES = 5


@pytest.fixture(scope="module")
def live_app(request, tmp_path_factory):
    return quiz_factories.live_app(request, tmp_path_factory, "quizrace")


@pytest.fixture(params=["token", "cookie"])
def students(request, live_app, monkeypatch):
    """Students of an open round; with ``token`` each has a stored session, so its saves bring
    the attempt's token (served by the token alone), with ``cookie`` they go the full route."""
    round_id, user_ids = quiz_factories.seed_open_round(live_app, students=TRIALS, count=SAVES + 1)
    if request.param == "token":
        sessions = quiz_factories.StoredSessions()
        with live_app.app_context():
            for user_id in user_ids:
                sessions.open(user_id)
            db.session.commit()
            db.session.remove()
        monkeypatch.setattr(api, "current_login_session_id", sessions.current)
    return round_id, user_ids


def correct_choices(live_app, question_ids) -> dict[int, int]:
    with live_app.app_context():
        rows = db.session.execute(
            sa.select(Choice.question_id, Choice.id).where(
                Choice.question_id.in_(question_ids), Choice.correct.is_(True)
            )
        ).all()
        db.session.remove()
    return dict(rows)


def graded(live_app, attempt_id):
    with live_app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        status, score = attempt.status, attempt.score
        answers = {
            question_id: (choice_ids, points)
            for question_id, choice_ids, points in db.session.execute(
                sa.select(Answer.question_id, Answer.choice_ids, Answer.points).where(
                    Answer.attempt_id == attempt_id
                )
            )
        }
        db.session.remove()
    return status, score, answers


def begin(live_app, round_id, user_id):
    """A started attempt: its id, the questions to save and each one's right choice."""
    client = sign_in(live_app.test_client(), user_id)
    attempt = client.post(f"/api/v1/rounds/{round_id}/attempts").json
    services.forget_cached_rows()  # the saves' worker has not seen the attempt
    questions = [q["id"] for q in attempt["questions"]][:SAVES]
    return attempt, questions, correct_choices(live_app, questions)


def save_headers(attempt) -> dict:
    """What the quiz page sends with a save (the attempt's capability, when it has one)."""
    token = attempt.get("attempt_token")
    return {"X-Attempt-Token": token} if token else {}


def race(live_app, user_id, attempt, questions, right, close, rng):
    """Send ``close`` and, 0–30 ms after it, one save of the right choice to each question, each
    on its own connection; return the saves' (question, status, body)."""
    clients = [sign_in(live_app.test_client(), user_id) for _ in questions]
    saves: list[tuple[int, int, dict]] = []
    errors: list[BaseException] = []
    go = threading.Event()

    def save(client, question_id, delay):
        go.wait()
        time.sleep(delay)
        try:
            response = client.put(
                f"/api/v1/attempts/{attempt['id']}/answers/{question_id}",
                json={"choice_ids": [right[question_id]], "seq": 1},
                headers=save_headers(attempt),
            )
            saves.append((question_id, response.status_code, response.json))
        except BaseException as error:  # reported by the test
            errors.append(error)

    threads = [
        threading.Thread(target=save, args=(client, question_id, rng.uniform(0, 0.030)))
        for client, question_id in zip(clients, questions, strict=True)
    ]
    for thread in threads:
        thread.start()
    go.set()
    close()
    for thread in threads:
        thread.join(30)
    assert errors == []
    return saves


def disagreements(live_app, attempt, right, saves) -> list[str]:
    """Each acknowledged save in the grade with its points; each refused one absent."""
    status, score, answers = graded(live_app, attempt["id"])
    found = []
    if status != AttemptStatus.SUBMITTED:
        found.append(f"attempt {attempt['id']} is {status}")
    for question_id, code, body in saves:
        stored = answers.get(question_id)
        if code == 200 and body["saved"] is True:
            if stored != ([right[question_id]], 1.0):
                found.append(f"question {question_id}: 200 saved:true, graded {stored}")
        elif code == 409:
            if stored is not None:
                found.append(f"question {question_id}: 409, yet stored {stored}")
        else:
            found.append(f"question {question_id}: answered {code} {body}")
    if score != sum(points or 0 for _choices, points in answers.values()):
        found.append(f"score {score} disagrees with the answers' points {answers}")
    return found


def test_saves_racing_a_submit_are_graded_or_refused(live_app, students):
    round_id, user_ids = students
    rng = random.Random(11)
    found, outcomes = [], set()
    for user_id in user_ids:
        attempt, questions, right = begin(live_app, round_id, user_id)
        submitter = sign_in(live_app.test_client(), user_id)

        def submit(submitter=submitter, attempt=attempt):
            response = submitter.post(f"/api/v1/attempts/{attempt['id']}/submit")
            assert response.status_code == 200

        saves = race(live_app, user_id, attempt, questions, right, submit, rng)
        found += disagreements(live_app, attempt, right, saves)
        outcomes |= {code for _q, code, _b in saves}

    assert found == []
    assert outcomes <= {200, 409}


def test_saves_racing_the_schedulers_finalization_are_graded_or_refused(live_app, students):
    """The expiry job closes attempts whose deadline plus grace has passed: a save that reached
    the server just before (within the grace) and one the job overtakes both end up right."""
    round_id, user_ids = students
    rng = random.Random(12)
    found = []
    for user_id in user_ids[:10]:
        attempt, questions, right = begin(live_app, round_id, user_id)
        ends = datetime.fromisoformat(attempt["deadline_at"]) + services.grace(live_app.config)
        # Saves sent over the last 15 ms of the grace and the 15 ms after it; the job runs as
        # the grace ends.
        with time_machine.travel(ends - timedelta(milliseconds=15), tick=True):

            def finalize(ends=ends):
                with live_app.app_context():
                    services.finalize_expired(now=ends + timedelta(microseconds=1))
                    db.session.commit()
                    db.session.remove()

            saves = race(live_app, user_id, attempt, questions, right, finalize, rng)
        found += disagreements(live_app, attempt, right, saves)

    assert found == []
