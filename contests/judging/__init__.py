"""Blind judging of writing-contest entries: rubrics, assignment, marking, resolution, results.

``rules`` holds the pure rules engine (no database, no Flask): balanced conflict-free assignment
of judges, the Vietnamese double-marking rule for disagreements, agreement statistics and
ranking with advancement. The package's services call it with plain ids and store the outcome.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.scheduler import Job, register_job
from core.web import NavItem, add_home_section, add_nav


def _home_judge() -> dict:
    import sqlalchemy as sa
    from flask_login import current_user

    from contests.judging.models import MARKING, Assignment
    from core.extensions import db

    left = db.session.scalar(
        sa.select(sa.func.count(Assignment.id)).where(
            Assignment.judge_id == current_user.id, Assignment.status.in_(MARKING)
        )
    )
    return {"judging_left": left}


def _home_organizer() -> dict:
    from contests.judging.services.todo import rounds_to_assign

    return {"to_assign": rounds_to_assign()}


def init_app(app: Flask) -> None:
    from contests.judging import api, views
    from core import api as core_api

    app.register_blueprint(views.bp)
    core_api.register(app, api.blp)
    add_nav(
        app,
        NavItem(
            "judging.queue",
            _l("Judging"),
            roles=("judge",),
            order=38,
            match=("judging.queue", "judging.score"),
        ),
    )
    add_nav(
        app,
        NavItem(
            "judging.manage",
            _l("Judging"),
            roles=("admin", "organizer"),
            order=35,
            group="contests",
            match=(
                "judging.manage",
                "judging.dashboard",
                "judging.setup",
                "judging.rubric",
                "judging.assign",
                "judging.decide",
                "judging.advance",
                "judging.appeal",
            ),
        ),
    )
    add_nav(
        app,
        NavItem(
            "judging.my_results",
            _l("My results"),
            roles=("student",),
            order=33,
            match=("judging.my_results",),
        ),
    )
    add_home_section(app, "judge", "contests/judging/_home_judge.html", _home_judge, 30)
    # The organizer's to-do list: entries of closed rounds still waiting for judges.
    add_home_section(
        app, "organizer", "contests/judging/_home_organizer.html", _home_organizer, order=6
    )
    register_job(
        app, Job("judging-overdue", "contests.judging.jobs:handle_overdue", timedelta(hours=1))
    )
