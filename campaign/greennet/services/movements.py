"""Movements and their milestones: the school year, the tier thresholds, the dates."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

import sqlalchemy as sa
from flask_babel import gettext as _

from campaign.greennet.models import (
    Milestone,
    MilestoneKind,
    Movement,
)
from core import audit
from core.clock import local_zone, utcnow
from core.errors import Conflict, ValidationFailed
from core.extensions import db


def default_milestones(start_year: int) -> list[tuple[MilestoneKind, str, date]]:
    return [
        (MilestoneKind.LAUNCH, "Phát động phong trào", date(start_year, 9, 15)),
        (MilestoneKind.MIDTERM, "Sơ kết học kỳ I", date(start_year + 1, 1, 20)),
        (MilestoneKind.FINAL, "Tổng kết năm học", date(start_year + 1, 5, 25)),
    ]


def create_movement(
    *,
    actor,
    school_year: str,
    title: str,
    campaign_id: int | None = None,
    now: datetime | None = None,
) -> Movement:
    """Start a movement for a school year, with launch, mid-term and final milestones."""
    if not re.fullmatch(r"\d{4}-\d{4}", school_year or "") or (
        int(school_year[5:]) != int(school_year[:4]) + 1
    ):
        raise ValidationFailed(_("Write the school year as 2025-2026."), field="school_year")
    if db.session.scalar(sa.select(Movement.id).where(Movement.school_year == school_year)):
        raise Conflict(
            _("There is already a movement for %(year)s.", year=school_year), field="school_year"
        )
    movement = Movement(
        school_year=school_year,
        title=title.strip(),
        campaign_id=campaign_id,
        created_at=now or utcnow(),
    )
    for kind, label, due in default_milestones(int(school_year[:4])):
        movement.milestones.append(Milestone(kind=kind, title=label, due_on=due))
    db.session.add(movement)
    db.session.flush()
    audit.record(
        actor=actor,
        action="greennet.movement.create",
        obj=movement,
        after={"school_year": school_year},
        now=now,
    )
    return movement


def update_tiers(
    *,
    actor,
    movement: Movement,
    excellent_min: float,
    good_min: float,
    pass_min: float,
    quota_percent: float | None,
    quota_rule: str | None = None,
    now: datetime | None = None,
) -> None:
    """Change the tier thresholds (percent of maximum), the top-tier quota and its rule.

    ``quota_rule`` is "at_most" (không quá X %, rounded down) or "nearest"; None keeps it.
    Locked results keep the tiers they were given.
    """
    if not (100 >= excellent_min > good_min > pass_min >= 0):
        raise ValidationFailed(
            _("Thresholds must fall from Excellent to Pass, between 0 and 100."),
            field="excellent_min",
        )
    if quota_percent is not None and not (0 < quota_percent <= 100):
        raise ValidationFailed(_("The quota is a percentage between 1 and 100."), field="quota")
    if quota_rule is not None and quota_rule not in ("at_most", "nearest"):
        raise ValidationFailed(_("Choose how the quota is counted."), field="quota_rule")
    before = _tier_settings(movement)
    movement.quota_rule = quota_rule or movement.quota_rule or "at_most"
    movement.excellent_min, movement.good_min, movement.pass_min = excellent_min, good_min, pass_min
    movement.excellent_quota_percent = quota_percent
    audit.record(
        actor=actor,
        action="greennet.tiers",
        obj=movement,
        before=before,
        after=_tier_settings(movement),
        now=now,
    )
    db.session.flush()


def _tier_settings(movement: Movement) -> dict:
    return {
        "excellent_min": movement.excellent_min,
        "good_min": movement.good_min,
        "pass_min": movement.pass_min,
        "quota": movement.excellent_quota_percent,
        "quota_rule": movement.quota_rule,
    }


def set_milestone_date(*, actor, milestone: Milestone, due_on: date, now=None) -> None:
    before = {"due_on": milestone.due_on.isoformat()}
    milestone.due_on = due_on
    audit.record(
        actor=actor,
        action="greennet.milestone",
        obj=milestone,
        before=before,
        after={"due_on": due_on.isoformat()},
        now=now,
    )
    db.session.flush()


def movements() -> list[Movement]:
    return list(db.session.scalars(sa.select(Movement).order_by(Movement.school_year.desc())))


def current_movement(now: datetime | None = None) -> Movement | None:
    """The movement of the current school year, else the latest one."""
    from core.clock import school_year

    year = school_year(now)
    found = db.session.scalar(sa.select(Movement).where(Movement.school_year == year))
    return found or db.session.scalar(sa.select(Movement).order_by(Movement.school_year.desc()))


def period(movement: Movement) -> tuple[datetime, datetime]:
    """The movement's school year as UTC instants: 1 August to 1 August (local time)."""
    zone = local_zone()
    since = datetime.combine(date(movement.start_year, 8, 1), time(), zone).astimezone(UTC)
    until = datetime.combine(date(movement.start_year + 1, 8, 1), time(), zone).astimezone(UTC)
    return since, until
