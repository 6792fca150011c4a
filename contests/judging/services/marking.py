"""Marking: a judge's queue, saving marks as they type, and submitting a sheet.

A judge's marks are saved with the browser's sequence number: the assignment row is updated
only where its stored ``seq`` is smaller, so a late retry never overwrites newer marks.
Submitting is a guarded transition (``UPDATE … WHERE status IN ('open', 'reconciling')``); the
entry's row is locked first so two judges submitting at the same moment are evaluated one after
the other, and a double submit evaluates once.

A submit carries an idempotency key (the browser makes one per press of the button and sends the
same one when it retries). A sheet reopened for reconciling is completed only by a submit made
after the reopening: a new key, or, without a key, a save made after it. A retry of the submit
that preceded the reopening (same key) changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from contests.essay import services as essay_services
from contests.essay.models import Entry
from contests.judging.models import (
    MARKING,
    Assignment,
    AssignmentKind,
    AssignmentStatus,
    Mark,
)
from contests.judging.services.appeals import record_appeal_mark
from contests.judging.services.disagreements import evaluate_entry
from contests.judging.services.rubric import current_rubric, parse_points
from contests.judging.services.setup import MarkingClosed
from core.accounts.models import User
from core.clock import utcnow
from core.errors import NotFound, ValidationFailed
from core.extensions import db

MAX_COMMENT_CHARS = 5000


@dataclass(frozen=True)
class SaveResult:
    assignment: Assignment
    #: False when the save was older than what is stored (nothing changed).
    accepted: bool


def my_assignments(judge: User) -> list[Assignment]:
    """The judge's sheets in queue order (moved ones left out), entries loaded for codes."""
    return list(
        db.session.scalars(
            sa.select(Assignment)
            .where(Assignment.judge_id == judge.id, Assignment.status != AssignmentStatus.MOVED)
            .options(sa.orm.joinedload(Assignment.entry), sa.orm.selectinload(Assignment.marks))
            .order_by(Assignment.round_id.desc(), Assignment.position)
        )
    )


def get_assignment_for(judge: User, assignment_id: int) -> Assignment:
    """The judge's own sheet; anything else (someone else's, moved away) is simply not found."""
    assignment = db.session.get(Assignment, assignment_id)
    if (
        assignment is None
        or assignment.judge_id != judge.id
        or assignment.status == AssignmentStatus.MOVED
    ):
        raise NotFound()
    return assignment


def _require_marking(assignment: Assignment) -> None:
    if assignment.status == AssignmentStatus.MOVED:
        raise MarkingClosed(_("This entry has moved to another judge."))
    if assignment.status not in MARKING:
        raise MarkingClosed(_("You have already submitted your marks for this entry."))


def save_marks(
    *,
    assignment: Assignment,
    marks: dict[int, object],
    comment: str | None,
    seq: int,
    now: datetime | None = None,
) -> SaveResult:
    """Autosave marks (criterion id → value, None clears) and the comment; older seq is ignored.

    Every mark is checked against its criterion's range; the refusal names each field.
    """
    now = now or utcnow()
    _require_marking(assignment)
    rubric = current_rubric(assignment.round_id)
    criteria = {c.id: c for c in rubric.criteria}
    values: dict[int, Decimal | None] = {}
    errors: dict[str, str] = {}
    for criterion_id, raw in marks.items():
        criterion = criteria.get(int(criterion_id))
        if criterion is None:
            raise ValidationFailed(_("This criterion is not in the rubric."), field="marks")
        field = f"criterion-{criterion.id}"
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            values[criterion.id] = None
            continue
        try:
            values[criterion.id] = parse_points(raw, field=field, top=criterion.max_points)
        except ValidationFailed as error:
            errors[field] = error.message
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(errors[first], field=first, fields=errors)
    comment_text = None
    if comment is not None:
        comment_text = essay_services.clean_text(comment, limit=MAX_COMMENT_CHARS, field="comment")
    if seq <= assignment.seq:
        return SaveResult(assignment, accepted=False)
    update = {"seq": seq, "saved_at": now}
    if comment_text is not None:
        update["comment"] = comment_text
    changed = db.session.execute(
        sa.update(Assignment)
        .where(
            Assignment.id == assignment.id,
            Assignment.seq < seq,
            Assignment.status.in_(MARKING),
        )
        .values(**update)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(assignment)
    if not changed:
        _require_marking(assignment)
        return SaveResult(assignment, accepted=False)
    existing = {m.criterion_id: m for m in assignment.marks}
    for criterion_id, value in values.items():
        mark = existing.get(criterion_id)
        if value is None:
            if mark is not None:
                assignment.marks.remove(mark)
        elif mark is None:
            assignment.marks.append(
                Mark(criterion_id=criterion_id, value=value, seq=seq, saved_at=now)
            )
        else:
            mark.value, mark.seq, mark.saved_at = value, seq, now
    db.session.flush()
    return SaveResult(assignment, accepted=True)


def submit_marks(
    *, assignment: Assignment, key: str | None = None, now: datetime | None = None
) -> Assignment:
    """Submit the sheet (guarded: a double click or a retry changes nothing more)."""
    now = now or utcnow()
    if key is not None and key == assignment.submit_key:
        return assignment
    if assignment.status == AssignmentStatus.SUBMITTED:
        return assignment
    if assignment.status not in MARKING:
        raise MarkingClosed(_("This entry has moved to another judge."))
    if (
        assignment.status == AssignmentStatus.RECONCILING
        and key is None
        and assignment.seq <= (assignment.reopened_seq or 0)
    ):
        raise MarkingClosed(
            _(
                "Your sheet was reopened to reconcile: look at the other marks, then submit "
                "again from the sheet."
            )
        )
    rubric = current_rubric(assignment.round_id)
    marked = {m.criterion_id for m in assignment.marks}
    missing = [c for c in rubric.criteria if c.id not in marked]
    if missing:
        raise ValidationFailed(
            _(
                "Give a mark for every criterion before submitting (missing: %(name)s).",
                name=missing[0].name,
            ),
            field=f"criterion-{missing[0].id}",
        )
    # Serialize evaluations of one entry: two judges submitting at once are seen one by one.
    db.session.execute(sa.select(Entry.id).where(Entry.id == assignment.entry_id).with_for_update())
    guard = [Assignment.id == assignment.id, Assignment.status.in_(MARKING)]
    if key is not None:
        guard.append(sa.or_(Assignment.submit_key.is_(None), Assignment.submit_key != key))
    changed = db.session.execute(
        sa.update(Assignment)
        .where(*guard)
        .values(status=AssignmentStatus.SUBMITTED, submitted_at=now, submit_key=key)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(assignment)
    if not changed:
        if assignment.status in MARKING or assignment.status == AssignmentStatus.SUBMITTED:
            return assignment
        raise MarkingClosed(_("This entry has moved to another judge."))
    if assignment.kind == AssignmentKind.APPEAL:
        record_appeal_mark(assignment, now)
    else:
        evaluate_entry(entry=assignment.entry, now=now)
    return assignment
