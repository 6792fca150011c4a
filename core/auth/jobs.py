"""Scheduled sign-in housekeeping."""

from __future__ import annotations

from datetime import datetime

from core.auth import sessions


def prune_login_sessions(*, now: datetime) -> int:
    """Delete expired sessions and long-revoked ones (idempotent); return how many."""
    return sessions.prune(now=now)
