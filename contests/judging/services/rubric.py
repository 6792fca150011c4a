"""The round's rubric and the points a judge may give.

Marks are Decimals on a quarter-point grid (``MARK_STEP``); ``parse_points`` refuses anything
off the grid or above the criterion's maximum, ``format_points`` prints them without trailing
zeros. The rubric is locked once marking has started (the assignment is stored): the judges mark
by the rubric they were given, so any change is refused beside the field that changed.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import gettext as _

from contests.essay import services as essay_services
from contests.essay.models import EssayRound
from contests.judging.models import (
    Rubric,
    RubricCriterion,
)
from contests.judging.services.setup import JudgingStarted
from core import audit
from core.clock import utcnow
from core.errors import ValidationFailed
from core.extensions import db
from core.i18n import format_number

MARK_STEP = Decimal("0.25")


def current_rubric(round_id: int) -> Rubric | None:
    """The rubric in force: the newest version."""
    return db.session.scalar(
        sa.select(Rubric)
        .where(Rubric.round_id == round_id)
        .order_by(Rubric.version.desc())
        .options(sa.orm.selectinload(Rubric.criteria))
        .limit(1)
    )


def parse_points(value, *, field: str, top: Decimal | None = None) -> Decimal:
    """Read a mark typed by a person (comma or point); refuse one off the grid or above ``top``."""
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, AttributeError):
        raise ValidationFailed(_("Enter a number."), field=field) from None
    if not number.is_finite():
        raise ValidationFailed(_("Enter a number."), field=field)
    if number % MARK_STEP:
        raise ValidationFailed(_("Use steps of 0.25 points."), field=field)
    if number < 0 or (top is not None and number > top):
        raise ValidationFailed(
            _("Enter a mark from 0 to %(max)s.", max=format_number(top)), field=field
        )
    return number


def format_points(value: Decimal | None) -> str:
    """Print points without trailing zeros (7, 7.5, 7.25); empty for none."""
    if value is None:
        return ""
    return format(value.normalize(), "f") if value == value.to_integral() else str(value)


def _rubric_dict(rubric: Rubric | None) -> dict | None:
    if rubric is None:
        return None
    return {
        "version": rubric.version,
        "scale": format_points(rubric.scale),
        "criteria": [
            {"name": c.name, "guidance": c.guidance, "max_points": format_points(c.max_points)}
            for c in rubric.criteria
        ],
    }


def _first_change(rubric: Rubric, cleaned: list[tuple], scale: Decimal) -> str | None:
    """The form field of the first difference from the locked rubric, or None if the same."""
    if rubric.scale != scale:
        return "scale"
    old = rubric.criteria
    for index, (name, guidance, top) in enumerate(cleaned):
        if index >= len(old):
            return f"criteria-{index}-name"
        for key, value in (("name", name), ("guidance", guidance), ("max_points", top)):
            if getattr(old[index], key) != value:
                return f"criteria-{index}-{key}"
    if len(old) > len(cleaned):
        return f"criteria-{len(cleaned)}-name"
    return None


def save_rubric(
    *,
    actor,
    round_: EssayRound,
    criteria: list[dict],
    scale=Decimal(10),
    now: datetime | None = None,
) -> Rubric:
    """Set the round's rubric (audited); once marking has started a change is refused."""
    now = now or utcnow()
    scale = parse_points(scale, field="scale")
    if scale <= 0:
        raise ValidationFailed(_("The scale must be above zero."), field="scale")
    cleaned = []
    for index, item in enumerate(criteria):
        name = essay_services.clean_text(
            item.get("name"), limit=200, field=f"criteria-{index}-name", single_line=True
        )
        if not name:
            continue
        top = parse_points(item.get("max_points"), field=f"criteria-{index}-max_points")
        if top <= 0:
            raise ValidationFailed(
                _("A criterion needs a maximum above zero."), field=f"criteria-{index}-max_points"
            )
        guidance = essay_services.clean_text(
            item.get("guidance"), limit=2000, field=f"criteria-{index}-guidance"
        )
        cleaned.append((name, guidance, top))
    if not cleaned:
        raise ValidationFailed(_("Add at least one criterion."), field="criteria-0-name")
    if sum(top for _n, _g, top in cleaned) != scale:
        raise ValidationFailed(
            _(
                "The criteria's maxima must add up to the scale (%(scale)s).",
                scale=format_points(scale),
            ),
            field="scale",
        )
    rubric = current_rubric(round_.id)
    before = _rubric_dict(rubric)
    if rubric is not None and rubric.locked_at is not None:
        changed = _first_change(rubric, cleaned, scale)
        if changed is None:
            return rubric
        raise JudgingStarted(
            _("Marking has started: the rubric is locked and can no longer change."),
            field=changed,
        )
    if rubric is None:
        rubric = Rubric(
            round_id=round_.id,
            version=1,
            scale=scale,
            created_by_id=getattr(actor, "id", None),
            created_at=now,
        )
        db.session.add(rubric)
    else:
        rubric.criteria.clear()
        db.session.flush()
        rubric.scale = scale
    for position, (name, guidance, top) in enumerate(cleaned):
        rubric.criteria.append(
            RubricCriterion(position=position, name=name, guidance=guidance, max_points=top)
        )
    db.session.flush()
    audit.record(
        actor=actor,
        action="judging.rubric_save",
        obj=rubric,
        before=before,
        after=_rubric_dict(rubric),
        now=now,
    )
    return rubric
