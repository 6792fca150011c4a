"""Who marks what: the assignment plan, conflicts, overdue work and third judges.

``contests.judging.rules`` decides (even loads, no judge on their own school or a declared
conflict); this module loads the pool, loads and conflicts, calls it, and stores the
``Assignment`` rows. A judge who declares a conflict or lets a sheet go overdue has it moved
to another judge by the same rules, as do a withdrawn or deactivated judge's open sheets when an
organizer moves them.

The chief judge sees marks (the dashboard, an entry's sheets), so they are never given an entry
that has a submitted mark: never its third judge or an appeal's re-marker, nor the new judge of
a sheet moved once the other judge submitted. As a marker they see no other marks on an entry
while they hold its sheet.

Just over 400 lines: one concern (who marks what) whose parts share the loading of pools and
loads; split further, each part would re-read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from contests.essay import services as essay_services
from contests.essay.models import Entry, EntryStatus, EssayRound
from contests.judging import rules
from contests.judging.models import (
    MARKING,
    Appeal,
    Assignment,
    AssignmentKind,
    AssignmentStatus,
    JudgingRound,
)
from contests.judging.services.rubric import current_rubric
from contests.judging.services.setup import MarkingClosed, find_setup, pool, setup_for
from core import audit
from core.clock import utcnow
from core.errors import Conflict, ValidationFailed
from core.extensions import db


def _declared_conflicts(round_id: int) -> list[tuple[int, int]]:
    return list(
        db.session.execute(
            sa.select(Assignment.judge_id, Assignment.entry_id).where(
                Assignment.round_id == round_id, Assignment.moved_for == "conflict"
            )
        )
    )


def _open_loads(round_id: int) -> dict[int, int]:
    rows = db.session.execute(
        sa.select(Assignment.judge_id, sa.func.count())
        .where(Assignment.round_id == round_id, Assignment.status != AssignmentStatus.MOVED)
        .group_by(Assignment.judge_id)
    )
    return dict(rows.all())


def _rules_entry(entry: Entry) -> rules.Entry:
    return rules.Entry(entry.id, entry.school_id)


def preview_assignment(
    *, round_: EssayRound, seed: int | None = None, now: datetime | None = None
) -> rules.AssignmentPlan:
    """Plan judges for the round's submitted entries not yet assigned (nothing is stored)."""
    now = now or utcnow()
    setup = setup_for(round_)
    if not round_.is_closed(now):
        raise Conflict(_("The round is still open; assign judges after it closes."))
    if current_rubric(round_.id) is None:
        raise Conflict(_("Set the rubric before assigning judges."))
    active, _reserve = pool(round_.id)
    assigned = set(
        db.session.scalars(
            sa.select(Assignment.entry_id).where(
                Assignment.round_id == round_.id, Assignment.kind == AssignmentKind.FIRST
            )
        )
    )
    rows = db.session.execute(
        sa.select(Entry.id, Entry.school_id).where(
            Entry.round_id == round_.id, Entry.status == EntryStatus.SUBMITTED
        )
    )
    entries = [rules.Entry(i, school) for i, school in rows if i not in assigned]
    loads = _open_loads(round_.id)
    active_ids = {j.id for j in active}
    try:
        return rules.plan_assignment(
            entries,
            active,
            setup.judges_per_entry,
            existing={j: n for j, n in loads.items() if j in active_ids},
            conflicts=_declared_conflicts(round_.id),
            seed=seed,
        )
    except rules.AssignmentInfeasible as error:
        lines = [
            _(
                "%(n)d entries, %(eligible)d eligible judges",
                n=len(s.entry_ids),
                eligible=s.eligible,
            )
            for s in error.shortfalls
        ]
        raise Conflict(
            _(
                "Some entries cannot get %(k)d judges from other schools: %(detail)s. Add judges "
                "to the pool.",
                k=setup.judges_per_entry,
                detail="; ".join(lines),
            )
        ) from None


def run_assignment(
    *, actor, round_: EssayRound, seed: int, now: datetime | None = None
) -> rules.AssignmentPlan:
    """Store the previewed plan (same seed, same plan) and lock the rubric (audited)."""
    now = now or utcnow()
    plan = preview_assignment(round_=round_, seed=seed, now=now)
    setup = setup_for(round_)
    due = now + timedelta(days=setup.days_to_mark)
    base = dict(
        db.session.execute(
            sa.select(Assignment.judge_id, sa.func.max(Assignment.position))
            .where(Assignment.round_id == round_.id)
            .group_by(Assignment.judge_id)
        ).all()
    )
    rows = [
        {
            "round_id": round_.id,
            "entry_id": entry_id,
            "judge_id": judge_id,
            "kind": AssignmentKind.FIRST,
            "status": AssignmentStatus.OPEN,
            "position": (base.get(judge_id) or 0) + 1 + offset,
            "comment": "",
            "seq": 0,
            "assigned_at": now,
            "due_at": due,
        }
        for judge_id, queue in plan.queues.items()
        for offset, entry_id in enumerate(queue)
    ]
    if rows:
        # One multi-row INSERT: a round of 5,000 entries stores 10,000 sheets at once.
        db.session.execute(sa.insert(Assignment), rows)
    rubric = current_rubric(round_.id)
    if rubric.locked_at is None:
        rubric.locked_at = now
    setup.started_at = setup.started_at or now
    setup.seed = plan.seed
    db.session.flush()
    audit.record(
        actor=actor,
        action="judging.assign",
        obj=setup,
        after={k: v for k, v in plan.preview().items() if k != "loads"},
        now=now,
    )
    return plan


def _judges_on_entry(entry_id: int) -> set[int]:
    return set(
        db.session.scalars(sa.select(Assignment.judge_id).where(Assignment.entry_id == entry_id))
    )


def _seen_by(entry: Entry) -> set[int]:
    """Judges who have seen the entry or may have seen its marks: its markers, and the round's
    chief judge once any mark on it is submitted."""
    seen = _judges_on_entry(entry.id)
    setup = find_setup(entry.round_id)
    if setup and setup.chief_judge_id:
        marked = db.session.scalar(
            sa.select(sa.func.count(Assignment.id)).where(
                Assignment.entry_id == entry.id,
                Assignment.status.in_((AssignmentStatus.SUBMITTED, AssignmentStatus.RECONCILING)),
            )
        )
        if marked:
            seen.add(setup.chief_judge_id)
    return seen


def _move(
    *, assignment: Assignment, reason: rules.ReassignReason, now: datetime
) -> Assignment | None:
    """Give the assignment's entry to another judge by the rules; None if nobody can take it."""
    active, reserve = pool(assignment.round_id)
    try:
        pick = rules.reassign(
            _rules_entry(assignment.entry),
            assignment.judge_id,
            judges=active,
            reserves=reserve,
            on_entry=_seen_by(assignment.entry),
            loads=_open_loads(assignment.round_id),
            conflicts=_declared_conflicts(assignment.round_id),
            reason=reason,
        )
    except rules.NoEligibleJudge:
        return None
    setup = find_setup(assignment.round_id)
    moved = Assignment(
        round_id=assignment.round_id,
        entry_id=assignment.entry_id,
        judge_id=pick.judge_id,
        kind=assignment.kind,
        position=_next_position(assignment.round_id, pick.judge_id),
        assigned_at=now,
        due_at=now + timedelta(days=setup.days_to_mark),
    )
    db.session.add(moved)
    db.session.flush()
    if assignment.kind == AssignmentKind.APPEAL:
        appeal = db.session.scalar(sa.select(Appeal).where(Appeal.assignment_id == assignment.id))
        if appeal is not None:
            appeal.assignment = moved
            db.session.flush()
    return moved


def _next_position(round_id: int, judge_id: int) -> int:
    top = db.session.scalar(
        sa.select(sa.func.max(Assignment.position)).where(
            Assignment.round_id == round_id, Assignment.judge_id == judge_id
        )
    )
    return (top or 0) + 1


def declare_conflict(
    *, assignment: Assignment, reason: str, now: datetime | None = None
) -> Assignment:
    """The judge declares a conflict of interest: the entry moves to another judge (audited)."""
    now = now or utcnow()
    reason = essay_services.clean_text(reason, limit=1000, field="reason")
    if not reason:
        raise ValidationFailed(_("Please say briefly why."), field="reason")
    if assignment.status not in MARKING:
        raise MarkingClosed(_("You have already submitted your marks for this entry."))
    moved = _move(assignment=assignment, reason=rules.ReassignReason.CONFLICT, now=now)
    if moved is None:
        raise Conflict(
            _("No other judge can take this entry now; please tell the chief judge."),
            field="reason",
        )
    assignment.status = AssignmentStatus.MOVED
    assignment.moved_for = "conflict"
    assignment.moved_reason = reason
    assignment.moved_at = now
    db.session.flush()
    audit.record(
        actor=assignment.judge_id,
        action="judging.conflict",
        obj=assignment,
        after={"to_judge_id": moved.judge_id},
        reason=reason,
        now=now,
    )
    return moved


@dataclass(frozen=True)
class SheetLeft:
    """A withdrawn judge's sheet that stayed with them: its entry code and why."""

    code: str
    reason: str  # "reconciling" or "nobody_eligible"


@dataclass(frozen=True)
class MoveResult:
    moved: int
    left: list[SheetLeft] = field(default_factory=list)


def move_judge_sheets(
    *, actor, round_: EssayRound, judge_id: int, now: datetime | None = None
) -> MoveResult:
    """Move a withdrawn or deactivated judge's open sheets of the round to other judges now.

    Each sheet goes by the same rules as an overdue one (k judges per entry, the least-loaded
    eligible judge, never the author's school or a declared conflict), active judges first to
    keep the balance. Submitted sheets stay. A sheet being reconciled stays (its marks are part
    of the disagreement; the chief judge can decide it) and so does one nobody eligible can
    take: both are returned in ``left`` so the organizer is told which and why.
    Returns the number moved (audited, one entry per sheet) and the sheets left.
    """
    now = now or utcnow()
    sheets = db.session.scalars(
        sa.select(Assignment)
        .where(
            Assignment.round_id == round_.id,
            Assignment.judge_id == judge_id,
            Assignment.status.in_(MARKING),
        )
        .order_by(Assignment.position, Assignment.id)
    ).all()
    count = 0
    left: list[SheetLeft] = []
    for assignment in sheets:
        if assignment.status == AssignmentStatus.RECONCILING:
            left.append(SheetLeft(assignment.entry.code, "reconciling"))
            continue
        moved = _move(assignment=assignment, reason=rules.ReassignReason.WITHDRAWN, now=now)
        if moved is None:
            left.append(SheetLeft(assignment.entry.code, "nobody_eligible"))
            continue
        changed = _mark_moved(assignment, "withdrawn", now)
        if not changed:
            db.session.delete(moved)
            db.session.flush()
            continue
        audit.record(
            actor=actor,
            action="judging.move_withdrawn",
            obj=assignment,
            after={"to_judge_id": moved.judge_id},
            now=now,
        )
        count += 1
    db.session.flush()
    return MoveResult(count, left)


def _mark_moved(assignment: Assignment, why: str, now: datetime) -> bool:
    """Guarded: an open sheet becomes moved once (False if it was submitted or moved meanwhile)."""
    changed = db.session.execute(
        sa.update(Assignment)
        .where(Assignment.id == assignment.id, Assignment.status == AssignmentStatus.OPEN)
        .values(status=AssignmentStatus.MOVED, moved_for=why, moved_reason=why, moved_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(assignment)
    return bool(changed)


def remind_or_move_overdue(*, now: datetime | None = None) -> int:
    """Remind judges of overdue sheets; after the grace days move them to a reserve judge.

    Idempotent: a sheet is reminded once (``reminded_at``), and moved once (status MOVED).
    Returns the number of reminders sent plus sheets moved.
    """
    now = now or utcnow()
    count = 0
    overdue = db.session.execute(
        sa.select(Assignment, JudgingRound)
        .join(JudgingRound, JudgingRound.round_id == Assignment.round_id)
        .where(
            Assignment.status == AssignmentStatus.OPEN,
            Assignment.due_at <= now,
            # After publication only re-marks (appeals) are still being marked.
            sa.or_(JudgingRound.published_at.is_(None), Assignment.kind == AssignmentKind.APPEAL),
        )
        .order_by(Assignment.id)
    ).all()
    for assignment, setup in overdue:
        if assignment.reminded_at is None:
            changed = db.session.execute(
                sa.update(Assignment)
                .where(Assignment.id == assignment.id, Assignment.reminded_at.is_(None))
                .values(reminded_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            if changed:
                audit.record(actor=None, action="judging.remind", obj=assignment, now=now)
                count += 1
            db.session.refresh(assignment)
            continue
        if now < assignment.reminded_at + timedelta(days=setup.days_after_reminder):
            continue
        moved = _move(assignment=assignment, reason=rules.ReassignReason.OVERDUE, now=now)
        if moved is None:
            continue
        if not _mark_moved(assignment, "overdue", now):
            db.session.delete(moved)
            db.session.flush()
            continue
        audit.record(
            actor=None,
            action="judging.move_overdue",
            obj=assignment,
            after={"to_judge_id": moved.judge_id},
            now=now,
        )
        count += 1
    db.session.flush()
    return count


def assign_third_judge(entry: Entry, now: datetime, kind=AssignmentKind.THIRD) -> Assignment | None:
    """Give the entry to one more judge by the rules (third marker, appeal); None if nobody can."""
    active, reserve = pool(entry.round_id)
    try:
        pick = rules.pick_third_judge(
            _rules_entry(entry),
            first_judges=_seen_by(entry),
            judges=active,
            reserves=reserve,
            loads=_open_loads(entry.round_id),
            conflicts=_declared_conflicts(entry.round_id),
        )
    except rules.NoEligibleJudge:
        return None
    setup = find_setup(entry.round_id)
    third = Assignment(
        round_id=entry.round_id,
        entry_id=entry.id,
        judge_id=pick.judge_id,
        kind=kind,
        position=_next_position(entry.round_id, pick.judge_id),
        assigned_at=now,
        due_at=now + timedelta(days=setup.days_to_mark),
    )
    db.session.add(third)
    db.session.flush()
    return third
