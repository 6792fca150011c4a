"""Database helpers: the UTC datetime column, the model base, SQLite tuning, prepared statements."""

from __future__ import annotations

import contextvars
import os
import random
import sqlite3
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, registry

#: How the next SQLite transaction begins. Writes take the lock up front (IMMEDIATE) so two
#: workers never deadlock upgrading a read lock; plain page reads use DEFERRED and never block.
sqlite_begin_mode: contextvars.ContextVar[str] = contextvars.ContextVar(
    "sqlite_begin_mode", default="IMMEDIATE"
)


#: How long a SQLite statement waits for a lock before "database is locked" (milliseconds).
SQLITE_BUSY_TIMEOUT_MS = 10_000


def begin_immediate(dbapi_connection) -> None:
    """BEGIN IMMEDIATE, polling for the write lock every ~0.5 ms for up to the busy timeout.

    SQLite's own busy handler backs off 1, 2, 5, 10 … up to 100 ms between tries, so under
    contention a waiting worker sleeps long after the lock is free (answer saves hold it for
    well under a millisecond): measured on the quiz load test, saves/s and p99 suffer. Short
    randomized polls hand the lock on within a fraction of a millisecond. Other statements keep
    the connection's ordinary busy timeout.
    """
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout=0")
        deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                cursor.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
            time.sleep(random.uniform(0.0002, 0.0008))
    finally:
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()


class UTCDateTime(sa.types.TypeDecorator):
    """A timezone-aware datetime stored as UTC; naive values are refused."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base: aware UTC datetimes, constraint names Alembic can diff on both databases."""

    registry = registry(
        metadata=sa.MetaData(
            naming_convention={
                "ix": "ix_%(column_0_label)s",
                "uq": "uq_%(table_name)s_%(column_0_N_name)s",
                "ck": "ck_%(table_name)s_%(constraint_name)s",
                "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
                "pk": "pk_%(table_name)s",
            }
        ),
        type_annotation_map={datetime: UTCDateTime()},
    )


def forget_connections_after_fork(engine: Engine) -> None:
    """A forked process (gunicorn's preloaded workers) opens its own connections.

    SQLAlchemy's recipe: the child drops the pool it inherited without closing the parent's
    connections (``dispose(close=False)``).
    """
    ref = weakref.ref(engine)

    def _forget():
        inherited = ref()
        if inherited is not None:
            inherited.dispose(close=False)

    os.register_at_fork(after_in_child=_forget)


#: A pooled connection that sat unused longer than this is pinged before use (see
#: :func:`ping_when_idle`).
POOL_PING_IDLE_SECONDS = 5.0


def ping_when_idle(engine: Engine, idle_seconds: float = POOL_PING_IDLE_SECONDS) -> None:
    """Ping a pooled connection before use only if it sat idle longer than ``idle_seconds``.

    ``pool_pre_ping`` pings on every checkout: a round trip per request, on the hottest paths
    as much as anywhere (a PostgreSQL answer save is BEGIN, the write and COMMIT; the ping made
    it four). A connection used a moment ago is alive unless the server went away since, and
    then the statement's own error says so: SQLAlchemy invalidates the pool on a disconnect and
    the request gets the 503 a database outage gets (core.errors). A connection that waited
    longer (a quiet night, a restarted server) is pinged as before, with SQLAlchemy's own ping;
    a failed ping raises ``DisconnectionError``, on which the pool replaces the connection
    (SQLAlchemy's documented checkout-event recipe).
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection, connection_record):
        connection_record.info["mangxanh.idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, connection_record, connection_proxy):
        idle_since = connection_record.info.get("mangxanh.idle_since")
        if idle_since is None or time.monotonic() - idle_since <= idle_seconds:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise sa.exc.DisconnectionError(str(error)) from error
        if not alive:
            raise sa.exc.DisconnectionError("the database did not answer the ping")


def is_sqlite(engine: Engine) -> bool:
    """Tell whether the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"


@contextmanager
def write_transaction(bind: Engine | sa.Connection) -> Iterator[sa.Connection]:
    """One transaction on ``bind`` outside the ORM session: committed when the block ends,
    rolled back if it raises. For a single Core statement that needs none of the session's work.

    ``bind`` is the application's engine (``db.engine``). When it is a connection already in a
    transaction (a test's rolled-back one, which the session joins the same way), the block is a
    savepoint in it.
    """
    if isinstance(bind, sa.Connection):
        with bind.begin_nested() if bind.in_transaction() else bind.begin():
            yield bind
    else:
        with bind.begin() as connection:
            yield connection


def tune_sqlite(engine: Engine) -> None:
    """Turn on WAL, foreign keys and a busy timeout, and take SQLite's transactions into our hands.

    pysqlite otherwise begins transactions lazily and breaks SAVEPOINT, which the tests rely on;
    emitting BEGIN ourselves is SQLAlchemy's documented recipe.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = sqlite_begin_mode.get()
        # Straight to the driver: BEGIN runs on every request and needs no statement machinery.
        if mode == "IMMEDIATE":
            begin_immediate(conn.connection.dbapi_connection)
        else:
            conn.connection.dbapi_connection.execute(f"BEGIN {mode}")


def read_before_writing(session, statement, params: dict) -> list:
    """Run the read ``statement`` so that no write lock is held after it, whatever follows.

    On SQLite a write request's transaction begins IMMEDIATE: its first statement takes the
    database's one write lock until the request commits. A read that comes before slow work
    (a sign-in's password hash, ~20 ms) would keep every other writer waiting through that work;
    here it runs on a connection of its own, in a DEFERRED transaction that ends at once. On
    other databases (and on a session bound to one connection, as in the tests), in the session.
    """
    bind = session.get_bind()
    if not (is_sqlite(bind) and isinstance(bind, Engine)):
        return session.execute(statement, params).all()
    token = sqlite_begin_mode.set("DEFERRED")
    try:
        with bind.connect() as connection:
            return connection.execute(statement, params).all()
    finally:
        sqlite_begin_mode.reset(token)


#: Called with the text of each statement a :class:`Prepared` binds (it runs on the driver's
#: cursor, which SQLAlchemy's events do not see): the query-count tests listen here.
statement_listeners: list[Callable[[str], None]] = []


class Prepared:
    """An SQLAlchemy statement compiled once per dialect, for code that runs it on the driver's
    cursor (:func:`core.arrays.fetch_columns`).

    The statement is still written (and reviewed) as SQLAlchemy; ``statement`` runs it through a
    session as usual. Parameters go through the same type processors SQLAlchemy would apply.
    """

    def __init__(self, statement):
        self.statement = statement
        self._compiled: dict[str, tuple] = {}

    def _for(self, dialect) -> tuple:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            built = self.statement.compile(dialect=dialect)
            binds = {
                name: processor
                for name, bind in built.binds.items()
                if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect))
            }
            order = list(built.positiontup) if built.positional else None
            compiled = self._compiled[dialect.name] = (built, binds, order)
        return compiled

    def bind(self, dialect, params: dict) -> tuple[str, list | dict]:
        """The statement's text for ``dialect`` and its processed parameters."""
        built, binds, order = self._for(dialect)
        values = built.construct_params(params)
        for name, processor in binds.items():
            if name in values:
                values[name] = processor(values[name])
        for listener in statement_listeners:
            listener(built.string)
        return built.string, [values[n] for n in order] if order else values


def execute_prepared(connection: sa.Connection, prepared: Prepared, params: dict):
    """Run ``prepared`` on ``connection``'s driver cursor, in its transaction; the first row
    the statement returns (None if none).

    For a statement on the hottest path (a token answer save), where SQLAlchemy's per-execution
    work (parameter processing, result objects) is a good part of the request. Errors come out
    as ``Connection.execute`` raises them: the driver's error wrapped in SQLAlchemy's
    ``DBAPIError``, and a lost connection invalidated and said so (``connection_invalidated``).
    """
    dialect = connection.dialect
    text, values = prepared.bind(dialect, params)
    proxied = connection.connection
    cursor = proxied.driver_connection.cursor()
    try:
        cursor.execute(text, values)
        return cursor.fetchone()
    except dialect.loaded_dbapi.Error as error:
        lost = dialect.is_disconnect(error, proxied.dbapi_connection, cursor)
        if lost:
            connection.invalidate(error)
        raise sa.exc.DBAPIError.instance(
            text,
            values,
            error,
            dialect.loaded_dbapi.Error,
            connection_invalidated=lost,
            dialect=dialect,
        ) from error
    finally:
        with suppress(dialect.loaded_dbapi.Error):  # a closed (invalidated) connection's cursor
            cursor.close()
