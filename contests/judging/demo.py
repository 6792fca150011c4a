"""The demo's judging (filled in below)."""

from __future__ import annotations

from datetime import datetime


def seed_judging(*, now: datetime) -> None:
    """Judge the demo writing contest (idempotent)."""
