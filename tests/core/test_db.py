"""SQLite write-lock acquisition (core.db.begin_immediate)."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from core import db as core_db


@pytest.fixture
def two_connections(tmp_path):
    path = tmp_path / "lock.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("PRAGMA journal_mode=WAL")
    waiter = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    waiter.execute(f"PRAGMA busy_timeout={core_db.SQLITE_BUSY_TIMEOUT_MS}")
    yield holder, waiter
    holder.close()
    waiter.close()


def test_begin_immediate_waits_for_the_lock_then_takes_it(two_connections):
    holder, waiter = two_connections
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.05, lambda: holder.execute("COMMIT"))
    release.start()
    started = time.monotonic()

    core_db.begin_immediate(waiter)

    waited = time.monotonic() - started
    release.join()
    assert waiter.in_transaction
    assert 0.04 <= waited < 1.0
    # The connection's ordinary busy timeout is back for every other statement.
    assert waiter.execute("PRAGMA busy_timeout").fetchone() == (core_db.SQLITE_BUSY_TIMEOUT_MS,)
    waiter.execute("COMMIT")


def test_begin_immediate_gives_up_after_the_busy_timeout(two_connections, monkeypatch):
    holder, waiter = two_connections
    monkeypatch.setattr(core_db, "SQLITE_BUSY_TIMEOUT_MS", 50)
    holder.execute("BEGIN IMMEDIATE")

    with pytest.raises(sqlite3.OperationalError, match="locked"):
        core_db.begin_immediate(waiter)

    assert not waiter.in_transaction
    holder.execute("COMMIT")
