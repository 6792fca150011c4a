import pytest
import sqlalchemy as sa

from core import scheduler
from core.extensions import db as _db


def test_scheduler_list_shows_the_job_table(runner):
    result = runner.invoke(args=["scheduler", "list"])

    assert result.exit_code == 0
    assert "expire-activation-codes" in result.output


def test_runner_runs_each_due_job_once_per_interval(app, monkeypatch):
    calls = []
    job = scheduler.Job(
        "probe", "tests.core.test_scheduler:probe_job", scheduler.timedelta(hours=1)
    )
    monkeypatch.setattr(scheduler, "run_job", lambda j, now=None: calls.append(j.name) or 1)
    runner = scheduler.Runner(app, jobs=[job])

    runner.run_due()
    runner.run_due()

    assert calls == ["probe"]


def probe_job(*, now):
    return 0


@pytest.mark.postgres_only
def test_second_scheduler_waits_for_the_advisory_lock(app, request):
    if request.config.getoption("--db") != "postgresql":
        pytest.skip("advisory locks are a PostgreSQL feature")
    with app.app_context():
        engine = _db.engine
        holder = engine.connect()
        other = engine.connect()
        try:
            key = {"key": scheduler.ADVISORY_LOCK_KEY}
            first = holder.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), key).scalar()
            second = other.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), key).scalar()
            holder.execute(sa.text("SELECT pg_advisory_unlock(:key)"), key)
            third = other.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), key).scalar()
            other.execute(sa.text("SELECT pg_advisory_unlock(:key)"), key)
        finally:
            holder.close()
            other.close()

    assert (first, second, third) == (True, False, True)
