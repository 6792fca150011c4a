"""What the chief judge watches: progress per judge, counts, open disagreements, agreement."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from contests.essay.models import Entry, EntryStatus
from contests.judging import rules
from contests.judging.models import (
    MARKING,
    Assignment,
    AssignmentKind,
    AssignmentStatus,
    Mark,
    PoolMember,
    Resolution,
)
from contests.judging.services.rubric import current_rubric
from core.accounts.models import User
from core.clock import utcnow
from core.extensions import db


@dataclass(frozen=True)
class JudgeProgress:
    judge_id: int
    name: str
    role: str
    assigned: int
    done: int
    overdue: int


def progress(round_id: int, *, now: datetime | None = None) -> list[JudgeProgress]:
    """Per judge of the round: sheets held, submitted, and overdue (one query)."""
    now = now or utcnow()
    counting = Assignment.status != AssignmentStatus.MOVED
    rows = db.session.execute(
        sa.select(
            User.id,
            User.full_name,
            PoolMember.role,
            sa.func.count(Assignment.id).filter(counting),
            sa.func.count(Assignment.id).filter(Assignment.status == AssignmentStatus.SUBMITTED),
            sa.func.count(Assignment.id).filter(
                Assignment.status.in_(MARKING), Assignment.due_at <= now
            ),
        )
        .select_from(PoolMember)
        .join(User, User.id == PoolMember.user_id)
        .outerjoin(
            Assignment,
            sa.and_(Assignment.judge_id == User.id, Assignment.round_id == round_id),
        )
        .where(PoolMember.round_id == round_id)
        .group_by(User.id, User.full_name, PoolMember.role)
        .order_by(PoolMember.role, User.full_name)
    )
    return [
        JudgeProgress(uid, name, role.value if role else "", a, d, o)
        for uid, name, role, a, d, o in rows
    ]


def latest_resolutions(round_id: int) -> dict[int, Resolution]:
    """Each entry's newest resolution in the round (entry id → row)."""
    newest = (
        sa.select(sa.func.max(Resolution.id))
        .where(Resolution.round_id == round_id)
        .group_by(Resolution.entry_id)
    )
    return {
        r.entry_id: r
        for r in db.session.scalars(
            sa.select(Resolution)
            .where(Resolution.id.in_(newest))
            .options(sa.orm.joinedload(Resolution.entry))
        )
    }


def open_disagreements(round_id: int) -> list[Resolution]:
    """Entries whose newest resolution waits on people (reconcile, third judge, chief judge)."""
    return sorted(
        (r for r in latest_resolutions(round_id).values() if not r.final),
        key=lambda r: (r.outcome != rules.Outcome.CHIEF_JUDGE.value, r.id),
    )


def final_scores(round_id: int) -> dict[int, Decimal]:
    return {e: r.value for e, r in latest_resolutions(round_id).items() if r.final}


def counts(round_id: int) -> dict[str, int]:
    """Headline numbers for the dashboard."""
    entries = db.session.scalar(
        sa.select(sa.func.count(Entry.id)).where(
            Entry.round_id == round_id, Entry.status == EntryStatus.SUBMITTED
        )
    )
    latest = latest_resolutions(round_id)
    return {
        "entries": entries,
        "resolved": sum(1 for r in latest.values() if r.final),
        "waiting": sum(1 for r in latest.values() if not r.final),
        "third_marked": db.session.scalar(
            sa.select(sa.func.count(Assignment.id)).where(
                Assignment.round_id == round_id, Assignment.kind == AssignmentKind.THIRD
            )
        ),
    }


def agreement(round_id: int) -> tuple[rules.AgreementReport, dict[int, str]] | None:
    """The round's agreement report on totals, and the judges' names; None before any mark."""
    rubric = current_rubric(round_id)
    if rubric is None:
        return None
    rows = db.session.execute(
        sa.select(Assignment.entry_id, Assignment.judge_id, sa.func.sum(Mark.value))
        .join(Mark, Mark.assignment_id == Assignment.id)
        .where(
            Assignment.round_id == round_id,
            Assignment.kind.in_((AssignmentKind.FIRST, AssignmentKind.THIRD)),
            Assignment.status.in_((AssignmentStatus.SUBMITTED, AssignmentStatus.RECONCILING)),
        )
        .group_by(Assignment.entry_id, Assignment.judge_id)
    )
    ratings: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for entry_id, judge_id, total in rows:
        ratings[entry_id][judge_id] = total  # Points: already in points
    if not ratings:
        return None
    names = dict(
        db.session.execute(
            sa.select(User.id, User.full_name).where(
                User.id.in_({j for marks in ratings.values() for j in marks})
            )
        ).all()
    )
    return rules.agreement_report(ratings, max_score=rubric.scale), names


def ranking(round_id: int) -> list[rules.Ranked]:
    return rules.rank(final_scores(round_id))
