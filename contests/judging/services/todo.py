"""What the organizer's home page lists for judging: entries no judge has been given yet."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from contests.essay.models import Entry, EntryStatus, EssayRound
from contests.judging.models import Assignment
from core.clock import utcnow
from core.extensions import db


def rounds_to_assign(*, now: datetime | None = None) -> list[tuple[EssayRound, int]]:
    """Closed writing rounds with submitted entries that no judge has: (round, how many)."""
    now = now or utcnow()
    counts = dict(
        db.session.execute(
            sa.select(Entry.round_id, sa.func.count(Entry.id))
            .join(EssayRound, EssayRound.id == Entry.round_id)
            .where(
                EssayRound.closes_at <= now,
                Entry.status == EntryStatus.SUBMITTED,
                ~sa.exists().where(Assignment.entry_id == Entry.id),
            )
            .group_by(Entry.round_id)
        ).all()
    )
    if not counts:
        return []
    rounds = db.session.scalars(
        sa.select(EssayRound).where(EssayRound.id.in_(counts)).order_by(EssayRound.closes_at)
    )
    return [(r, counts[r.id]) for r in rounds]
