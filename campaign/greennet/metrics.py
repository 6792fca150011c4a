"""Computed criteria: a small registry of named metrics read from platform data, never typed in.

Each metric answers, for many schools at once, a raw value over a period: a rate (0–1) or a
count. A criterion that names a metric turns it into points: a rate gives that share of the
criterion's maximum, a count gives ``count / max_count`` of it (capped at the maximum).

Contest data comes through the campaign's one seam, ``campaign.campaigns.participation``
(``CONTEST_SOURCES``), where the contests' functions are imported plainly: a missing function
fails at import rather than silently scoring every school zero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from campaign.campaigns.participation import contest_counts, eligible_students
from core.accounts.models import User
from core.extensions import db


def _student_counts(school_ids: list[int], condition) -> dict[int, int]:
    rows = db.session.execute(
        sa.select(User.school_id, sa.func.count(sa.distinct(User.id)))
        .where(
            User.is_active_student,
            User.school_id.in_(school_ids),
            condition,
        )
        .group_by(User.school_id)
    ).all()
    return {school_id: count for school_id, count in rows}


def _rate(counts: dict[int, int], school_ids: list[int]) -> dict[int, float]:
    eligible = eligible_students(school_ids)
    return {
        sid: (min(counts.get(sid, 0) / eligible[sid], 1.0) if eligible.get(sid) else 0.0)
        for sid in school_ids
    }


def activated_rate(school_ids, *, since, until):
    """Share of the school's students who have activated their account."""
    return _rate(_student_counts(school_ids, User.password_hash.is_not(None)), school_ids)


def signed_in_rate(school_ids, *, since, until):
    """Share of the school's students who signed in during the period."""
    condition = sa.and_(User.last_login_at >= since, User.last_login_at < until)
    return _rate(_student_counts(school_ids, condition), school_ids)


def quiz_participation_rate(school_ids, *, since, until):
    """Share of the school's students who took part in the law quiz."""
    return _rate(contest_counts("quiz_participants", since=since, until=until), school_ids)


def essay_entry_count(school_ids, *, since, until):
    """Entries the school's students sent to the writing contest."""
    counts = contest_counts("essay_entries", since=since, until=until)
    return {sid: float(counts.get(sid, 0)) for sid in school_ids}


@dataclass(frozen=True)
class Metric:
    name: str
    label: object
    #: "rate" (0–1) or "count".
    kind: str
    compute: Callable[..., dict[int, float]]


REGISTRY: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            "quiz_participation_rate",
            _l("Share of students who took part in the law quiz"),
            "rate",
            quiz_participation_rate,
        ),
        Metric(
            "essay_entries",
            _l("Entries in the writing contest"),
            "count",
            essay_entry_count,
        ),
        Metric(
            "students_activated_rate",
            _l("Share of students who activated their account"),
            "rate",
            activated_rate,
        ),
        Metric(
            "students_signed_in_rate",
            _l("Share of students who signed in this school year"),
            "rate",
            signed_in_rate,
        ),
    )
}


@dataclass(frozen=True)
class MetricValues:
    """Raw values per school."""

    values: dict[int, float]


def evaluate(name: str, school_ids: list[int], *, since: datetime, until: datetime) -> MetricValues:
    """Compute one metric for many schools."""
    metric = REGISTRY[name]
    if not school_ids:
        return MetricValues({})
    values = metric.compute(list(school_ids), since=since, until=until)
    return MetricValues({sid: float(values.get(sid, 0.0)) for sid in school_ids})


def fraction(name: str, value: float, *, target: int) -> float:
    """The share of a criterion's points a raw value earns (0–1)."""
    if REGISTRY[name].kind == "rate":
        return max(0.0, min(value, 1.0))
    return max(0.0, min(value / max(target, 1), 1.0))
