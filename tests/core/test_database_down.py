"""With the database unreachable, every request gets a 503 built without it, logged in one line.

The application here points at a database that cannot be reached: on SQLite a file in a folder
that does not exist, on PostgreSQL the test server's address with a port nothing listens on.
"""

from __future__ import annotations

import logging
import os
import socket

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from core.errors import DATABASE_RETRY_AFTER_SECONDS, is_database_unavailable
from tests.conftest import make_test_app


def _closed_port() -> int:
    """A local port that nothing listens on (taken from the system, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def down_app(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("down")
    if request.config.getoption("--db") == "postgresql":
        base = make_url(os.environ["TEST_DATABASE_URL"])
        url = base.set(host="127.0.0.1", port=_closed_port()).render_as_string(False)
    else:
        url = f"sqlite:///{tmp / 'no-such-folder' / 'db.sqlite3'}"
    # As in production: an unhandled error becomes the 500 handler's page, not a test failure.
    return make_test_app(url, tmp, PROPAGATE_EXCEPTIONS=False)


@pytest.fixture
def down_client(down_app):
    client = down_app.test_client()
    # A signed-in session cookie (conftest's sign_in would record its session in the database),
    # so that loading the user is the first thing to reach for the database.
    with client.session_transaction() as session:
        session["_user_id"] = "1:1"
        session["_fresh"] = True
    return client


def _records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.INFO]


def test_api_request_is_json_503_with_retry_after(down_client, caplog):
    caplog.set_level(logging.INFO)

    response = down_client.get("/api/v1/me")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(DATABASE_RETRY_AFTER_SECONDS)
    assert response.get_json() == {
        "error": {
            "status": 503,
            "code": "database_unavailable",
            "message": "Hệ thống đang tạm gián đoạn. Vui lòng thử lại sau ít phút.",
        }
    }


def test_answer_save_is_json_503(down_client, caplog):
    caplog.set_level(logging.INFO)

    response = down_client.put("/api/v1/attempts/1/answers/2", json={"choice_ids": [3], "seq": 1})

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "database_unavailable"


def test_page_is_plain_vietnamese_503(down_client, caplog):
    caplog.set_level(logging.INFO)

    response = down_client.get("/")

    body = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(DATABASE_RETRY_AFTER_SECONDS)
    assert response.mimetype == "text/html"
    assert '<html lang="vi">' in body
    assert "Hệ thống đang tạm gián đoạn" in body
    assert "Vui lòng thử lại sau ít phút." in body


def test_page_follows_the_language_cookie_not_the_profile(down_client):
    down_client.set_cookie("mx_lang", "en")

    response = down_client.get("/")

    body = response.get_data(as_text=True)
    assert response.status_code == 503
    assert '<html lang="en">' in body
    assert "The service is briefly unavailable" in body


def test_anonymous_health_check_is_503(down_app):
    response = down_app.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(DATABASE_RETRY_AFTER_SECONDS)


@pytest.mark.parametrize("path", ["/api/v1/me", "/", "/healthz"])
def test_each_failed_request_logs_one_line(down_client, caplog, path):
    caplog.set_level(logging.INFO)

    for _ in range(3):
        assert down_client.get(path).status_code == 503

    records = _records(caplog)
    assert len(records) == 3
    for record in records:
        assert record.levelno == logging.ERROR
        assert record.exc_info is None
        assert record.getMessage().startswith(f"database unavailable: GET {path} ")
        assert "\n" not in record.getMessage()


def _wrapped(orig: Exception, error_class=sa.exc.OperationalError) -> sa.exc.DBAPIError:
    return error_class("SELECT 1", {}, orig)


def test_unavailable_covers_lost_connections_and_busy_databases():
    import sqlite3

    import psycopg

    lost = _wrapped(psycopg.OperationalError("server closed the connection unexpectedly"))
    lost.connection_invalidated = True

    assert is_database_unavailable(lost)
    assert is_database_unavailable(_wrapped(psycopg.OperationalError("connection refused")))
    assert is_database_unavailable(_wrapped(psycopg.errors.AdminShutdown("terminating")))
    assert is_database_unavailable(_wrapped(psycopg.errors.CannotConnectNow("starting up")))
    assert is_database_unavailable(_wrapped(psycopg.errors.TooManyConnections("too many")))
    assert is_database_unavailable(
        _wrapped(psycopg.InterfaceError("the connection is closed"), sa.exc.InterfaceError)
    )
    assert is_database_unavailable(_wrapped(sqlite3.OperationalError("database is locked")))
    assert is_database_unavailable(
        _wrapped(sqlite3.OperationalError("unable to open database file"))
    )
    assert is_database_unavailable(sa.exc.TimeoutError("QueuePool limit reached"))


def test_unavailable_leaves_out_errors_of_the_statement_itself():
    import sqlite3

    import psycopg

    assert not is_database_unavailable(_wrapped(sqlite3.OperationalError("no such table: x")))
    assert not is_database_unavailable(_wrapped(psycopg.errors.QueryCanceled("timeout")))
    assert not is_database_unavailable(
        _wrapped(psycopg.errors.UndefinedTable("x"), sa.exc.ProgrammingError)
    )
    assert not is_database_unavailable(ValueError("not a database error"))


@pytest.fixture
def lost_app(request, tmp_path_factory):
    if request.config.getoption("--db") != "postgresql":
        pytest.skip("a SQLite connection is a file handle: it cannot be lost")
    from flask import current_app

    from core.extensions import db
    from tests.conftest import database_url

    url = database_url(request, tmp_path_factory, "lost")
    app = make_test_app(url, tmp_path_factory.mktemp("lost"), PROPAGATE_EXCEPTIONS=False)
    killer = sa.create_engine(url, isolation_level="AUTOCOMMIT")

    def answer_then_lose_the_connection():
        pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        with killer.connect() as connection:
            connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        current_app.logger.info("answered")
        return {"answered": True}

    app.add_url_rule("/lost", view_func=answer_then_lose_the_connection)
    yield app
    killer.dispose()


def test_connection_lost_after_the_answer_keeps_the_answer(lost_app, caplog):
    caplog.set_level(logging.INFO)

    response = lost_app.test_client().get("/lost")

    assert response.status_code == 200
    assert response.get_json() == {"answered": True}
    records = [r for r in _records(caplog) if r.getMessage() != "answered"]
    assert len(records) == 1
    assert records[0].exc_info is None
    assert (
        records[0]
        .getMessage()
        .startswith("database connection lost at the end of a request: terminating connection")
    )


# --- connections that sat idle are pinged, busy ones are not ---------------------------------


@pytest.fixture
def pooled(request, tmp_path_factory):
    """An engine of one pooled connection with ``ping_when_idle``, and a way to kill it."""
    if request.config.getoption("--db") != "postgresql":
        pytest.skip("a SQLite connection is a file handle: it cannot be lost")
    from core.db import ping_when_idle
    from tests.conftest import database_url

    url = database_url(request, tmp_path_factory, "lost")
    engine = sa.create_engine(url, pool_size=1, max_overflow=0)
    killer = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    pings = []
    sa.event.listen(engine, "before_cursor_execute", lambda *a: pings.append(a[2]))

    def kill_the_pooled_connection():
        with engine.connect() as connection:
            pid = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        with killer.connect() as connection:
            connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        pings.clear()

    def install(idle_seconds):
        ping_when_idle(engine, idle_seconds)

    yield engine, install, kill_the_pooled_connection, pings
    engine.dispose()
    killer.dispose()


def test_an_idle_connection_is_pinged_and_replaced_when_it_is_gone(pooled):
    engine, install, kill, _statements = pooled
    install(0)  # every connection counts as idle
    kill()

    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT 41 + 1")).scalar_one() == 42


def test_a_connection_used_a_moment_ago_is_not_pinged(pooled):
    engine, install, kill, statements = pooled
    install(3600)
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
    statements.clear()

    with engine.connect() as connection:
        connection.execute(sa.text("SELECT 2"))

    assert statements == ["SELECT 2"]  # no ping before it
    kill()
    # Gone without a ping: the statement's own error says so (a 503 in a request), and the
    # pool is invalidated, so the next checkout connects afresh.
    with pytest.raises(sa.exc.OperationalError), engine.connect() as connection:
        connection.execute(sa.text("SELECT 3"))
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT 4")).scalar_one() == 4


# --- statements run on the driver's cursor fail as SQLAlchemy's do ------------------------------


def test_a_prepared_statements_error_is_sqlalchemys(db):
    from core.db import Prepared, execute_prepared

    broken = Prepared(sa.text("SELECT missing_column FROM no_such_table"))
    with pytest.raises(sa.exc.DBAPIError) as raised:
        execute_prepared(db.session.connection(), broken, {})

    assert isinstance(raised.value, sa.exc.OperationalError | sa.exc.ProgrammingError)
    assert "no_such_table" in str(raised.value.orig)
    assert not raised.value.connection_invalidated
    assert not is_database_unavailable(raised.value)


def test_a_prepared_statement_on_a_lost_connection_is_an_outage(pooled):
    from core.db import Prepared, execute_prepared

    engine, install, kill, _statements = pooled
    install(3600)  # no ping: the statement finds out
    kill()

    with pytest.raises(sa.exc.DBAPIError) as raised, engine.connect() as connection:
        execute_prepared(connection, Prepared(sa.select(sa.literal(1))), {})

    assert raised.value.connection_invalidated
    assert is_database_unavailable(raised.value)
    with engine.connect() as connection:  # the pool connects afresh
        assert execute_prepared(connection, Prepared(sa.select(sa.literal(7))), {})[0] == 7
