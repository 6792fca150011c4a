"""Verification by the district: approve or return activities (locks are in ``locks``).

The district approves an activity (optionally adjusting the score, with a comment), or returns
it for more evidence with a deadline. Every step is written to the audit log, because awards can
be revoked and the district must show who decided what, when, and why.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from campaign.greennet.models import (
    Activity,
    ActivityStatus,
    Movement,
)
from campaign.greennet.services.activities import (
    check_open,
    check_score,
)
from core import audit
from core.accounts.models import Role, RoleAssignment
from core.clock import local_today, utcnow
from core.errors import Conflict, ValidationFailed
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
