"""quiz: snapshots keep their top lines as rows and every student's standing packed

Revision ID: 0007_quiz_standings
Revises: 0006_quiz_ranking_index
Create Date: 2026-11-29 13:00:00

"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0007_quiz_standings"
down_revision = "0006_quiz_ranking_index"
branch_labels = None
depends_on = None


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    # Snapshots are a cache in the new shape only: the scheduler takes them again (an open
    # round's within the minute, a closed round's final one once).
    op.execute("DELETE FROM quiz_leaderboard_entry")
    op.execute("DELETE FROM quiz_leaderboard_snapshot")
    op.create_table(
        "quiz_leaderboard_standings",
        sa.Column("snapshot_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("snapshot_id", name=op.f("pk_quiz_leaderboard_standings")),
        # A rebuildable cache, like the lines: no WAL on PostgreSQL.
        prefixes=["UNLOGGED"] if postgresql else [],
    )
    if postgresql:
        # Read whole and rarely: skip TOAST compression (megabytes a minute).
        op.execute("ALTER TABLE quiz_leaderboard_standings ALTER COLUMN data SET STORAGE EXTERNAL")
    with op.batch_alter_table("quiz_leaderboard_entry", schema=None) as batch_op:
        batch_op.drop_column("submitted_at")


def downgrade():
    op.execute("DELETE FROM quiz_leaderboard_entry")
    op.execute("DELETE FROM quiz_leaderboard_snapshot")
    with op.batch_alter_table("quiz_leaderboard_entry", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("submitted_at", core.db.UTCDateTime(timezone=True), nullable=True)
        )
    op.drop_table("quiz_leaderboard_standings")
