"""Campaign code reads the configured time zone (TIMEZONE), not a zone written into it."""

from __future__ import annotations

from datetime import UTC, datetime

from campaign.greennet import services
from campaign.greennet.models import Movement


def test_movement_period_starts_at_midnight_in_the_configured_zone(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "TIMEZONE", "UTC")

    since, until = services.period(Movement(school_year="2026-2027"))

    assert (since, until) == (datetime(2026, 8, 1, tzinfo=UTC), datetime(2027, 8, 1, tzinfo=UTC))


def test_movement_period_starts_at_midnight_in_ha_noi_by_default(app, db):
    since, _until = services.period(Movement(school_year="2026-2027"))

    assert since == datetime(2026, 7, 31, 17, 0, tzinfo=UTC)


def test_current_movement_follows_the_configured_zone(app, db, make, monkeypatch):
    organizer = make.organizer()
    older = services.create_movement(actor=organizer, school_year="2025-2026", title="Cũ")
    newer = services.create_movement(actor=organizer, school_year="2026-2027", title="Mới")
    # 1 August 2026, 03:00 in Hà Nội: still 31 July in New York.
    instant = datetime(2026, 7, 31, 20, 0, tzinfo=UTC)

    in_ha_noi = services.current_movement(instant)
    monkeypatch.setitem(app.config, "TIMEZONE", "America/New_York")
    in_new_york = services.current_movement(instant)

    assert (in_ha_noi, in_new_york) == (newer, older)
