"""Eligible students hear once that a writing round has opened."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from contests.essay import services
from core.extensions import db
from core.notifications.models import Notification
from core.schools.models import SchoolLevel
from tests.conftest import T0


def told(round_) -> list[int]:
    return db.session.scalars(
        sa.select(Notification.user_id)
        .where(Notification.dedupe_key == f"essay-open:{round_.id}")
        .order_by(Notification.user_id)
    ).all()


def test_a_round_that_just_opened_is_announced_once(make_round, make):
    thcs = make.student()
    th = make.student(make.school_class(make.school(level=SchoolLevel.TH), name="5A1"))
    round_ = make_round(opens_at=T0 - timedelta(minutes=3), school_levels=["THCS"])
    long_open = make_round(opens_at=T0 - timedelta(days=1))

    first = services.announce(now=T0)
    again = services.announce(now=T0 + timedelta(minutes=1))

    assert told(round_) == [thcs.id]
    assert th.id not in told(round_)
    assert told(long_open) == []
    assert (first, again) == (1, 0)
    url, kind = db.session.execute(
        sa.select(Notification.url, Notification.kind).where(Notification.user_id == thcs.id)
    ).one()
    assert (url, kind) == (f"/essay/rounds/{round_.id}", "round_opened")
