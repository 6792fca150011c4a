"""What organizers do with entries: disqualify, add reference essays, count and follow schools."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from contests.essay.models import (
    EDITABLE,
    Entry,
    EntryStatus,
    EssayContest,
    EssayRound,
    ReferenceEssay,
)
from contests.essay.services.entries import MAX_BODY_CHARS
from contests.essay.services.text import clean_text, count_words
from core import audit
from core.accounts.models import User
from core.clock import utcnow
from core.errors import ValidationFailed
from core.extensions import db
from core.schools.models import School, SchoolClass


def disqualify_entry(*, actor, entry: Entry, reason: str, now: datetime | None = None) -> Entry:
    """Disqualify an entry with a reason (audited)."""
    reason = clean_text(reason, limit=2000, field="reason")
    if not reason:
        raise ValidationFailed(_("Please give the reason."), field="reason")
    before = {"status": entry.status.value}
    entry.status = EntryStatus.DISQUALIFIED
    entry.disqualified_reason = reason
    db.session.flush()
    audit.record(
        actor=actor,
        action="essay.disqualify",
        obj=entry,
        before=before,
        after={"status": entry.status.value},
        reason=reason,
        now=now,
    )
    return entry


def add_reference(
    *, actor, contest: EssayContest, title: str, body: str, source: str = "", now=None
) -> ReferenceEssay:
    """Add a circulated model essay that entries are checked against."""
    body = clean_text(body, limit=MAX_BODY_CHARS * 2, field="body")
    if count_words(body) < 20:
        raise ValidationFailed(_("Paste the whole model essay (at least 20 words)."), field="body")
    reference = ReferenceEssay(
        contest_id=contest.id,
        title=clean_text(title, limit=200, field="title", single_line=True) or "—",
        body=body,
        source=clean_text(source, limit=300, field="source", single_line=True),
        uploaded_by_id=getattr(actor, "id", None),
        created_at=now or utcnow(),
    )
    db.session.add(reference)
    db.session.flush()
    audit.record(actor=actor, action="essay.reference_add", obj=reference, now=now)
    return reference


@dataclass(frozen=True)
class SchoolCount:
    school_id: int
    school_name: str
    drafts: int
    submitted: int


def counts_by_school(round_: EssayRound) -> list[SchoolCount]:
    """Live counts of drafts and submissions per school in a round (one query)."""
    rows = db.session.execute(
        sa.select(
            School.id,
            School.name,
            sa.func.count().filter(Entry.status.in_(EDITABLE)),
            sa.func.count().filter(Entry.status == EntryStatus.SUBMITTED),
        )
        .join(Entry, Entry.school_id == School.id)
        .where(Entry.round_id == round_.id)
        .group_by(School.id, School.name)
        .order_by(School.name)
    )
    return [SchoolCount(*row) for row in rows]


def submitted_entries(round_: EssayRound) -> list[Entry]:
    """The round's submitted entries by code, photos loaded (what judging works on)."""
    return list(
        db.session.scalars(
            sa.select(Entry)
            .where(Entry.round_id == round_.id, Entry.status == EntryStatus.SUBMITTED)
            .options(sa.orm.selectinload(Entry.photos))
            .order_by(Entry.code)
        )
    )


def entries_by_school(*, since: datetime, until: datetime) -> dict[int, int]:
    """Submitted entries per school, submitted in ``[since, until)`` (for the campaign package).

    Withdrawn and disqualified entries are not counted; nor are drafts.
    """
    rows = db.session.execute(
        sa.select(Entry.school_id, sa.func.count())
        .where(
            Entry.status == EntryStatus.SUBMITTED,
            Entry.submitted_at >= since,
            Entry.submitted_at < until,
            Entry.school_id.is_not(None),
        )
        .group_by(Entry.school_id)
    )
    return {school_id: count for school_id, count in rows}


@dataclass(frozen=True)
class StudentProgress:
    """What a coordinator sees of a student: the status and time, never the text."""

    student_id: int
    full_name: str
    class_name: str
    status: str | None
    submitted_at: datetime | None


def school_progress(*, round_: EssayRound, school: School) -> list[StudentProgress]:
    """Every student of the school and whether they have a draft or a submission in the round."""
    rows = db.session.execute(
        sa.select(User.id, User.full_name, SchoolClass.name, Entry.status, Entry.submitted_at)
        .outerjoin(SchoolClass, SchoolClass.id == User.class_id)
        .outerjoin(Entry, sa.and_(Entry.student_id == User.id, Entry.round_id == round_.id))
        .where(User.school_id == school.id, User.is_active_student)
        .order_by(SchoolClass.name, User.full_name)
    )
    return [
        StudentProgress(uid, name, class_name or "", status.value if status else None, at)
        for uid, name, class_name, status, at in rows
    ]
