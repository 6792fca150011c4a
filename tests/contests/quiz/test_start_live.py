"""Starts on a database of its own, as a server runs them, not inside a test's rolled-back
transaction: on SQLite the reads run without the write lock, which is taken for the insert only
and released with the request. Both databases."""

from __future__ import annotations

import sqlite3
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from contests.quiz import services
from contests.quiz.models import Attempt
from core.extensions import db
from tests.conftest import sign_in
from tests.contests.quiz import factories as quiz_factories


@pytest.fixture(scope="module")
def live_app(request, tmp_path_factory):
    return quiz_factories.live_app(request, tmp_path_factory, "quizlive")


@pytest.fixture
def seeded(live_app):
    round_id, (student_id,) = quiz_factories.seed_open_round(live_app)
    return round_id, student_id


def attempts_of(live_app, round_id, user_id) -> int:
    with live_app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count()).where(
                Attempt.round_id == round_id, Attempt.user_id == user_id
            )
        )
        db.session.remove()
    return count


def test_concurrent_starts_give_one_attempt(live_app, seeded):
    """Every request may pass the reads; the insert lets one through, and the others resume
    that attempt."""
    round_id, user_id = seeded
    clients = [sign_in(live_app.test_client(), user_id) for _ in range(4)]
    barrier = threading.Barrier(len(clients))
    answers = []

    def start(client):
        barrier.wait()
        response = client.post(f"/api/v1/rounds/{round_id}/attempts")
        answers.append((response.status_code, response.json["id"]))

    threads = [threading.Thread(target=start, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(status for status, _ in answers) == [200, 200, 200, 201]
    assert len({attempt_id for _, attempt_id in answers}) == 1
    assert attempts_of(live_app, round_id, user_id) == 1


def test_a_start_is_committed_and_neither_it_nor_a_resume_holds_the_write_lock(
    live_app, seeded, monkeypatch
):
    round_id, user_id = seeded
    url = make_url(live_app.config["SQLALCHEMY_DATABASE_URI"])
    locked_while_reading = []

    def write_lock_free() -> bool:
        """Another connection gets SQLite's write lock at once."""
        other = sqlite3.connect(url.database, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            other.close()

    if url.get_backend_name() == "sqlite":
        # The reads of a start (the bank among them) hold no write lock.
        load_bank = services.load_bank

        def watching(*args, **kwargs):
            locked_while_reading.append(not write_lock_free())
            return load_bank(*args, **kwargs)

        monkeypatch.setattr(services.draw, "load_bank", watching)
    client = sign_in(live_app.test_client(), user_id)

    first = client.post(f"/api/v1/rounds/{round_id}/attempts")
    again = client.post(f"/api/v1/rounds/{round_id}/attempts")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["id"] == first.json["id"]
    assert attempts_of(live_app, round_id, user_id) == 1  # seen from another connection
    if url.get_backend_name() == "sqlite":
        assert locked_while_reading == [False]
        assert write_lock_free()  # nothing left holding it
