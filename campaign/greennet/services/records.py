"""Locked results: what a school's assessment recorded when it was locked at a milestone.

A locked milestone is an official record. Its figures (points per criterion, total, maximum,
percentage, tier, rank, the criteria version it was scored on) are read from the stored
``Snapshot`` and never worked out again, so later changes to thresholds, criteria, quotas or
contest data leave it as it was. Other packages (official documents) ask here:
``is_locked(movement, school, milestone)`` and ``locked_result(movement, school, milestone)``.
A milestone may be named by its ``Milestone`` row, its ``MilestoneKind`` or the API's words
``"so_ket"`` / ``"tong_ket"``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from campaign.greennet.models import (
    Assessment,
    Milestone,
    MilestoneKind,
    Movement,
    Snapshot,
    Tier,
)
from core.errors import NotFound, ValidationFailed
from core.extensions import db
from core.schools.models import School

#: The API's names of the milestones that can be locked.
MILESTONE_KEYS = {"so_ket": MilestoneKind.MIDTERM, "tong_ket": MilestoneKind.FINAL}
LOCKABLE = tuple(MILESTONE_KEYS.values())


@dataclass(frozen=True)
class LockedCriterion:
    code: str
    title: str
    max_points: float
    points: float
    computed: bool = False
    #: The metric's raw value for a computed criterion.
    value: float | None = None


@dataclass(frozen=True)
class LockedResult:
    """A school's figures at a locked milestone, exactly as recorded."""

    milestone: MilestoneKind
    points: float
    max_points: float
    percent: float
    tier: Tier
    rank: int
    held_back: bool
    criteria_version: int | None
    criteria: tuple[LockedCriterion, ...]
    locked_at: datetime
    locked_by_id: int | None


def milestone_kind(milestone) -> MilestoneKind:
    """The kind of a milestone named by its row, its kind, or ``"so_ket"``/``"tong_ket"``."""
    if isinstance(milestone, Milestone):
        return milestone.kind
    if milestone in MILESTONE_KEYS:
        return MILESTONE_KEYS[milestone]
    try:
        return MilestoneKind(milestone)
    except ValueError:
        raise ValidationFailed(
            _("Choose the mid-term or the final review."), field="milestone"
        ) from None


def milestone_for(movement: Movement, milestone) -> Milestone:
    """The movement's milestone row for a lockable milestone (sơ kết or tổng kết)."""
    if isinstance(milestone, Milestone):
        if milestone.movement_id != movement.id:
            raise NotFound()
        found = milestone
    else:
        kind = milestone_kind(milestone)
        found = next((m for m in movement.milestones if m.kind == kind), None)
        if found is None:
            raise NotFound()
    if found.kind not in LOCKABLE:
        raise ValidationFailed(_("Choose the mid-term or the final review."), field="milestone")
    return found


def result_of(snapshot: Snapshot, kind: MilestoneKind) -> LockedResult:
    return LockedResult(
        milestone=kind,
        points=snapshot.points,
        max_points=snapshot.max_points,
        percent=snapshot.percent,
        tier=snapshot.tier,
        rank=snapshot.rank,
        held_back=snapshot.held_back,
        criteria_version=snapshot.criteria_version,
        criteria=tuple(LockedCriterion(**c) for c in snapshot.criteria or ()),
        locked_at=snapshot.taken_at,
        locked_by_id=snapshot.locked_by_id,
    )


def locked_results(
    movement: Movement, *, school_ids: list[int] | None = None
) -> dict[int, dict[MilestoneKind, LockedResult]]:
    """school id → milestone kind → locked result, for every school of the movement (one query)."""
    query = (
        sa.select(Snapshot, Assessment.school_id, Milestone.kind)
        .join(Assessment, Assessment.id == Snapshot.assessment_id)
        .join(Milestone, Milestone.id == Snapshot.milestone_id)
        .where(Assessment.movement_id == movement.id)
    )
    if school_ids is not None:
        query = query.where(Assessment.school_id.in_(school_ids))
    found: dict[int, dict[MilestoneKind, LockedResult]] = defaultdict(dict)
    for snapshot, school_id, kind in db.session.execute(query):
        found[school_id][kind] = result_of(snapshot, kind)
    return found


def locked_result(movement: Movement, school: School, milestone) -> LockedResult | None:
    """The school's locked figures at a milestone, or None while it is not locked there."""
    kind = milestone_kind(milestone)
    return locked_results(movement, school_ids=[school.id]).get(school.id, {}).get(kind)


def is_locked(movement: Movement, school: School, milestone) -> bool:
    """Whether the school's assessment is locked at the milestone (its result is a record)."""
    return locked_result(movement, school, milestone) is not None


def snapshots(movement: Movement) -> dict[int, dict[str, LockedResult]]:
    """school id → milestone kind value ("midterm", "final") → locked result, for the trend."""
    return {
        school_id: {kind.value: result for kind, result in by_kind.items()}
        for school_id, by_kind in locked_results(movement).items()
    }
