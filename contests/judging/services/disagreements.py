"""Resolution of an entry once its markers have submitted, and the chief judge's decision.

When every marker of an entry has submitted, the double-marking rule is applied to the total
(the bands apply to the total only; criterion gaps are kept to show the two judges who
reconcile, never to call a third judge). A gap above the reconcile band brings a third judge at once (the
least-loaded eligible judge, never one who has seen the entry); a gap in the band reopens both
sheets for the two judges to reconcile (if they still disagree, the chief judge decides); a
spread of three marks above the limit waits for the chief judge. Each outcome is a
``Resolution`` row with its reason; the newest row is the entry's state.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from contests.essay import services as essay_services
from contests.essay.models import Entry
from contests.judging import rules
from contests.judging.models import (
    MARKING,
    Assignment,
    AssignmentKind,
    AssignmentStatus,
    Resolution,
)
from contests.judging.services.assignment import assign_third_judge
from contests.judging.services.rubric import current_rubric, format_points, parse_points
from contests.judging.services.setup import disagreement_rules, find_setup
from core import audit
from core.clock import utcnow
from core.errors import Conflict, ValidationFailed
from core.extensions import db

CHIEF_DECISION = "chief_decision"


def latest_resolution(entry_id: int) -> Resolution | None:
    return db.session.scalar(
        sa.select(Resolution)
        .where(Resolution.entry_id == entry_id)
        .order_by(Resolution.id.desc())
        .limit(1)
    )


def _sheets(entry_id: int) -> list[Assignment]:
    """The sheets that count for the rule (first and third markers, not moved, not appeals)."""
    return list(
        db.session.scalars(
            sa.select(Assignment)
            .where(
                Assignment.entry_id == entry_id,
                Assignment.kind.in_((AssignmentKind.FIRST, AssignmentKind.THIRD)),
                Assignment.status != AssignmentStatus.MOVED,
            )
            .options(sa.orm.selectinload(Assignment.marks))
            .order_by(Assignment.id)
        )
    )


def evaluate_entry(*, entry: Entry, now: datetime | None = None) -> Resolution | None:
    """Apply the double-marking rule once every marker has submitted; act on the outcome."""
    now = now or utcnow()
    sheets = _sheets(entry.id)
    if not sheets or any(s.status in MARKING for s in sheets):
        return None
    setup = find_setup(entry.round_id)
    rubric = current_rubric(entry.round_id)
    criteria_max = {c.id: c.max_points for c in rubric.criteria}
    marks = {s.judge_id: {m.criterion_id: m.value for m in s.marks} for s in sheets}
    result = rules.resolve_entry(
        marks, criteria_max=criteria_max, total_max=rubric.scale, rules=disagreement_rules(setup)
    )
    previous = latest_resolution(entry.id)
    outcome, reason = result.outcome, result.reason
    if (
        outcome == rules.Outcome.RECONCILE
        and previous is not None
        and previous.outcome == "reconcile"
    ):
        # The two judges looked again and still disagree: the chief judge decides.
        outcome, reason = rules.Outcome.CHIEF_JUDGE, "reconcile_failed"
    detail = {
        "judges": {str(s.judge_id): format_points(s.total()) for s in sheets},
        "criteria": {
            str(c): {"outcome": r.outcome.value, "value": format_points(r.value)}
            for c, r in result.criteria.items()
        },
        "difference": format_points(result.total.difference),
        "gaps": [str(c) for c in result.criterion_gaps],
    }
    resolution = Resolution(
        round_id=entry.round_id,
        entry_id=entry.id,
        outcome=outcome.value,
        final=outcome.final,
        value=result.value if outcome.final else None,
        reason=reason,
        detail=detail,
        created_at=now,
    )
    db.session.add(resolution)
    if outcome == rules.Outcome.THIRD_JUDGE:
        third = assign_third_judge(entry, now)
        if third is None:
            resolution.outcome = rules.Outcome.CHIEF_JUDGE.value
            resolution.reason = "no_third_judge"
        else:
            detail["third_judge_id"] = third.judge_id
    elif outcome == rules.Outcome.RECONCILE:
        for sheet in sheets:
            sheet.status = AssignmentStatus.RECONCILING
            sheet.reopened_at, sheet.reopened_seq = now, sheet.seq
    db.session.flush()
    return resolution


def chief_decide(
    *, actor, entry: Entry, value, reason: str, now: datetime | None = None
) -> Resolution:
    """The chief judge settles an entry the rule left open (reconcile band or wide spread)."""
    now = now or utcnow()
    latest = latest_resolution(entry.id)
    if latest is None or latest.final:
        raise Conflict(_("This entry is not waiting for a decision."))
    if latest.outcome == rules.Outcome.THIRD_JUDGE.value:
        raise Conflict(_("A third judge is marking this entry; wait for their mark."))
    rubric = current_rubric(entry.round_id)
    score = parse_points(value, field="value", top=rubric.scale)
    reason = essay_services.clean_text(reason, limit=2000, field="reason")
    if not reason:
        raise ValidationFailed(_("Please give the reason for the decision."), field="reason")
    for sheet in _sheets(entry.id):
        if sheet.status == AssignmentStatus.RECONCILING:
            sheet.status = AssignmentStatus.SUBMITTED
    resolution = Resolution(
        round_id=entry.round_id,
        entry_id=entry.id,
        outcome=CHIEF_DECISION,
        final=True,
        value=score,
        reason=reason,
        detail={"after": latest.outcome},
        decided_by_id=actor.id,
        created_at=now,
    )
    db.session.add(resolution)
    db.session.flush()
    audit.record(
        actor=actor,
        action="judging.decide",
        obj=entry,
        before={"outcome": latest.outcome},
        after={"value": format_points(score)},
        reason=reason,
        now=now,
    )
    return resolution


def criterion_gaps(assignment: Assignment) -> set[int]:
    """The criteria on which the judges who reconcile differ (shown on both their sheets)."""
    if assignment.status != AssignmentStatus.RECONCILING:
        return set()
    latest = latest_resolution(assignment.entry_id)
    if latest is None or latest.outcome != rules.Outcome.RECONCILE.value:
        return set()
    return {int(c) for c in (latest.detail or {}).get("gaps", [])}


def other_sheets(assignment: Assignment) -> list[Assignment]:
    """The other judges' submitted sheets on the entry, shown only after one's own submit."""
    if assignment.status not in (AssignmentStatus.SUBMITTED, AssignmentStatus.RECONCILING):
        return []
    if assignment.kind == AssignmentKind.APPEAL:
        return []
    return [
        s
        for s in _sheets(assignment.entry_id)
        if s.id != assignment.id
        and s.status in (AssignmentStatus.SUBMITTED, AssignmentStatus.RECONCILING)
    ]
