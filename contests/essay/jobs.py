"""Scheduled work: announcing rounds as they open, reminding unsubmitted drafts before the close,
submitting last drafts where a round says so, and the similarity check once rounds close."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa

from contests.essay import services, similarity
from contests.essay.models import EssayRound
from core.extensions import db

log = logging.getLogger("mangxanh.essay")


def check_closed_rounds(*, now: datetime) -> int:
    """Check every round that closed since its last check; returns the rounds checked.

    Idempotent: a checked round has ``similarity_checked_at`` after its close and is skipped.
    """
    # After the grace, so a submit in flight at the close is checked too, and after the last
    # drafts are submitted where the round says so.
    rounds = db.session.scalars(
        sa.select(EssayRound).where(
            EssayRound.closes_at <= now - services.grace(),
            sa.or_(
                EssayRound.similarity_checked_at.is_(None),
                EssayRound.similarity_checked_at < EssayRound.closes_at,
            ),
        )
    ).all()
    for round_ in rounds:
        services.submit_round_drafts(round_=round_, now=now)
        flags = similarity.check_round(round_=round_, now=now)
        log.info("essay round %s checked: %s new flags", round_.id, flags)
    return len(rounds)


def announce_rounds(*, now: datetime) -> int:
    """Tell eligible students that a round has opened (once each)."""
    return services.announce(now=now)


def remind_unsubmitted(*, now: datetime) -> int:
    """Remind students with an unsubmitted draft 24 h and 1 h before the close (once each)."""
    return services.remind_unsubmitted(now=now)


def submit_last_drafts(*, now: datetime) -> int:
    """Submit the non-empty last drafts of closed rounds whose organizer chose it."""
    count = services.submit_last_drafts(now=now)
    if count:
        log.info("essay: %s last drafts submitted at the close", count)
    return count
