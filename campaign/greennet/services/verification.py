"""Verification by the district: approve or return activities, lock and reopen assessments.

The district approves an activity (optionally adjusting the score, with a comment), or returns
it for more evidence with a deadline. A school's assessment can be locked at a milestone (its
score and tier are frozen in a snapshot) and reopened only with a reason. Every step is written
to the audit log, because awards can be revoked and the district must show who decided what,
when, and why.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

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
from campaign.greennet.services.activities import (
    AssessmentLocked,
    assessment_for,
    check_open,
    check_score,
)
from campaign.greennet.services.standings import standings
from core import audit
from core.accounts.models import Role, RoleAssignment
from core.clock import local_today, utcnow
from core.errors import Conflict, NotFound, ValidationFailed
from core.extensions import db
from core.notifications.services import notify
from core.schools.models import School, SchoolLevel


def coordinator_ids(school_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(RoleAssignment.user_id).where(
                RoleAssignment.role == Role.COORDINATOR, RoleAssignment.school_id == school_id
            )
        )
    )


def approve_activity(
    *, actor, activity: Activity, points: float | None = None, comment: str = "", now=None
) -> Activity:
    """Approve a submitted activity, or adjust an approved one; a changed score needs a comment."""
    now = now or utcnow()
    check_open(activity.movement_id, activity.school_id)
    if activity.status not in (ActivityStatus.SUBMITTED, ActivityStatus.APPROVED):
        raise Conflict(_("Only submitted or approved activities can be approved."))
    points = activity.self_score if points is None else float(points)
    check_score(activity.criterion, points)
    comment = (comment or "").strip()
    previous = (
        activity.awarded_points
        if activity.status == ActivityStatus.APPROVED
        else activity.self_score
    )
    if points != previous and not comment:
        raise ValidationFailed(_("Explain in a comment why the score is changed."), field="comment")
    before = {
        "status": activity.status.value,
        "points": activity.awarded_points,
        "self_score": activity.self_score,
    }
    activity.status = ActivityStatus.APPROVED
    activity.awarded_points = points
    activity.verifier_comment = comment or activity.verifier_comment
    activity.return_deadline = None
    activity.verified_at, activity.verified_by_id = now, getattr(actor, "id", None)
    activity.updated_at = now
    action = (
        "greennet.activity.adjust" if points != activity.self_score else "greennet.activity.approve"
    )
    audit.record(
        actor=actor,
        action=action,
        obj=activity,
        before=before,
        after={"status": "approved", "points": points},
        reason=comment or None,
        now=now,
    )
    _tell_coordinators(activity, "activity_approved", now=now)
    db.session.flush()
    return activity


def return_activity(
    *, actor, activity: Activity, reason: str, deadline: date, now: datetime | None = None
) -> Activity:
    """Send an activity back for more evidence, with a reason and a resubmission deadline."""
    now = now or utcnow()
    check_open(activity.movement_id, activity.school_id)
    if activity.status not in (ActivityStatus.SUBMITTED, ActivityStatus.APPROVED):
        raise Conflict(_("Only submitted or approved activities can be returned."))
    if not (reason or "").strip():
        raise ValidationFailed(_("Say what evidence is missing."), field="comment")
    if deadline is None or deadline < local_today(now):
        raise ValidationFailed(_("The deadline must be today or later."), field="deadline")
    before = {"status": activity.status.value, "points": activity.awarded_points}
    activity.status = ActivityStatus.RETURNED
    activity.awarded_points = None
    activity.verifier_comment = reason.strip()
    activity.return_deadline = deadline
    activity.verified_at, activity.verified_by_id = now, getattr(actor, "id", None)
    activity.updated_at = now
    audit.record(
        actor=actor,
        action="greennet.activity.return",
        obj=activity,
        before=before,
        after={"status": "returned", "deadline": deadline.isoformat()},
        reason=reason.strip(),
        now=now,
    )
    _tell_coordinators(activity, "activity_returned", now=now)
    db.session.flush()
    return activity


def lock_assessment(
    *, actor, movement: Movement, school: School, milestone: Milestone, now=None
) -> Snapshot:
    """Lock a school's assessment at a milestone and freeze its score and tier."""
    now = now or utcnow()
    if milestone.movement_id != movement.id:
        raise NotFound()
    assessment = assessment_for(movement, school)
    if assessment.is_locked:
        raise AssessmentLocked(_("The assessment is already locked."))
    if db.session.scalar(
        sa.select(Snapshot.id).where(
            Snapshot.assessment_id == assessment.id, Snapshot.milestone_id == milestone.id
        )
    ):
        raise Conflict(_("This milestone has already been recorded for the school."))
    score = next(
        s for s in standings(movement, level=school.level, now=now) if s.school.id == school.id
    )
    snapshot = Snapshot(
        assessment_id=assessment.id,
        milestone_id=milestone.id,
        points=score.points,
        percent=score.percent,
        tier=score.tier,
        taken_at=now,
    )
    db.session.add(snapshot)
    assessment.locked_at, assessment.locked_by_id = now, getattr(actor, "id", None)
    assessment.locked_milestone_id = milestone.id
    db.session.flush()
    audit.record(
        actor=actor,
        action="greennet.assessment.lock",
        obj=assessment,
        after={"milestone": milestone.kind.value, "points": score.points, "tier": score.tier.value},
        now=now,
    )
    return snapshot


def reopen_assessment(
    *, actor, movement: Movement, school: School, reason: str, now=None
) -> Assessment:
    """Reopen a locked assessment; only with a written reason."""
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


def snapshots(movement: Movement) -> dict[int, dict[str, Snapshot]]:
    """school id → milestone kind → snapshot, for the trend over the year."""
    found: dict[int, dict[str, Snapshot]] = defaultdict(dict)
    rows = db.session.execute(
        sa.select(Snapshot, Assessment.school_id, Milestone.kind)
        .join(Assessment, Assessment.id == Snapshot.assessment_id)
        .join(Milestone, Milestone.id == Snapshot.milestone_id)
        .where(Assessment.movement_id == movement.id)
    ).all()
    for snapshot, school_id, kind in rows:
        found[school_id][kind.value] = snapshot
    return found


def verification_queue(movement: Movement, *, level: SchoolLevel | None = None) -> list[Activity]:
    """Submitted activities waiting for the district, oldest first."""
    query = (
        sa.select(Activity)
        .join(School, School.id == Activity.school_id)
        .where(Activity.movement_id == movement.id, Activity.status == ActivityStatus.SUBMITTED)
        .options(sa.orm.joinedload(Activity.school), sa.orm.joinedload(Activity.criterion))
        .order_by(Activity.submitted_at, Activity.id)
    )
    if level is not None:
        query = query.where(School.level == level)
    return list(db.session.scalars(query).unique())


def remind_return_deadlines(*, now: datetime | None = None) -> int:
    """Tell coordinators two days before a returned activity's deadline (once per activity)."""
    now = now or utcnow()
    today = local_today(now)
    due = db.session.scalars(
        sa.select(Activity).where(
            Activity.status == ActivityStatus.RETURNED,
            Activity.return_deadline.is_not(None),
            Activity.return_deadline >= today,
            Activity.return_deadline <= today + timedelta(days=2),
        )
    ).all()
    count = 0
    for activity in due:
        count += _tell_coordinators(
            activity,
            "return_deadline_near",
            deadline=activity.return_deadline.strftime("%d/%m/%Y"),
            dedupe_key=f"deadline:{activity.id}:{activity.return_deadline.isoformat()}",
            now=now,
        )
    return count


def lock_all(
    *, actor, movement: Movement, milestone: Milestone, level: SchoolLevel | None = None, now=None
) -> int:
    """Lock every open school (of a level) at a milestone; return how many were locked."""
    query = sa.select(School).order_by(School.code)
    if level is not None:
        query = query.where(School.level == level)
    count = 0
    for school in db.session.scalars(query):
        assessment = assessment_for(movement, school)
        recorded = db.session.scalar(
            sa.select(Snapshot.id).where(
                Snapshot.assessment_id == assessment.id, Snapshot.milestone_id == milestone.id
            )
        )
        if assessment.is_locked or recorded:
            continue
        lock_assessment(actor=actor, movement=movement, school=school, milestone=milestone, now=now)
        count += 1
    return count


def _tell_coordinators(
    activity: Activity, kind: str, *, now: datetime, dedupe_key: str | None = None, **params
) -> int:
    """Notify the school's coordinators about ``activity``; the link opens the activity."""
    return notify(
        user_ids=coordinator_ids(activity.school_id),
        kind=kind,
        params={"title": activity.title, **params},
        endpoint="greennet.activity",
        values={"activity_id": activity.id},
        dedupe_key=dedupe_key,
        now=now,
    )
