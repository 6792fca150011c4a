"""Periodic housekeeping: the one table of jobs, and ``flask scheduler run``.

Jobs never decide what the site shows (state is derived from timestamps when read); they
finalize, snapshot, remind and clean up. Every job is idempotent — a guarded state transition —
so running one twice has one effect. Exactly one scheduler runs per deployment: on PostgreSQL it
holds an advisory lock, and a second copy waits for it instead of doubling the work.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup

from core.clock import utcnow
from core.extensions import db

log = logging.getLogger("mangxanh.scheduler")

#: pg_advisory_lock key: "MXSCHED" as an integer.
ADVISORY_LOCK_KEY = 0x4D58534348454400 & 0x7FFFFFFFFFFFFFFF


@dataclass(frozen=True)
class Job:
    """A periodic job: ``target`` is "module:function" taking ``now`` and returning a count."""

    name: str
    target: str
    every: timedelta

    def function(self) -> Callable[..., int]:
        module, attr = self.target.split(":")
        return getattr(importlib.import_module(module), attr)


#: Every periodic job of the platform, in one place.
JOBS: list[Job] = [
    Job(
        "expire-activation-codes", "core.accounts.jobs:expire_activation_codes", timedelta(hours=1)
    ),
    Job("prune-login-sessions", "core.auth.jobs:prune_login_sessions", timedelta(minutes=10)),
    Job(
        "quiz-finalize-expired",
        "contests.quiz.jobs:finalize_expired_attempts",
        timedelta(seconds=15),
    ),
    Job("quiz-leaderboards", "contests.quiz.jobs:snapshot_leaderboards", timedelta(minutes=1)),
    Job("quiz-announcements", "contests.quiz.jobs:announce_rounds", timedelta(minutes=1)),
    Job("essay-similarity", "contests.essay.jobs:check_closed_rounds", timedelta(minutes=10)),
    Job("essay-announcements", "contests.essay.jobs:announce_rounds", timedelta(minutes=1)),
    Job("judging-overdue", "contests.judging.jobs:handle_overdue", timedelta(hours=1)),
    Job("notification-emails", "campaign.jobs:send_notification_emails", timedelta(minutes=5)),
    Job(
        "greennet-return-reminders",
        "campaign.greennet.jobs:remind_return_deadlines",
        timedelta(hours=6),
    ),
]


def run_job(job: Job, now: datetime | None = None) -> int:
    """Run one job in the current app context and commit its work; return its count."""
    now = now or utcnow()
    try:
        count = job.function()(now=now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("job %s failed", job.name)
        raise
    finally:
        db.session.remove()
    if count:
        log.info("job %s: %s", job.name, count)
    return count or 0


class Runner:
    """Runs due jobs in a loop; each job's next run is kept in memory."""

    def __init__(self, app: Flask, jobs: list[Job] | None = None, tick: float = 1.0) -> None:
        self.app = app
        self.jobs = list(JOBS if jobs is None else jobs)
        self.tick = tick
        self.stopping = threading.Event()
        self.next_run: dict[str, float] = {job.name: 0.0 for job in self.jobs}

    def run_due(self) -> None:
        now_mono = time.monotonic()
        for job in self.jobs:
            if now_mono >= self.next_run[job.name]:
                self.next_run[job.name] = now_mono + job.every.total_seconds()
                # run_job logs a failure; the job is tried again at its next interval.
                with self.app.app_context(), contextlib.suppress(Exception):
                    run_job(job)

    def loop(self) -> None:
        while not self.stopping.is_set():
            self.run_due()
            self.stopping.wait(self.tick)


def _wait_for_lock(app: Flask):
    """On PostgreSQL, hold the scheduler's advisory lock on a dedicated connection."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "postgresql":
        return None
    connection = engine.connect()
    announced = False
    while not connection.execute(
        sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
    ).scalar():
        connection.rollback()
        if not announced:
            click.echo("Another scheduler holds the lock; waiting…")
            announced = True
        time.sleep(5)
    connection.commit()
    click.echo("Scheduler lock acquired.")
    return connection


def start_embedded(app: Flask) -> Runner:
    """Run the scheduler in a daemon thread (development server only)."""
    runner = Runner(app)
    thread = threading.Thread(target=runner.loop, name="scheduler", daemon=True)
    thread.start()
    return runner


scheduler_cli = AppGroup("scheduler", help="Periodic jobs.")


@scheduler_cli.command("run")
@click.option("--once", is_flag=True, help="Run every job once and exit.")
def run_command(once: bool) -> None:
    """Run the periodic jobs (blocking). Only one copy runs; others wait for the lock."""
    app = current_app._get_current_object()
    lock = _wait_for_lock(app)
    runner = Runner(app)
    try:
        if once:
            runner.run_due()
        else:
            click.echo(f"Scheduler running {len(runner.jobs)} job(s).")
            runner.loop()
    except KeyboardInterrupt:
        pass
    finally:
        if lock is not None:
            lock.close()


@scheduler_cli.command("list")
def list_command() -> None:
    """List the periodic jobs."""
    for job in JOBS:
        click.echo(f"{job.name:32} every {job.every}  {job.target}")


def init_app(app: Flask) -> None:
    app.cli.add_command(scheduler_cli)
