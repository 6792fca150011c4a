"""The demo district and everything in it: ``flask seed-demo``. Demo accounts exist only here.

This package sits on top of everything (it imports the kernel and every domain; nothing imports
it but the composition root). Each seeder is idempotent (it checks for what it made before), so
seeding twice changes nothing; they run in the order below, each on what the ones before made.
"""

from __future__ import annotations

from datetime import datetime

import click
import sqlalchemy as sa
from flask import Flask

from core.accounts.models import User
from core.clock import utcnow
from core.extensions import db
from demo import campaign, district, essay, greennet, judging, organisations, quiz, safety

#: Every demo seeder, in the order they run; each takes ``now=``.
SEEDERS = (
    district.seed_core,
    campaign.seed_campaign,
    quiz.seed_quiz,
    essay.seed_essay,
    judging.seed_judging,
    safety.seed_safety,
    greennet.seed_greennet,
    organisations.seed_organisations,
)


def seed_demo(*, now: datetime | None = None) -> None:
    """Run every demo seeder in order (idempotent)."""
    now = now or utcnow()
    for seeder in SEEDERS:
        seeder(now=now)
        db.session.flush()


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing if the database already has users.")
def seed_demo_command(if_empty: bool) -> None:
    """Create the Gia Lâm demo district (idempotent). Demo accounts use the password demo1234."""
    if if_empty and db.session.scalar(sa.select(sa.func.count(User.id))):
        click.echo("Database already has data; demo not seeded.")
        return
    seed_demo()
    db.session.commit()
    click.echo(
        "Demo district ready. Sign in as admin, organizer, coord1, judge1 or student1 (demo1234)."
    )


def init_app(app: Flask) -> None:
    """Add ``flask seed-demo``."""
    app.cli.add_command(seed_demo_command)
