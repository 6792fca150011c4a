"""Standings: load a movement's schools, criteria, activities and metrics, and score them.

A handful of queries in all, whatever the number of schools: the latest criteria set of each
level, the activities as plain rows (a district has thousands), the locked assessments and their
records, and each metric the criteria need. The scoring itself is ``scoring`` (no queries).

A locked result is a record: a school locked at a milestone shows the figures recorded then
(``records``), never figures worked out again from today's thresholds, criteria or contest data.
``live=True`` gives the figures as they are now (what a lock records).

Ranks when a level is partly locked: a school shown from its record shows the record's rank
(its place when it was locked, ``SchoolScore.rank_recorded``); a school shown live is ranked
among the figures shown in its level, recorded and live alike (1 + the schools whose shown
percentage is higher). Rows are listed by the shown percentage. So a live rank never contradicts
the figures on the page; a live rank may equal a recorded one (the record is of an earlier day),
and the page marks recorded ranks "đã chốt" to say which is which.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa

from campaign.greennet import metrics
from campaign.greennet.models import (
    Activity,
    Assessment,
    CriteriaSet,
    Criterion,
    Milestone,
    MilestoneKind,
    Movement,
)
from campaign.greennet.services.movements import period
from campaign.greennet.services.records import LockedResult, locked_results, milestone_kind
from campaign.greennet.services.scoring import (
    CriterionScore,
    SchoolScore,
    rank_schools,
    school_score,
)
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


def _locked_schools(movement: Movement) -> dict[int, MilestoneKind | None]:
    """school id → the milestone its assessment is locked at, for the locked schools."""
    return {
        school_id: kind
        for school_id, kind in db.session.execute(
            sa.select(Assessment.school_id, Milestone.kind)
            .outerjoin(Milestone, Milestone.id == Assessment.locked_milestone_id)
            .where(Assessment.movement_id == movement.id, Assessment.locked_at.is_not(None))
        )
    }


def _show_record(score: SchoolScore, record: LockedResult) -> None:
    """Replace a school's live figures with its locked record, criterion by criterion."""
    score.points, score.max_points = record.points, record.max_points
    score.tier, score.rank, score.held_back = record.tier, record.rank, record.held_back
    score.criteria = [
        CriterionScore(
            # A detached stand-in, never added to the session: the record names the criterion
            # as it was, whatever has become of it since.
            criterion=Criterion(
                code=c.code, title=c.title, max_points=c.max_points, computed=c.computed
            ),
            points=c.points,
            value=c.value,
        )
        for c in record.criteria
    ]
    score.shown_milestone = record.milestone


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
    movement: Movement,
    *,
    level: SchoolLevel | None = None,
    now: datetime | None = None,
    milestone=None,
    live: bool = False,
) -> list[SchoolScore]:
    """Every school's score, tier and rank within its level (a handful of queries in all).

    A school whose assessment is locked shows the record of the milestone it is locked at; with
    ``milestone`` (sơ kết or tổng kết) every school recorded at that milestone shows that record.
    The others show live figures. ``live=True`` shows live figures for every school.
    """
    today = local_today(now or utcnow())
    query = sa.select(School).order_by(School.level, School.code)
    if level is not None:
        query = query.where(School.level == level)
    schools = list(db.session.scalars(query))
    school_ids = [s.id for s in schools]
    sets = _latest_sets(movement)
    activities = _activity_rows(movement, school_ids)
    locked = _locked_schools(movement)
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
    ranked = rank_schools(scores, movement)
    if live:
        return ranked
    records = locked_results(movement, school_ids=school_ids)
    chosen = milestone_kind(milestone) if milestone is not None else None
    for score in ranked:
        score.records = records.get(score.school.id, {})
        kind = chosen or locked.get(score.school.id)
        if kind in score.records:
            _show_record(score, score.records[kind])
    _rank_live_among_shown(ranked)
    levels = list(SchoolLevel)
    return sorted(
        ranked,
        key=lambda s: (levels.index(s.school.level), -s.percent, s.rank, s.school.code),
    )


def _rank_live_among_shown(scores: list[SchoolScore]) -> None:
    """Rank each live school among the percentages shown in its level (records included)."""
    for level in SchoolLevel:
        shown = [s.percent for s in scores if s.school.level == level]
        for score in scores:
            if score.school.level == level and not score.rank_recorded:
                score.rank = 1 + sum(p > score.percent for p in shown)


def school_standing(
    movement: Movement, school: School, now=None, *, milestone=None, live: bool = False
) -> SchoolScore:
    """One school's score, tier and rank among the schools of its level."""
    return next(
        s
        for s in standings(movement, level=school.level, now=now, milestone=milestone, live=live)
        if s.school.id == school.id
    )
