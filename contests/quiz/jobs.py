"""Scheduled quiz housekeeping: finalize expired attempts, leaderboards, announcements."""

from __future__ import annotations

from datetime import datetime

from contests.quiz.leaderboards import refresh_snapshots
from contests.quiz.services import announce, finalize_expired


def finalize_expired_attempts(*, now: datetime) -> int:
    """Close open attempts whose deadline plus grace has passed, from their saved answers."""

    return finalize_expired(now=now)


def snapshot_leaderboards(*, now: datetime) -> int:
    """Recompute leaderboards of open rounds, and of closed rounds once."""

    return refresh_snapshots(now=now)


def announce_rounds(*, now: datetime) -> int:
    """Tell students a round has opened, and entrants that its results are out (once each)."""

    return announce(now=now)
