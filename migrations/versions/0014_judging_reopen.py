"""judging: a reopened sheet remembers when and at which save it reopened, and the key of the
submit that preceded it, so a retried submit never completes a reconcile

Revision ID: 0014_judging_reopen
Revises: 0013_documents_organisations
Create Date: 2026-12-06 21:45:00

"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0014_judging_reopen"
down_revision = "0013_documents_organisations"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("judging_assignment") as batch:
        batch.add_column(sa.Column("submit_key", sa.String(length=64), nullable=True))
        batch.add_column(
            sa.Column("reopened_at", core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("reopened_seq", sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table("judging_assignment") as batch:
        batch.drop_column("reopened_seq")
        batch.drop_column("reopened_at")
        batch.drop_column("submit_key")
