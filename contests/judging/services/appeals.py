"""Appeals: a student asks for a fresh mark, an appeal judge marks, the chief judge decides."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from contests.essay import services as essay_services
from contests.judging.models import (
    Appeal,
    AppealStatus,
    Assignment,
    AssignmentKind,
    Resolution,
    Result,
)
from contests.judging.services.assignment import assign_third_judge
from contests.judging.services.results import rerank
from contests.judging.services.rubric import current_rubric, format_points, parse_points
from contests.judging.services.setup import find_setup
from core import audit
from core.accounts.models import User
from core.clock import utcnow
from core.errors import Conflict, Forbidden, ValidationFailed
from core.extensions import db

APPEAL_DECISION = "appeal_decision"


def file_appeal(
    *, student: User, result: Result, reason: str, now: datetime | None = None
) -> Appeal:
    """A student asks for a re-mark within the window: a fresh blind judge marks the entry."""
    now = now or utcnow()
    entry = result.entry
    if entry.student_id != student.id:
        raise Forbidden()
    setup = find_setup(result.round_id)
    if now >= setup.appeal_until():
        raise Conflict(_("The time for appeals has ended."))
    reason = essay_services.clean_text(reason, limit=2000, field="reason")
    if not reason:
        raise ValidationFailed(_("Please say why you ask for a re-mark."), field="reason")
    if db.session.scalar(sa.select(Appeal.id).where(Appeal.entry_id == entry.id)):
        raise Conflict(_("You have already asked for a re-mark of this entry."))
    fresh = assign_third_judge(entry, now, kind=AssignmentKind.APPEAL)
    if fresh is None:
        raise Conflict(
            _("No judge is free to re-mark the entry now; please contact the organizers.")
        )
    appeal = Appeal(
        round_id=result.round_id,
        entry_id=entry.id,
        student_id=student.id,
        reason=reason,
        assignment_id=fresh.id,
        score_before=result.score,
        created_at=now,
    )
    db.session.add(appeal)
    db.session.flush()
    audit.record(actor=student, action="judging.appeal", obj=appeal, reason=reason, now=now)
    return appeal


def record_appeal_mark(assignment: Assignment, now: datetime) -> None:
    """Note that the appeal judge has submitted, so the chief judge can decide the appeal."""
    appeal = db.session.scalar(sa.select(Appeal).where(Appeal.assignment_id == assignment.id))
    if appeal is not None and appeal.status == AppealStatus.OPEN:
        appeal.status = AppealStatus.MARKED
        db.session.flush()


def decide_appeal(
    *, actor, appeal: Appeal, value, reason: str, now: datetime | None = None
) -> Appeal:
    """The chief judge keeps or changes the published score after the fresh mark (audited)."""
    now = now or utcnow()
    if appeal.status != AppealStatus.MARKED:
        raise Conflict(_("This appeal is not waiting for a decision."))
    if appeal.assignment is not None and appeal.assignment.judge_id == actor.id:
        raise Conflict(_("You re-marked this entry; someone else decides the appeal."))
    rubric = current_rubric(appeal.round_id)
    score = parse_points(value, field="value", top=rubric.scale)
    reason = essay_services.clean_text(reason, limit=2000, field="reason")
    if not reason:
        raise ValidationFailed(_("Please give the reason for the decision."), field="reason")
    result = db.session.scalar(sa.select(Result).where(Result.entry_id == appeal.entry_id))
    before = format_points(result.score)
    result.score = score
    appeal.status = AppealStatus.DECIDED
    appeal.score_after = score
    appeal.decision = reason
    appeal.decided_by_id = actor.id
    appeal.decided_at = now
    db.session.add(
        Resolution(
            round_id=appeal.round_id,
            entry_id=appeal.entry_id,
            outcome=APPEAL_DECISION,
            final=True,
            value=score,
            reason=reason,
            detail={"before": before},
            decided_by_id=actor.id,
            created_at=now,
        )
    )
    db.session.flush()
    rerank(appeal.round_id)
    audit.record(
        actor=actor,
        action="judging.appeal_decide",
        obj=appeal,
        before={"score": before},
        after={"score": format_points(score)},
        reason=reason,
        now=now,
    )
    return appeal


def appeals(round_id: int) -> list[Appeal]:
    return list(
        db.session.scalars(
            sa.select(Appeal)
            .where(Appeal.round_id == round_id)
            .options(sa.orm.joinedload(Appeal.entry), sa.orm.joinedload(Appeal.assignment))
            .order_by(Appeal.status, Appeal.id)
        )
    )
