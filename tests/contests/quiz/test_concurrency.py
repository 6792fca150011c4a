"""Real concurrency on PostgreSQL: two threads, two connections, one effect."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from contests.quiz import services
from contests.quiz.models import Attempt, AttemptStatus, QuizRound
from core.accounts.models import User
from core.extensions import db
from tests.contests.quiz import factories as quiz_factories

pytestmark = pytest.mark.postgres_only


@pytest.fixture(scope="module")
def live_app(request, tmp_path_factory):
    if request.config.getoption("--db") != "postgresql":
        pytest.skip("needs PostgreSQL")
    return quiz_factories.live_app(request, tmp_path_factory, "quizconcurrency")


@pytest.fixture
def seeded(live_app):
    round_id, (student_id,) = quiz_factories.seed_open_round(live_app)
    return round_id, student_id


def run_together(live_app, work, n=2):
    barrier = threading.Barrier(n)
    results, errors = [], []

    def runner():
        with live_app.test_request_context():
            try:
                barrier.wait()
                results.append(work())
                db.session.commit()
            except Exception as error:
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=runner) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results, errors


def test_concurrent_double_submit_gives_one_submission(live_app, seeded):
    round_id, user_id = seeded
    with live_app.test_request_context():
        round_ = db.session.get(QuizRound, round_id)
        attempt, _ = services.start_attempt(round_=round_, user=db.session.get(User, user_id))
        db.session.commit()
        attempt_id = attempt.id
        db.session.remove()

    def submit():
        attempt = db.session.get(Attempt, attempt_id)
        return services.finalize_attempt(attempt=attempt, by="student")

    results, errors = run_together(live_app, submit)

    assert errors == []
    assert sorted(results) == [False, True]
    with live_app.app_context():
        rows = db.session.execute(sa.select(Attempt.status).where(Attempt.id == attempt_id)).all()
        assert [r.status for r in rows] == [AttemptStatus.SUBMITTED]
        db.session.remove()


def test_concurrent_starts_give_one_attempt(live_app, seeded):
    round_id, user_id = seeded

    def start():
        attempt, _created = services.start_attempt(
            round_=db.session.get(QuizRound, round_id), user=db.session.get(User, user_id)
        )
        return attempt.id

    results, errors = run_together(live_app, start)

    assert errors == []
    assert len(set(results)) == 1
    with live_app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count()).where(
                Attempt.round_id == round_id, Attempt.user_id == user_id
            )
        )
        assert count == 1
        db.session.remove()
