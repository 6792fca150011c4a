"""essay: a round may submit every non-empty last draft at its close

Revision ID: 0016_essay_submit_drafts
Revises: 0015_greennet_locked_results
Create Date: 2026-12-06 21:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0016_essay_submit_drafts"
down_revision = "0015_greennet_locked_results"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("essay_round") as batch:
        batch.add_column(
            sa.Column(
                "submit_drafts_at_close", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade():
    with op.batch_alter_table("essay_round") as batch:
        batch.drop_column("submit_drafts_at_close")
