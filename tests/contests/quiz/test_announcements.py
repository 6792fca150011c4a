"""Students hear when a ranked round opens and when its results are out (once each)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from contests.quiz import services
from contests.quiz.models import RoundKind
from core.extensions import db
from core.notifications.models import Notification
from tests.conftest import T0


def told(dedupe_key: str) -> list[tuple[int, str]]:
    return db.session.execute(
        sa.select(Notification.user_id, Notification.kind)
        .where(Notification.dedupe_key == dedupe_key)
        .order_by(Notification.user_id)
    ).all()


def test_eligible_students_hear_once_that_a_round_opened(ctx, quiz, make, frozen):
    grade8 = make.student()  # the factory's class is 8A1
    grade6 = make.student(make.school_class(name="6A2"))
    round_ = quiz.round(opens_at=T0 - timedelta(minutes=2), eligible_grades="8")

    first = services.announce(now=T0)
    again = services.announce(now=T0 + timedelta(minutes=1))

    assert told(f"quiz-open:{round_.id}") == [(grade8.id, "round_opened")]
    assert grade6.id not in {u for u, _k in told(f"quiz-open:{round_.id}")}
    assert (first, again) == (1, 0)


def test_long_open_and_practice_rounds_are_not_announced(ctx, quiz, make, frozen):
    make.student()
    old = quiz.round(opens_at=T0 - timedelta(hours=1))
    practice = quiz.round(opens_at=T0 - timedelta(minutes=1), kind=RoundKind.PRACTICE)

    services.announce(now=T0)

    assert told(f"quiz-open:{old.id}") == []
    assert told(f"quiz-open:{practice.id}") == []


def test_entrants_hear_once_that_results_are_out(ctx, client, quiz, make, login, frozen):
    round_ = quiz.round(
        opens_at=T0 - timedelta(hours=3),
        closes_at=T0 - timedelta(minutes=30),
        results_release_at=T0 - timedelta(minutes=5),
    )
    entrant = make.student()
    bystander = make.student()
    frozen.shift(-2 * 3600)
    login(entrant)
    attempt = client.post(f"/api/v1/rounds/{round_.id}/attempts").json
    client.post(f"/api/v1/attempts/{attempt['id']}/submit")
    frozen.shift(2 * 3600)

    services.announce(now=T0)
    services.announce(now=T0 + timedelta(minutes=1))

    assert told(f"quiz-results:{round_.id}") == [(entrant.id, "results_published")]
    assert bystander.id not in {u for u, _k in told(f"quiz-results:{round_.id}")}
