"""The green network movement (phong trào thi đua "Mạng xanh")."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.notifications.services import register_kind
from core.scheduler import Job, register_job
from core.web import NavItem, add_home_section, add_nav


def init_app(app: Flask) -> None:
    from campaign.campaigns.services import add_content_provider
    from campaign.greennet import api, views
    from core import api as core_api

    app.register_blueprint(views.bp)
    core_api.register(app, api.blp)
    add_nav(
        app,
        NavItem(
            "greennet.standings",
            _l("Green network"),
            order=30,
            public=True,
            match=("greennet.standings",),
        ),
    )
    add_nav(
        app,
        NavItem(
            "greennet.mine",
            _l("My school's movement"),
            roles=("coordinator",),
            order=31,
            group="school",
            match=(
                "greennet.mine",
                "greennet.school",
                "greennet.activity",
                "greennet.new_activity",
                "greennet.edit_activity",
            ),
        ),
    )
    add_nav(
        app,
        NavItem(
            "greennet.manage",
            _l("Movement"),
            roles=("admin", "organizer"),
            order=32,
            group="manage",
            match=(
                "greennet.manage",
                "greennet.settings",
                "greennet.dashboard",
                "greennet.verification",
            ),
        ),
    )
    add_content_provider(app, _campaign_contents)
    # The organizer's to-do list: activities schools submitted that wait for verification.
    add_home_section(app, "organizer", "campaign/greennet/_home_organizer.html", _home_organizer, 8)
    app.cli.add_command(_cli())
    register_kind(
        app,
        "activity_returned",
        _l("The district returned an activity for more evidence: %(title)s"),
    )
    register_kind(app, "activity_approved", _l("The district approved an activity: %(title)s"))
    register_kind(
        app, "return_deadline_near", _l("The deadline to resubmit %(title)s is %(deadline)s.")
    )
    register_job(
        app,
        Job(
            "greennet-return-reminders",
            "campaign.greennet.jobs:remind_return_deadlines",
            timedelta(hours=6),
        ),
    )


def _home_organizer() -> dict:
    import sqlalchemy as sa

    from campaign.greennet.models import Activity, ActivityStatus
    from campaign.greennet.services import current_movement
    from core.extensions import db

    movement = current_movement()
    waiting = 0
    if movement is not None:
        waiting = db.session.scalar(
            sa.select(sa.func.count(Activity.id)).where(
                Activity.movement_id == movement.id, Activity.status == ActivityStatus.SUBMITTED
            )
        )
    return {"movement": movement, "waiting": waiting}


def _campaign_contents(campaign) -> list[dict]:
    import sqlalchemy as sa
    from flask import url_for

    from campaign.greennet.models import Movement
    from core.extensions import db

    return [
        {
            "title": m.title,
            "url": url_for("greennet.standings"),
            "kind": _l("Emulation movement"),
            "opens_at": None,
            "closes_at": None,
        }
        for m in db.session.scalars(sa.select(Movement).where(Movement.campaign_id == campaign.id))
    ]


def _cli():
    import click
    from flask.cli import AppGroup

    group = AppGroup("movement", help="Green network movement.")

    @group.command("export")
    @click.option("--year", help="School year, e.g. 2025-2026 (default: the current movement).")
    @click.option("--format", "fmt", type=click.Choice(["xlsx", "pdf"]), default="xlsx")
    @click.option(
        "--language",
        type=click.Choice(["vi", "en"]),
        default="vi",
        help="The language of the sheet's labels (default: Vietnamese).",
    )
    @click.argument("path", type=click.Path(dir_okay=False, writable=True))
    def export(year: str | None, fmt: str, language: str, path: str) -> None:
        """Write the district summary of a movement to PATH."""
        import sqlalchemy as sa
        from flask_babel import force_locale

        from campaign.greennet import report_pdfs, reports, services
        from campaign.greennet.models import Movement
        from core.extensions import db

        movement = (
            db.session.scalar(sa.select(Movement).where(Movement.school_year == year))
            if year
            else services.current_movement()
        )
        if movement is None:
            raise click.ClickException("No such movement.")
        # Outside a request: the language is the option's, not a reader's.
        with force_locale(language):
            data = (
                reports.district_xlsx(movement)
                if fmt == "xlsx"
                else report_pdfs.district_pdf(movement)
            )
        with open(path, "wb") as out:
            out.write(data)
        click.echo(f"{movement.school_year}: {len(data)} bytes written to {path}")

    return group
