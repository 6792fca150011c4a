"""The one source of "now": every clock read in the application goes through here."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def local_zone(name: str | None = None) -> ZoneInfo:
    """Return the zone dates are shown in (Asia/Ho_Chi_Minh unless configured)."""
    if name is None:
        from flask import current_app

        name = current_app.config["TIMEZONE"]
    return ZoneInfo(name)


def local_today(now: datetime | None = None, zone: str | None = None) -> date:
    """Return today's date in the district's time zone."""
    return (now or utcnow()).astimezone(local_zone(zone)).date()


def school_year(now: datetime | None = None, zone: str | None = None) -> str:
    """Return the school year containing ``now``, e.g. "2025-2026" (a year starts on 1 August)."""
    today = local_today(now, zone)
    start = today.year if today.month >= 8 else today.year - 1
    return f"{start}-{start + 1}"


def local_to_utc(value: datetime, zone: str | None = None) -> datetime:
    """Read a naive datetime typed by a person in the district's zone and return it in UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=local_zone(zone))
    return value.astimezone(UTC)
