"""What the movement's pages share: the blueprint, lookups that answer 404, downloads."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request

from campaign.greennet import services
from campaign.greennet.models import (
    Activity,
    MilestoneKind,
    Movement,
    Tier,
)
from core.extensions import db
from core.schools.models import School, SchoolLevel

bp = Blueprint("greennet", "campaign.greennet.views")

TIER_LABELS = {
    Tier.EXCELLENT: "Xuất sắc",
    Tier.GOOD: "Tốt",
    Tier.PASS: "Đạt",
    Tier.FAIL: "Chưa đạt",
}


def movement_or_404(movement_id: int) -> Movement:
    """Return the movement, or answer 404."""
    movement = db.session.get(Movement, movement_id)
    if movement is None:
        abort(404)
    return movement


def school_or_404(school_id: int) -> School:
    """Return the school, or answer 404."""
    school = db.session.get(School, school_id)
    if school is None:
        abort(404)
    return school


def activity_or_404(activity_id: int) -> Activity:
    """Return the activity, or answer 404."""
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        abort(404)
    return activity


def level_arg() -> SchoolLevel | None:
    """The school level the page is filtered by (``?level=``), if a valid one."""
    value = request.args.get("level", "")
    return SchoolLevel(value) if value in SchoolLevel.__members__ else None


def milestone_arg() -> MilestoneKind | None:
    """The milestone the page or report is for (``?milestone=so_ket|tong_ket``), if a valid one."""
    return services.MILESTONE_KEYS.get(request.args.get("milestone", ""))


def lockable_milestones(movement: Movement) -> list:
    """The milestones a result can be locked at: sơ kết and tổng kết (not the launch)."""
    return [m for m in movement.milestones if m.kind != MilestoneKind.LAUNCH]


def download(data: bytes, mimetype: str, name: str) -> Response:
    """A private, uncached download of ``data`` named ``name``."""
    return Response(
        data,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
        },
    )
