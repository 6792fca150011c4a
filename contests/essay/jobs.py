"""Scheduled work: announcing rounds as they open; the similarity check once they close."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa

from contests.essay import similarity
from contests.essay.models import EssayRound
from core.extensions import db

log = logging.getLogger("mangxanh.essay")


def check_closed_rounds(*, now: datetime) -> int:
    """Check every round that closed since its last check; returns the rounds checked.

    Idempotent: a checked round has ``similarity_checked_at`` after its close and is skipped.
    """
    rounds = db.session.scalars(
        sa.select(EssayRound).where(
            EssayRound.closes_at <= now,
            sa.or_(
                EssayRound.similarity_checked_at.is_(None),
                EssayRound.similarity_checked_at < EssayRound.closes_at,
            ),
        )
    ).all()
    for round_ in rounds:
        flags = similarity.check_round(round_=round_, now=now)
        log.info("essay round %s checked: %s new flags", round_.id, flags)
    return len(rounds)


def announce_rounds(*, now: datetime) -> int:
    """Tell eligible students that a round has opened (once each)."""
    from contests.essay.services import announce

    return announce(now=now)
