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
