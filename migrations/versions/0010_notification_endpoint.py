"""notifications store the endpoint they lead to (and its values), not a hand-built URL

Revision ID: 0010_notification_endpoint
Revises: 0009_quiz_keys
Create Date: 2026-12-06 19:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0010_notification_endpoint"
down_revision = "0009_quiz_keys"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notification") as batch_op:
        batch_op.add_column(sa.Column("endpoint", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("endpoint_values", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("notification") as batch_op:
        batch_op.drop_column("endpoint_values")
        batch_op.drop_column("endpoint")
