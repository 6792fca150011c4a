"""The scheduler's lock: what makes "exactly one scheduler per deployment" hold.

PostgreSQL: a session-level advisory lock on a connection of its own (outside the pool, so it
is never handed to other work). The lock lives as long as that database session: when the
database restarts, or an operator terminates the backend, the lock is gone, and the scheduler
must notice before it runs another job. ``held()`` asks the server, on that same connection,
whether this backend still holds the lock; any error there means it does not.

SQLite: an exclusive ``flock`` on a file under ``instance/``. The kernel releases it when the
process ends, so a crashed scheduler leaves no stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

log = logging.getLogger("mangxanh.scheduler")

#: pg_advisory_lock key: "MXSCHED" as an integer.
ADVISORY_LOCK_KEY = 0x4D58534348454400 & 0x7FFFFFFFFFFFFFFF

#: Is the lock still granted to this very backend? (A bigint key is split into classid/objid.)
_STILL_HELD = sa.text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND pid = pg_backend_pid() AND database = (SELECT oid FROM pg_database"
    " WHERE datname = current_database()) AND objsubid = 1"
    " AND ((classid::bigint << 32) | objid::bigint) = :key"
)


class AdvisoryLock:
    """The scheduler's PostgreSQL advisory lock, held on a dedicated connection."""

    def __init__(self, url: sa.URL | str, key: int = ADVISORY_LOCK_KEY) -> None:
        # NullPool: closing the connection really closes the session, releasing the lock.
        self.engine = sa.create_engine(url, poolclass=NullPool)
        self.key = key
        self.connection: sa.Connection | None = None
        # The connection is shared by the job threads and the keeper; one statement at a time.
        self._mutex = threading.Lock()

    def try_acquire(self) -> bool:
        """Take the lock if it is free; return whether this scheduler now holds it."""
        with self._mutex:
            try:
                if self.connection is None:
                    self.connection = self.engine.connect()
                got = self.connection.execute(
                    sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
                ).scalar()
                self.connection.commit()
            except sa.exc.DBAPIError:
                log.warning("scheduler lock: database unreachable", exc_info=True)
                self._drop()
                return False
            return bool(got)

    def held(self) -> bool:
        """Ask the server whether this connection still holds the lock (False if it is gone)."""
        with self._mutex:
            if self.connection is None:
                return False
            try:
                count = self.connection.execute(_STILL_HELD, {"key": self.key}).scalar()
                self.connection.commit()
            except sa.exc.DBAPIError:
                log.warning("scheduler lock: lost its connection", exc_info=True)
                self._drop()
                return False
            if not count:
                self._drop()
            return bool(count)

    def backend_pid(self) -> int | None:
        """The server process of the lock's connection (for operators and tests)."""
        with self._mutex:
            if self.connection is None:
                return None
            return self.connection.execute(sa.text("SELECT pg_backend_pid()")).scalar()

    def release(self) -> None:
        with self._mutex:
            if self.connection is not None:
                # Unlock explicitly: a closed connection's backend lets go of it a moment later.
                with contextlib.suppress(sa.exc.DBAPIError):
                    self.connection.execute(
                        sa.text("SELECT pg_advisory_unlock_all()"),
                    )
                    self.connection.commit()
            self._drop()
        self.engine.dispose()

    def _drop(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(sa.exc.DBAPIError):  # it may be gone already
                self.connection.close()
            self.connection = None


class FileLock:
    """An exclusive lock on a file (SQLite deployments: one machine, one instance folder)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def held(self) -> bool:
        # A flock lasts as long as the open file; nothing outside the process can take it away.
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def lock_for(engine: sa.Engine | sa.Connection, instance_path: str) -> AdvisoryLock | FileLock:
    """The lock that guards the scheduler of the database behind ``engine``."""
    if engine.dialect.name == "postgresql":
        # ``engine`` may be a Connection (tests bind the session to one); its Engine has the URL.
        return AdvisoryLock(engine.engine.url)
    return FileLock(Path(instance_path) / "scheduler.lock")
