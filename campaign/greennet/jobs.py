"""Scheduled movement work: remind schools before a return deadline."""

from __future__ import annotations

from datetime import datetime

from campaign.greennet import services


def remind_return_deadlines(*, now: datetime) -> int:
    """Notify coordinators two days before a returned activity is due (once each)."""
    return services.remind_return_deadlines(now=now)
