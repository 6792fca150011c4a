"""quiz: a covering index for leaderboard snapshots

Revision ID: 0006_quiz_ranking_index
Revises: 0005_judging
Create Date: 2026-11-29 11:40:00

"""

from alembic import op

revision = "0006_quiz_ranking_index"
down_revision = "0005_judging"
branch_labels = None
depends_on = None

COLUMNS = [
    "round_id",
    "status",
    "score",
    "prediction",
    "duration_ms",
    "submitted_at",
    "user_id",
    "school_id",
    "class_id",
    "max_score",
]


def upgrade():
    with op.batch_alter_table("quiz_attempt", schema=None) as batch_op:
        batch_op.create_index("ix_quiz_attempt_ranking", COLUMNS, unique=False)
        batch_op.drop_index("ix_quiz_attempt_round_status")


def downgrade():
    with op.batch_alter_table("quiz_attempt", schema=None) as batch_op:
        batch_op.create_index("ix_quiz_attempt_round_status", ["round_id", "status"], unique=False)
        batch_op.drop_index("ix_quiz_attempt_ranking")
