"""The close of a round: reminders of unsubmitted drafts, and the last drafts submitted.

A student whose entry is still a draft (or withdrawn) is told 24 hours and 1 hour before the
close, once each (a dedupe key per round and reminder). Where the organizer chose it for the
round, every non-empty draft still unsubmitted once the close and its grace have passed is
submitted as it stands, stamped with the close; a re-run finds nothing left to submit (the same
guarded transition as a student's submit).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from contests.essay.models import EDITABLE, Entry, EntryStatus, EssayRound
from contests.essay.services.entries import grace
from core import audit
from core.extensions import db
from core.notifications.services import notify

#: (how long before the close, notification kind): the longest first.
REMINDERS = (
    (timedelta(hours=24), "essay_deadline_day"),
    (timedelta(hours=1), "essay_deadline_hour"),
)
#: A round whose close is longer ago than this is no longer looked at by the close jobs.
LOOK_BACK = timedelta(days=7)


def remind_unsubmitted(*, now: datetime) -> int:
    """Remind students with an unsubmitted draft that the round closes soon (once each)."""
    rounds = db.session.scalars(
        sa.select(EssayRound).where(
            EssayRound.closes_at > now, EssayRound.closes_at <= now + REMINDERS[0][0]
        )
    ).all()
    sent = 0
    for round_ in rounds:
        left = round_.closes_at - now
        # The shortest reminder whose window we are in: 1 h before, only the hour's notice.
        before, kind = min((r for r in REMINDERS if left <= r[0]), key=lambda r: r[0])
        students = db.session.scalars(
            sa.select(Entry.student_id).where(
                Entry.round_id == round_.id, Entry.status.in_(EDITABLE)
            )
        ).all()
        sent += notify(
            user_ids=students,
            kind=kind,
            params={"title": f"{round_.contest.title} — {round_.name}"},
            endpoint="essay.write",
            values={"round_id": round_.id},
            dedupe_key=f"essay-remind-{int(before.total_seconds())}:{round_.id}",
            now=now,
        )
    return sent


def submit_last_drafts(*, now: datetime) -> int:
    """Submit every non-empty last draft of the rounds that chose it, once the grace is over."""
    rounds = db.session.scalars(
        sa.select(EssayRound).where(
            EssayRound.submit_drafts_at_close.is_(True),
            EssayRound.closes_at <= now - grace(),
            EssayRound.closes_at > now - LOOK_BACK,
        )
    ).all()
    return sum(submit_round_drafts(round_=round_, now=now) for round_ in rounds)


def submit_round_drafts(*, round_: EssayRound, now: datetime) -> int:
    """Submit the round's non-empty drafts as they stood at the close; return how many."""
    if not round_.submit_drafts_at_close or now < round_.closes_at + grace():
        return 0
    result = db.session.execute(
        sa.update(Entry)
        .where(
            Entry.round_id == round_.id,
            Entry.status.in_(EDITABLE),
            Entry.word_count > 0,
        )
        .values(status=EntryStatus.SUBMITTED, submitted_at=round_.closes_at, withdrawn_at=None)
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount:
        audit.record(
            actor=None,
            action="essay.drafts_submitted_at_close",
            obj=round_,
            after={"entries": result.rowcount},
            now=now,
        )
    return result.rowcount
