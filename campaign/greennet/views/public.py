"""Public pages of the movement: the standings everyone may see."""

from __future__ import annotations

from flask import render_template

from campaign.greennet import services
from campaign.greennet.views.common import (
    bp,
    level_arg,
    milestone_arg,
)


@bp.route("/movement")
def standings():
    """Public standings of the current movement: schools by level with score and tier."""
    movement = services.current_movement()
    level, milestone = level_arg(), milestone_arg()
    rows = services.standings(movement, level=level, milestone=milestone) if movement else []
    return render_template(
        "campaign/greennet/standings.html",
        movement=movement,
        rows=rows,
        level=level,
        milestone=milestone,
    )
