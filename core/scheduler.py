"""Periodic housekeeping: the one table of jobs, and ``flask scheduler run``.

Jobs never decide what the site shows (state is derived from timestamps when read); they
finalize, snapshot, remind and clean up. Every job is idempotent — a guarded state transition —
so running one twice has one effect.

APScheduler is the engine: each job of the table is an interval job with ``max_instances=1``
(a slow run is never overlapped by the next) and coalescing (runs missed while the process was
busy or paused collapse into one). Exactly one scheduler runs per deployment, guarded by
``core.scheduler_lock``: on PostgreSQL an advisory lock (a second copy waits for it), on SQLite a
lock file (a second copy refuses to start). The lock is checked before every job run and every
few seconds besides; a scheduler that has lost it (a database restart ends the session that held
it) pauses every job until it holds the lock again.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import click
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask, current_app
from flask.cli import AppGroup

from core.clock import utcnow
from core.extensions import db
from core.scheduler_lock import ADVISORY_LOCK_KEY, AdvisoryLock, FileLock, lock_for

log = logging.getLogger("mangxanh.scheduler")

__all__ = ["ADVISORY_LOCK_KEY", "Job", "Scheduler", "registered_jobs", "run_job"]


@dataclass(frozen=True)
class Job:
    """A periodic job: ``target`` is "module:function" taking ``now`` and returning a count."""

    name: str
    target: str
    every: timedelta

    def function(self) -> Callable[..., int]:
        module, attr = self.target.split(":")
        return getattr(importlib.import_module(module), attr)


def register_job(app: Flask, job: Job) -> None:
    """Add a package's periodic job; each package registers its own in its ``init_app``."""
    app.extensions.setdefault("mangxanh.jobs", []).append(job)


def registered_jobs(app: Flask) -> list[Job]:
    """Every periodic job of the platform, in one table (in the order packages registered them)."""
    return list(app.extensions.get("mangxanh.jobs", []))


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


Lock = AdvisoryLock | FileLock


class Scheduler:
    """The job table on APScheduler, run only while this process holds the scheduler lock."""

    def __init__(self, app: Flask, lock: Lock | None, jobs: list[Job] | None = None) -> None:
        self.app = app
        self.lock = lock
        self.jobs = registered_jobs(app) if jobs is None else list(jobs)
        self.check_every = float(app.config.get("SCHEDULER_LOCK_CHECK_SECONDS", 5.0))
        self.stopping = threading.Event()
        #: Set by a job run that found the lock gone, so the keeper acts at once.
        self.lock_lost = threading.Event()
        # One worker: jobs run one after another, as they always have.
        self.engine = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(1)}, timezone=UTC, daemon=True
        )
        first = utcnow()
        for job in self.jobs:
            seconds = job.every.total_seconds()
            self.engine.add_job(
                self.run,
                IntervalTrigger(seconds=seconds, timezone=UTC),
                args=[job],
                id=job.name,
                name=job.name,
                max_instances=1,
                coalesce=True,
                # A run late by up to one interval still happens (once); older ones are dropped.
                misfire_grace_time=max(1, int(seconds)),
                next_run_time=first,
            )

    def run(self, job: Job) -> int | None:
        """One run of ``job``, if the lock is still ours: app context, job, commit, log."""
        if self.lock is not None and not self.lock.held():
            log.warning("job %s not run: the scheduler lock is lost", job.name)
            self.lock_lost.set()
            return None
        with self.app.app_context():
            try:
                return run_job(job)
            except Exception:
                # run_job logged it; the job is tried again at its next interval.
                return None

    def run_all_once(self) -> None:
        """Run every job once, in table order (``flask scheduler run --once``)."""
        for job in self.jobs:
            self.run(job)

    def serve(self) -> None:
        """Run the jobs until ``stop()``: keep the lock, pause while it is lost."""
        self.engine.start()
        try:
            while not self.stopping.is_set():
                self.lock_lost.wait(self.check_every)
                if self.stopping.is_set():
                    break
                if self.lock is not None and (self.lock_lost.is_set() or not self.lock.held()):
                    self._regain_lock()
        finally:
            self.engine.shutdown(wait=True)

    def _regain_lock(self) -> None:
        self.engine.pause()
        log.warning("scheduler lock lost: every job is paused until it is held again")
        while not self.stopping.is_set():
            if self.lock.try_acquire():
                self.lock_lost.clear()
                self.engine.resume()
                log.warning("scheduler lock held again: jobs resume")
                return
            self.stopping.wait(self.check_every)

    def stop(self) -> None:
        self.stopping.set()
        self.lock_lost.set()


def _lock(app: Flask) -> Lock:
    with app.app_context():
        return lock_for(db.engine, app.config["INSTANCE_PATH"])


def start_embedded(app: Flask) -> Scheduler | None:
    """Run the scheduler in a daemon thread (development server), unless one already runs."""
    lock = _lock(app)
    if not lock.try_acquire():
        log.warning("embedded scheduler not started: another scheduler is already running")
        return None
    scheduler = Scheduler(app, lock)
    threading.Thread(target=scheduler.serve, name="scheduler", daemon=True).start()
    return scheduler


def wait_for_lock(lock: Lock, poll: float) -> None:
    """Take the lock: a lock file is refused at once; an advisory lock is waited for."""
    if lock.try_acquire():
        return
    if isinstance(lock, FileLock):
        raise click.ClickException(
            f"Another scheduler is already running (it holds {lock.path}); not starting."
        )
    click.echo("Another scheduler holds the lock; waiting…")
    while not lock.try_acquire():
        time.sleep(poll)


scheduler_cli = AppGroup("scheduler", help="Periodic jobs.")


@scheduler_cli.command("run")
@click.option("--once", is_flag=True, help="Run every job once and exit.")
def run_command(once: bool) -> None:
    """Run the periodic jobs (blocking). Only one copy runs; others wait for the lock."""
    app = current_app._get_current_object()
    lock = _lock(app)
    wait_for_lock(lock, float(app.config.get("SCHEDULER_LOCK_CHECK_SECONDS", 5.0)))
    click.echo("Scheduler lock acquired.")
    scheduler = Scheduler(app, lock)
    try:
        if once:
            scheduler.run_all_once()
        else:
            click.echo(f"Scheduler running {len(scheduler.jobs)} job(s).")
            scheduler.serve()
    except KeyboardInterrupt:
        scheduler.stop()
    finally:
        lock.release()


@scheduler_cli.command("list")
def list_command() -> None:
    """List the periodic jobs."""
    for job in registered_jobs(current_app):
        click.echo(f"{job.name:32} every {job.every}  {job.target}")


def init_app(app: Flask) -> None:
    app.cli.add_command(scheduler_cli)
