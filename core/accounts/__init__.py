"""Accounts, roles and school rosters."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask
from flask_babel import lazy_gettext as _l

from core.accounts import school_pages, views
from core.accounts.cli import create_admin_command
from core.accounts.roster import import_roster
from core.extensions import db
from core.notifications.services import register_kind
from core.scheduler import Job, register_job
from core.schools.models import School
from core.spreadsheets import ImportRejected
from core.web import NavItem, add_nav


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(school_pages.bp)
    add_nav(
        app,
        NavItem(
            "schools.index", _l("Schools"), roles=("admin", "organizer"), order=80, group="manage"
        ),
    )
    add_nav(
        app,
        NavItem(
            "schools.mine",
            _l("My school"),
            roles=("coordinator",),
            order=30,
            group="school",
            match=("schools.show", "accounts.class_roster", "accounts.import_roster"),
        ),
    )
    # A grant of the safeguarding role waits for a second administrator (core.accounts.grants).
    register_kind(
        app,
        "safeguarding_grant_requested",
        _l(
            "%(by)s asked to give %(user)s the safeguarding role; a second administrator must approve."
        ),
    )
    register_kind(
        app,
        "safeguarding_grant_approved",
        _l("%(user)s now holds the safeguarding role (approved by %(by)s)."),
    )
    register_kind(
        app,
        "role_grant_awaiting_approval",
        _l("%(by)s asked to give %(user)s the safeguarding role: your approval is needed."),
    )
    add_nav(app, NavItem("accounts.users", _l("Users"), roles=("admin",), order=90, group="admin"))
    add_nav(
        app,
        NavItem("accounts.audit_log", _l("Audit log"), roles=("admin",), order=95, group="admin"),
    )
    app.cli.add_command(import_roster_command)
    app.cli.add_command(create_admin_command)
    register_job(
        app,
        Job(
            "expire-activation-codes",
            "core.accounts.jobs:expire_activation_codes",
            timedelta(hours=1),
        ),
    )


@click.command("import-roster")
@click.option("--school", "school_code", required=True, help="The school's code, e.g. THCS-DX.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_roster_command(school_code: str, file: Path) -> None:
    """Import a school's students from an .xlsx or .csv file (all or nothing)."""
    school = db.session.scalar(sa.select(School).where(School.code == school_code.upper()))
    if school is None:
        raise click.ClickException(f"Không có trường mã {school_code}.")
    bars: dict[str, click.progressbar] = {}
    labels = {"check": "Kiểm tra", "write": "Ghi"}

    def progress(phase: str, done: int, total: int) -> None:
        bar = bars.get(phase)
        if bar is None:
            bar = bars[phase] = click.progressbar(length=total, label=labels.get(phase, phase))
            bar.__enter__()
        bar.update(done - bar.pos)
        if done >= total:
            bar.__exit__(None, None, None)

    try:
        with file.open("rb") as stream:
            report = import_roster(
                actor=None, school=school, stream=stream, filename=file.name, progress=progress
            )
    except ImportRejected as rejected:
        db.session.rollback()
        click.echo(f"Tệp có {len(rejected.report.errors)} lỗi; không nhập gì.", err=True)
        for error in rejected.report.errors:
            where = f"dòng {error.row}" if error.row else "cả tệp"
            column = f", cột {error.column}" if error.column else ""
            click.echo(f"  {where}{column}: {error.message}", err=True)
        sys.exit(1)
    db.session.commit()
    c = report.counts
    click.echo(
        f"Đã nhập {c['rows']} dòng: {c['created']} học sinh mới, {c['updated']} cập nhật "
        f"({c['moved']} chuyển lớp), {c['unchanged']} không đổi, {c['classes_created']} lớp mới."
    )
    if report.notes:
        click.echo("Lớp mới: " + ", ".join(report.notes))
