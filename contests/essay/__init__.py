"""Writing contests ("viết về hành động đẹp trên không gian mạng"): rounds, drafts, submissions,
photos, anonymity for judges and similarity checks."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import Flask, url_for
from flask.cli import AppGroup
from flask_babel import lazy_gettext as _l

from core.notifications.services import register_kind
from core.scheduler import Job, register_job
from core.web import NavItem, add_home_section, add_nav

essay_cli = AppGroup("essay", help="Writing contests.")


@essay_cli.command("check-similarity")
@click.argument("round_id", type=int)
def check_similarity_command(round_id: int) -> None:
    """Check one round for near-copies now (organizers see the flags)."""
    from contests.essay import services, similarity
    from core.extensions import db

    found = similarity.check_round(round_=services.get_round(round_id))
    db.session.commit()
    click.echo(f"{found} new flag(s).")


def _home_context() -> dict:
    from flask_login import current_user

    from contests.essay import services

    return {"essay_rounds": services.open_rounds_for(current_user)}


def _campaign_contents(campaign) -> list[dict]:
    """The writing contests on a campaign, for its public page (no campaign import needed)."""
    import sqlalchemy as sa

    from contests.essay.models import EssayContest
    from core.extensions import db

    contests = db.session.scalars(
        sa.select(EssayContest).where(EssayContest.campaign_id == campaign.id)
    )
    return [
        {
            "title": c.title,
            "url": url_for("essay.show", contest_id=c.id),
            "kind": _l("Writing contest"),
        }
        for c in contests
    ]


def init_app(app: Flask) -> None:
    from contests.essay import api, views
    from core import api as core_api

    app.register_blueprint(views.bp)
    core_api.register(app, api.blp)
    add_nav(app, NavItem("essay.index", _l("Writing contest"), roles=("student",), order=32))
    add_nav(
        app,
        NavItem(
            "essay.manage",
            _l("Writing contests"),
            roles=("admin", "organizer"),
            order=34,
            group="contests",
            match=(
                "essay.manage",
                "essay.contest",
                "essay.edit_round",
                "essay.round_dashboard",
                "essay.flag",
            ),
        ),
    )
    add_nav(
        app,
        NavItem(
            "essay.school_progress",
            _l("Writing contest entries"),
            roles=("coordinator",),
            order=36,
            group="school",
        ),
    )
    add_home_section(app, "student", "contests/essay/_home_student.html", _home_context, 30)
    app.extensions.setdefault("mangxanh.campaign_contents", []).append(_campaign_contents)
    app.cli.add_command(essay_cli)
    register_job(
        app,
        Job("essay-similarity", "contests.essay.jobs:check_closed_rounds", timedelta(minutes=10)),
    )
    register_kind(
        app,
        "essay_deadline_day",
        _l("Your entry in %(title)s is not submitted yet: the round closes in 24 hours."),
    )
    register_kind(
        app,
        "essay_deadline_hour",
        _l("Your entry in %(title)s is not submitted yet: the round closes within the hour."),
    )
    register_job(
        app,
        Job("essay-reminders", "contests.essay.jobs:remind_unsubmitted", timedelta(minutes=5)),
    )
    register_job(
        app,
        Job("essay-last-drafts", "contests.essay.jobs:submit_last_drafts", timedelta(minutes=1)),
    )
    register_job(
        app,
        Job("essay-announcements", "contests.essay.jobs:announce_rounds", timedelta(minutes=1)),
    )
