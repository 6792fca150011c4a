"""The attempt clock: deadlines, the grace after them, the errors a late or early request gets.

The server owns the clock. An attempt's paper and deadline are fixed when it starts; every save
and submit is checked against ``deadline_at`` plus a short grace for network latency.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from contests.quiz.models import Attempt, AttemptStatus
from core.errors import Conflict

DEFAULT_GRACE_SECONDS = 30


class AttemptClosed(Conflict):
    """The attempt is submitted, or its deadline (plus grace) has passed."""

    code = "attempt_closed"


class RoundNotOpen(Conflict):
    """The round has not opened yet or is already closed."""

    code = "round_not_open"


def grace(config=None) -> timedelta:
    """The latency allowance after a deadline (QUIZ_GRACE_SECONDS, default 30 s)."""
    config = current_app.config if config is None else config
    return timedelta(seconds=config.get("QUIZ_GRACE_SECONDS", DEFAULT_GRACE_SECONDS))


def seconds_remaining(attempt: Attempt, now: datetime) -> int:
    """Whole seconds left before the attempt's deadline (0 once it has passed or is submitted)."""
    if attempt.status != AttemptStatus.IN_PROGRESS:
        return 0
    return seconds_left(attempt.deadline_at, now)


def seconds_left(deadline_at: datetime, now: datetime) -> int:
    """Whole seconds before ``deadline_at`` (0 once it has passed): the countdown every save
    answer sends, with a token or without."""
    return max(0, int((deadline_at - now).total_seconds()))


def accepts_answers(attempt: Attempt, now: datetime) -> bool:
    return attempt.status == AttemptStatus.IN_PROGRESS and now <= attempt.deadline_at + grace()
