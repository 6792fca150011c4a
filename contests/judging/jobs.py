"""Scheduled work: remind judges of overdue sheets, then move them to reserve judges."""

from __future__ import annotations

import logging
from datetime import datetime

from contests.judging import services

log = logging.getLogger("mangxanh.judging")


def handle_overdue(*, now: datetime) -> int:
    """Remind, then reassign, overdue sheets; returns reminders plus moves (idempotent)."""
    count = services.remind_or_move_overdue(now=now)
    if count:
        log.info("judging: %s overdue sheet(s) reminded or moved", count)
    return count
