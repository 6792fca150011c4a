"""Create, drop and reset test databases (PostgreSQL), and name SQLite files.

python -m tests.dbtools reset     # drop and recreate the database named by DATABASE_URL
"""

from __future__ import annotations

import os
import sys

import sqlalchemy as sa
from sqlalchemy.engine import make_url


def with_database(url: str, name: str) -> str:
    """Return ``url`` pointing at another database on the same server."""
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def recreate_postgres_database(url: str) -> None:
    """Drop (forcibly) and create the PostgreSQL database ``url`` names."""
    parsed = make_url(url)
    name = parsed.database
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


if __name__ == "__main__":
    if sys.argv[1:] == ["reset"]:
        recreate_postgres_database(os.environ["DATABASE_URL"])
    else:
        print(__doc__)
        sys.exit(2)


_BOOKKEEPING = ("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT")


class Statements(list):
    """The SQL statements run inside the ``with`` block, transaction bookkeeping left out:
    those run through SQLAlchemy and those a ``core.db.Prepared`` runs on the driver's cursor
    (the query-count tests of the hot paths)."""

    def _count(self, conn, cursor, statement, parameters, context, executemany):
        self._add(statement)

    def _add(self, statement: str) -> None:
        if not statement.lstrip().upper().startswith(_BOOKKEEPING):
            self.append(statement)

    def __enter__(self):
        from core import db as core_db

        sa.event.listen(sa.Engine, "before_cursor_execute", self._count)
        core_db.statement_listeners.append(self._add)
        return self

    def __exit__(self, *exc):
        from core import db as core_db

        sa.event.remove(sa.Engine, "before_cursor_execute", self._count)
        core_db.statement_listeners.remove(self._add)
