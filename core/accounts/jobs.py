"""Scheduled account housekeeping."""

from __future__ import annotations

from datetime import datetime

from core.accounts import services


def expire_activation_codes(*, now: datetime) -> int:
    """Forget activation codes that have expired (idempotent)."""
    return services.expire_activation_codes(now=now)
