"""Locking a school's assessment at a milestone, unlocking it, reopening it for more work.

Locking records the school's figures as they are (``records``): scores per criterion, total,
maximum, percentage, tier, rank and the criteria version. A school with activities still
awaiting verification cannot be locked: its figures would change the moment they are decided,
so the refusal lists them. A locked assessment also stops the school's work from changing.

Unlocking a milestone is explicit, needs a reason, and is audited with the figures it removes;
reopening keeps every record and only lets the school work on (term II after the sơ kết).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from campaign.greennet.models import (
    Activity,
    ActivityStatus,
    Assessment,
    Milestone,
    Movement,
    Snapshot,
)
from campaign.greennet.services.activities import assessment_for
from campaign.greennet.services.criteria import current_set
from campaign.greennet.services.records import (
    LockedResult,
    milestone_for,
    result_of,
)
from campaign.greennet.services.standings import school_standing, standings
from core import audit
from core.clock import utcnow
from core.errors import Conflict, ValidationFailed
from core.extensions import db
from core.schools.models import School, SchoolLevel


class VerificationIncomplete(Conflict):
    """Activities of the school are still waiting for the district; ``pending`` lists them."""

    code = "verification_incomplete"

    def __init__(self, pending: list[Activity]) -> None:
        self.pending = pending
        super().__init__(
            _(
                "%(n)d activities still await verification: %(titles)s. "
                "Approve or return them before locking.",
                n=len(pending),
                titles="; ".join(f"{a.criterion.code} — {a.title}" for a in pending),
            ),
            pending=[
                {"id": a.id, "title": a.title, "criterion": a.criterion.code} for a in pending
            ],
        )


def pending_activities(movement: Movement, school: School) -> list[Activity]:
    """The school's activities submitted and not yet approved or returned, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Activity)
            .where(
                Activity.movement_id == movement.id,
                Activity.school_id == school.id,
                Activity.status == ActivityStatus.SUBMITTED,
            )
            .order_by(Activity.submitted_at, Activity.id)
        )
    )


def _snapshot(assessment: Assessment, milestone: Milestone) -> Snapshot | None:
    return db.session.scalar(
        sa.select(Snapshot).where(
            Snapshot.assessment_id == assessment.id, Snapshot.milestone_id == milestone.id
        )
    )


def lock_assessment(
    *, actor, movement: Movement, school: School, milestone, now: datetime | None = None
) -> LockedResult:
    """Lock a school's assessment at a milestone and record its figures as they are now."""
    now = now or utcnow()
    milestone = milestone_for(movement, milestone)
    assessment = assessment_for(movement, school)
    if _snapshot(assessment, milestone) is not None:
        raise Conflict(_("The assessment is already locked at this milestone."))
    pending = pending_activities(movement, school)
    if pending:
        raise VerificationIncomplete(pending)
    score = school_standing(movement, school, now=now, live=True)
    # The rank recorded is the school's place among the figures shown at the lock (other
    # schools' records included), so it agrees with the standings page that day.
    shown = standings(movement, level=school.level, now=now)
    rank = 1 + sum(s.percent > score.percent for s in shown if s.school.id != school.id)
    criteria_set = current_set(movement, school.level)
    snapshot = Snapshot(
        assessment_id=assessment.id,
        milestone_id=milestone.id,
        points=score.points,
        max_points=score.max_points,
        percent=score.percent,
        tier=score.tier,
        rank=rank,
        held_back=score.held_back,
        criteria_set_id=criteria_set.id if criteria_set else None,
        criteria_version=criteria_set.version if criteria_set else None,
        criteria=[
            {
                "code": c.criterion.code,
                "title": c.criterion.title,
                "max_points": c.criterion.max_points,
                "points": c.points,
                "computed": c.criterion.computed,
                "value": c.value,
            }
            for c in score.criteria
        ],
        locked_by_id=getattr(actor, "id", None),
        taken_at=now,
    )
    db.session.add(snapshot)
    assessment.locked_at, assessment.locked_by_id = now, getattr(actor, "id", None)
    assessment.locked_milestone_id = milestone.id
    db.session.flush()
    result = result_of(snapshot, milestone.kind)
    audit.record(
        actor=actor,
        action="greennet.assessment.lock",
        obj=assessment,
        after=_figures(result),
        now=now,
    )
    return result


def _figures(result: LockedResult) -> dict:
    return {
        "milestone": result.milestone.value,
        "points": result.points,
        "max_points": result.max_points,
        "percent": result.percent,
        "tier": result.tier.value,
        "rank": result.rank,
        "criteria_version": result.criteria_version,
    }


def unlock_assessment(
    *, actor, movement: Movement, school: School, milestone, reason: str, now=None
) -> Assessment:
    """Remove the school's locked result at a milestone; only with a written reason.

    The audit entry keeps the figures that were recorded. If the assessment was locked at this
    milestone, the school may work on again.
    """
    now = now or utcnow()
    milestone = milestone_for(movement, milestone)
    if not (reason or "").strip():
        raise ValidationFailed(_("A reason is required to unlock a locked result."), field="reason")
    assessment = assessment_for(movement, school)
    snapshot = _snapshot(assessment, milestone)
    if snapshot is None:
        raise Conflict(_("The assessment is not locked at this milestone."))
    before = _figures(result_of(snapshot, milestone.kind))
    db.session.delete(snapshot)
    if assessment.locked_milestone_id == milestone.id:
        assessment.locked_at = assessment.locked_by_id = assessment.locked_milestone_id = None
    audit.record(
        actor=actor,
        action="greennet.assessment.unlock",
        obj=assessment,
        before=before,
        after={"milestone": milestone.kind.value, "locked": False},
        reason=reason.strip(),
        now=now,
    )
    db.session.flush()
    return assessment


def reopen_assessment(
    *, actor, movement: Movement, school: School, reason: str, now=None
) -> Assessment:
    """Let the school work on after a lock, with a written reason; locked results stay."""
    assessment = assessment_for(movement, school)
    if not assessment.is_locked:
        raise Conflict(_("The assessment is not locked."))
    if not (reason or "").strip():
        raise ValidationFailed(
            _("A reason is required to reopen a locked assessment."), field="reason"
        )
    before = {
        "locked_at": assessment.locked_at.isoformat(),
        "milestone": assessment.locked_milestone.kind.value
        if assessment.locked_milestone
        else None,
    }
    assessment.locked_at = assessment.locked_by_id = assessment.locked_milestone_id = None
    audit.record(
        actor=actor,
        action="greennet.assessment.reopen",
        obj=assessment,
        before=before,
        after={"locked_at": None},
        reason=reason.strip(),
        now=now,
    )
    db.session.flush()
    return assessment


def lock_all(
    *, actor, movement: Movement, milestone, level: SchoolLevel | None = None, now=None
) -> tuple[int, list[School]]:
    """Lock every school (of a level) not yet locked at a milestone.

    Return how many were locked and the schools left open because activities await verification.
    """
    milestone = milestone_for(movement, milestone)
    query = sa.select(School).order_by(School.code)
    if level is not None:
        query = query.where(School.level == level)
    count, waiting = 0, []
    for school in db.session.scalars(query):
        # lock_assessment checks, and refuses before it writes anything.
        try:
            lock_assessment(
                actor=actor, movement=movement, school=school, milestone=milestone, now=now
            )
        except VerificationIncomplete:
            waiting.append(school)
        except Conflict:
            continue  # already locked at this milestone
        else:
            count += 1
    return count, waiting
