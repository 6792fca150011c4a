"""Standings: load a movement's schools, criteria, activities and metrics, and score them.

A handful of queries in all, whatever the number of schools: the latest criteria set of each
level, the activities as plain rows (a district has thousands), the locked assessments and each
metric the criteria need. The scoring itself is ``scoring`` (no queries).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa

from campaign.greennet import metrics
from campaign.greennet.models import Activity, Assessment, CriteriaSet, Movement
from campaign.greennet.services.movements import period
from campaign.greennet.services.scoring import SchoolScore, rank_schools, school_score
from core.clock import local_today, utcnow
from core.extensions import db
from core.schools.models import School, SchoolLevel


def _latest_sets(movement: Movement) -> dict[SchoolLevel, CriteriaSet]:
    sets = {}
    for criteria_set in db.session.scalars(
        sa.select(CriteriaSet)
        .where(CriteriaSet.movement_id == movement.id)
        .options(sa.orm.selectinload(CriteriaSet.criteria))
    ):
        if (
            criteria_set.level not in sets
            or criteria_set.version > sets[criteria_set.level].version
        ):
            sets[criteria_set.level] = criteria_set
    return sets


def _activity_rows(movement: Movement, school_ids: list[int]) -> dict[int, list]:
    # Plain rows, not ORM objects: a district has thousands of activities.
    activities = defaultdict(list)
    for row in db.session.execute(
        sa.select(
            Activity.school_id,
            Activity.criterion_id,
            Activity.status,
            Activity.awarded_points,
            Activity.return_deadline,
        ).where(Activity.movement_id == movement.id, Activity.school_id.in_(school_ids))
    ):
        activities[row.school_id].append(row)
    return activities


def _locked_school_ids(movement: Movement) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(Assessment.school_id).where(
                Assessment.movement_id == movement.id, Assessment.locked_at.is_not(None)
            )
        )
    )


def _metric_values(
    movement: Movement, sets: dict[SchoolLevel, CriteriaSet], school_ids: list[int]
) -> dict[str, metrics.MetricValues]:
    since, until = period(movement)
    needed = {c.metric for s in sets.values() for c in s.criteria if c.computed and c.metric}
    return {
        name: metrics.evaluate(name, school_ids, since=since, until=until)
        for name in sorted(needed)
    }


def standings(
    movement: Movement, *, level: SchoolLevel | None = None, now: datetime | None = None
) -> list[SchoolScore]:
    """Every school's score, tier and rank within its level (a handful of queries in all)."""
    today = local_today(now or utcnow())
    query = sa.select(School).order_by(School.level, School.code)
    if level is not None:
        query = query.where(School.level == level)
    schools = list(db.session.scalars(query))
    school_ids = [s.id for s in schools]
    sets = _latest_sets(movement)
    activities = _activity_rows(movement, school_ids)
    locked = _locked_school_ids(movement)
    metric_values = _metric_values(movement, sets, school_ids)
    scores = [
        school_score(
            school,
            sets[school.level].criteria if school.level in sets else [],
            activities[school.id],
            metric_values=metric_values,
            locked=school.id in locked,
            today=today,
        )
        for school in schools
    ]
    return rank_schools(scores, movement)


def school_standing(movement: Movement, school: School, now=None) -> SchoolScore:
    """One school's score, tier and rank among the schools of its level."""
    return next(
        s for s in standings(movement, level=school.level, now=now) if s.school.id == school.id
    )
