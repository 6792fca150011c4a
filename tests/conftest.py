"""Fixtures: one migrated database per test worker, each test inside a rolled-back transaction.

Run on SQLite (default) or PostgreSQL (``--db postgresql``, base URL in TEST_DATABASE_URL).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
import time_machine
from flask import g, has_app_context
from flask.testing import FlaskClient
from flask_login.utils import _create_identifier
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from app import create_app
from contests.quiz.services import forget_cached_rows
from core.auth.models import LoginSession
from core.config import TestConfig
from core.extensions import db as _db
from core.extensions import limiter
from tests import factories, route_coverage
from tests.dbtools import recreate_postgres_database, with_database

#: A Monday morning in term time, 08:00 in Hà Nội.
T0 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


def pytest_addoption(parser):
    parser.addoption(
        "--db",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="database to run the suite on (PostgreSQL URL from TEST_DATABASE_URL)",
    )


def pytest_report_header(config):
    return f"database: {config.getoption('--db')}"


def _worker(request) -> str:
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


def database_url(request, tmp_path_factory, purpose: str) -> str:
    """Return a fresh, empty database URL for this worker and purpose."""
    backend = request.config.getoption("--db")
    if backend == "postgresql":
        base = os.environ.get("TEST_DATABASE_URL", "")
        if not base.startswith("postgresql"):
            pytest.exit("--db postgresql needs TEST_DATABASE_URL=postgresql+psycopg://…", 2)
        name = f"{make_url(base).database or 'mangxanh_test'}_{purpose}_{_worker(request)}"
        url = with_database(base, name)
        recreate_postgres_database(url)
        return url
    path = tmp_path_factory.mktemp(f"db-{purpose}") / "test.sqlite3"
    return f"sqlite:///{path}"


def make_test_app(url: str, tmp_path, **overrides):
    settings = {
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "WTF_CSRF_ENABLED": False,
        # Hermetic: a static build left in the working tree by `make run` is not used.
        "STATIC_BUILD_DIR": str(tmp_path / "static-build"),
    }
    config = TestConfig({}, **(settings | overrides))
    return create_app(config)


@pytest.fixture(scope="session")
def app(request, tmp_path_factory):
    """The application, on a migrated database shared by this worker's tests."""
    url = database_url(request, tmp_path_factory, "unit")
    application = make_test_app(url, tmp_path_factory.mktemp("app"))
    route_coverage.install(application)
    application.test_client_class = FreshGlobalsClient
    with application.app_context():
        upgrade()
        # Each test runs inside a transaction that is rolled back; the requests' commits
        # (core.transaction) become savepoint releases, their rollbacks savepoint rollbacks.
        _db.session.configure(join_transaction_mode="create_savepoint")
        _db.session.remove()
    return application


@pytest.fixture
def db(app):
    """A database session whose work is rolled back after the test."""
    with app.app_context():
        engines = _db.engines
        engine = engines[None]
        connection = engine.connect()
        transaction = connection.begin()
        engines[None] = connection
        try:
            yield _db
        finally:
            _db.session.remove()
            engines[None] = engine
            transaction.rollback()
            connection.close()
            limiter.reset()
            # Ids come back after a rollback: what a worker remembered of rows is forgotten.
            forget_cached_rows()


@pytest.fixture
def client(app, db):
    return app.test_client()


@pytest.fixture
def runner(app, db):
    return app.test_cli_runner()


@pytest.fixture
def frozen():
    """Freeze the clock at T0 (a school morning); ``frozen.shift(seconds)`` moves it."""
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def make(db):
    """Factories bound to the test's session."""
    return factories


@pytest.fixture
def csrf_on(app):
    """Check CSRF tokens in this test, as production does (most tests leave it off)."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def login(client):
    """Sign ``user`` in on the test client (without going through the password form)."""

    def _login(user, test_client=None):
        return sign_in(test_client or client, user.id)

    return _login


def sign_in(client: FlaskClient, user_id: int, **request) -> FlaskClient:
    """Sign ``user_id`` in on ``client`` as core.auth.sessions.begin() would, without the form.

    A LoginSession row is committed (in a test's rolled-back transaction when there is one); it
    outlives any clock a test travels to. ``request``: the request the session belongs to (e.g.
    ``base_url="https://…"``).
    """
    login_session_id = new_login_session(client.application, user_id)
    with client.session_transaction(**request) as session:
        session["_user_id"] = f"{user_id}:{login_session_id}"
        session["_fresh"] = True
        # As login_user() records it (the session-protection identifier of this client).
        with client.application.test_request_context(environ_base=client.environ_base):
            session["_id"] = _create_identifier()
    return client


def new_login_session(application, user_id: int) -> int:
    """Record a signed-in session of ``user_id`` as a sign-in does; return its id."""
    with application.app_context():
        row = LoginSession(
            user_id=user_id,
            created_at=T0,
            last_seen_at=T0,
            expires_at=datetime(9999, 1, 1, tzinfo=UTC),
        )
        _db.session.add(row)
        _db.session.commit()
        return row.id


# --- route coverage: every route gets an allowed and a forbidden request (see route_coverage) ---


def pytest_sessionfinish(session, exitstatus):
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["route_endpoints"] = sorted(route_coverage.endpoints)
        workeroutput["route_seen"] = {k: sorted(v) for k, v in route_coverage.seen.items()}
        return
    if os.environ.get("ROUTE_COVERAGE") != "1" or exitstatus != 0:
        return
    all_endpoints = set(route_coverage.endpoints) | _collected["endpoints"]
    all_seen = {k: set(v) for k, v in route_coverage.seen.items()}
    for k, v in _collected["seen"].items():
        all_seen.setdefault(k, set()).update(v)
    gaps = route_coverage.missing(all_endpoints, all_seen)
    if gaps:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        reporter.write_sep("=", "routes without an allowed and a forbidden test", red=True)
        for gap in gaps:
            reporter.write_line(gap)
        session.exitstatus = 1


_collected: dict = {"endpoints": set(), "seen": {}}


def pytest_testnodedown(node, error):
    output = getattr(node, "workeroutput", {})
    _collected["endpoints"].update(output.get("route_endpoints", []))
    for k, v in output.get("route_seen", {}).items():
        _collected["seen"].setdefault(k, set()).update(v)


class FreshGlobalsClient(FlaskClient):
    """A test client whose requests each start with empty ``g``, as real requests do.

    Tests hold one application context (so the test and its requests share the rolled-back
    session); without this, per-request state such as the signed-in user would leak between
    requests.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            g.__dict__.clear()
            # What the test arranged exists before the request, as it would in production: a
            # request that rolls back (a forbidden one, say) undoes its own work only. Nothing
            # is expired, so the request's query counts stay what they were; and the session's
            # next savepoint opens now, before anything the request begins.
            session = _db.session()
            session.expire_on_commit = False
            try:
                session.commit()
            finally:
                session.expire_on_commit = True
            session.connection()
        return super().open(*args, **kwargs)
