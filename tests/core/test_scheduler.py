import logging
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import scheduler
from core.extensions import db as _db
from core.scheduler_lock import AdvisoryLock, FileLock

#: Names of the threads that ran the probe job, one entry per run.
runs: list[str] = []


def probe_job(*, now):
    runs.append(threading.current_thread().name)
    return 0


def probe(every=timedelta(hours=1)):
    return scheduler.Job("probe", "tests.core.test_scheduler:probe_job", every)


@pytest.fixture
def fast_checks(app):
    """Check the lock every 50 ms instead of every 5 s."""
    before = app.config["SCHEDULER_LOCK_CHECK_SECONDS"]
    app.config["SCHEDULER_LOCK_CHECK_SECONDS"] = 0.05
    runs.clear()
    yield
    app.config["SCHEDULER_LOCK_CHECK_SECONDS"] = before
    runs.clear()


def backend(request) -> str:
    return request.config.getoption("--db")


def postgres_only(request):
    if backend(request) != "postgresql":
        pytest.skip("advisory locks are a PostgreSQL feature")


def sqlite_only(request):
    if backend(request) != "sqlite":
        pytest.skip("the lock file guards SQLite deployments")


def wait_until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def serve_in_thread(sched, name):
    thread = threading.Thread(target=sched.serve, name=name, daemon=True)
    thread.start()
    return thread


def lock_of(app):
    with app.app_context():
        return scheduler.lock_for(_db.engine, app.config["INSTANCE_PATH"])


def test_scheduler_list_shows_the_job_table(runner):
    result = runner.invoke(args=["scheduler", "list"])

    assert result.exit_code == 0
    listed = [line.split()[0] for line in result.output.splitlines()]
    assert listed == [job.name for job in scheduler.registered_jobs(runner.app)]
    assert "quiz-finalize-expired            every 0:00:15" in result.output


def test_engine_runs_the_registered_table_once_at_a_time_and_coalesced(app):
    sched = scheduler.Scheduler(app, lock=None)

    planned = {
        job.id: (job.trigger.interval, job.max_instances, job.coalesce, job.misfire_grace_time)
        for job in sched.engine.get_jobs()
    }

    assert planned == {
        job.name: (job.every, 1, True, int(job.every.total_seconds()))
        for job in scheduler.registered_jobs(app)
    }


def test_each_job_runs_at_start_then_once_per_interval(app, fast_checks):
    sched = scheduler.Scheduler(app, lock=None, jobs=[probe(timedelta(hours=1))])
    thread = serve_in_thread(sched, "S")

    assert wait_until(lambda: len(runs) == 1)
    time.sleep(0.3)
    sched.stop()
    thread.join(5)

    assert len(runs) == 1
    assert not thread.is_alive()


class LostLock:
    def held(self):
        return False


def test_a_job_is_not_run_once_the_lock_is_lost(app, fast_checks):
    sched = scheduler.Scheduler(app, lock=LostLock(), jobs=[probe()])

    result = sched.run(sched.jobs[0])

    assert (result, runs, sched.lock_lost.is_set()) == (None, [], True)


def test_a_failing_job_is_logged_and_the_scheduler_goes_on(app, fast_checks, caplog):
    broken = scheduler.Job("broken", "tests.core.test_scheduler:no_such_job", timedelta(hours=1))
    sched = scheduler.Scheduler(app, lock=None, jobs=[broken, probe()])

    with caplog.at_level(logging.ERROR, logger="mangxanh.scheduler"):
        sched.run_all_once()

    assert len(runs) == 1
    assert [r.getMessage() for r in caplog.records] == ["job broken failed"]


# --- the lock -----------------------------------------------------------------------------------


def test_the_lock_is_a_lock_file_on_sqlite_and_an_advisory_lock_on_postgresql(app, request):
    lock = lock_of(app)

    expected = AdvisoryLock if backend(request) == "postgresql" else FileLock
    assert type(lock) is expected


def test_a_second_lock_is_refused_while_the_first_is_held(app):
    first, second = lock_of(app), lock_of(app)
    try:
        taken = (first.try_acquire(), second.try_acquire())
        first.release()
        after_release = second.try_acquire()
    finally:
        first.release()
        second.release()

    assert (taken, after_release) == ((True, False), True)


def test_a_second_scheduler_run_on_sqlite_refuses_to_start(app, request, fast_checks):
    sqlite_only(request)
    holder = lock_of(app)
    assert holder.try_acquire()
    try:
        result = app.test_cli_runner().invoke(args=["scheduler", "run", "--once"])
    finally:
        holder.release()

    assert result.exit_code == 1
    assert "Another scheduler is already running" in result.output
    assert "scheduler.lock" in result.output


def test_a_second_scheduler_run_on_postgresql_waits_for_the_lock(
    app, request, fast_checks, monkeypatch
):
    postgres_only(request)
    monkeypatch.setattr(scheduler, "registered_jobs", lambda app: [probe()])
    holder = lock_of(app)
    assert holder.try_acquire()
    results = []
    waiting = threading.Thread(
        target=lambda: results.append(
            app.test_cli_runner().invoke(args=["scheduler", "run", "--once"])
        ),
        name="B",
        daemon=True,
    )
    try:
        waiting.start()
        time.sleep(0.5)
        ran_while_held = list(runs)
    finally:
        holder.release()
    waiting.join(10)

    assert ran_while_held == []
    assert runs == ["B"]
    assert results[0].exit_code == 0
    assert "Another scheduler holds the lock; waiting…" in results[0].output


def test_the_embedded_scheduler_is_skipped_when_one_is_already_running(app, caplog):
    holder = lock_of(app)
    assert holder.try_acquire()
    try:
        with caplog.at_level(logging.WARNING, logger="mangxanh.scheduler"):
            embedded = scheduler.start_embedded(app)
    finally:
        holder.release()

    assert embedded is None
    assert [r.getMessage() for r in caplog.records] == [
        "embedded scheduler not started: another scheduler is already running"
    ]


def test_the_embedded_scheduler_starts_when_none_is_running(app, fast_checks, monkeypatch):
    monkeypatch.setattr(scheduler, "registered_jobs", lambda app: [probe()])

    embedded = scheduler.start_embedded(app)
    try:
        assert wait_until(lambda: len(runs) == 1)
        assert lock_of(app).try_acquire() is False
    finally:
        embedded.stop()
        assert wait_until(lambda: not embedded.engine.running)
        embedded.lock.release()

    assert len(runs) == 1


def test_a_scheduler_that_lost_its_advisory_lock_runs_no_job_while_another_holds_it(
    app, request, fast_checks
):
    # A database restart ends the session that held the advisory lock; terminating that
    # backend does the same to one connection. B is already queued for the lock (as a second
    # scheduler would be), so PostgreSQL hands it to B the moment A's session ends.
    postgres_only(request)
    lock_a = lock_of(app)
    assert lock_a.try_acquire()
    sched_a = scheduler.Scheduler(app, lock_a, jobs=[probe(timedelta(seconds=0.05))])
    thread_a = serve_in_thread(sched_a, "A")
    b = lock_of(app).engine.connect()
    b_holds = threading.Event()

    def wait_for_the_lock():
        b.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": scheduler.ADVISORY_LOCK_KEY})
        b.commit()
        b_holds.set()

    queued = threading.Thread(target=wait_for_the_lock, name="B", daemon=True)
    try:
        assert wait_until(lambda: len(runs) >= 2)
        queued.start()
        with app.app_context(), _db.engine.connect() as admin:
            assert wait_until(
                lambda: (
                    admin.execute(
                        sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
                    ).scalar()
                    == 2
                )
            )
            admin.execute(
                sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": lock_a.backend_pid()}
            )
        assert b_holds.wait(5)
        time.sleep(0.2)  # a run A had already started when its session ended
        runs.clear()
        time.sleep(0.6)
        ran_while_b_held = list(runs)
        b.close()
        resumed = wait_until(lambda: len(runs) >= 1)
    finally:
        sched_a.stop()
        thread_a.join(5)
        lock_a.release()
        b.close()

    assert ran_while_b_held == []
    assert resumed
