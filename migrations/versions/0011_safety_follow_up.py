"""safety: a secret phrase for anonymous follow-up, and the follow-up messages

Revision ID: 0011_safety_follow_up
Revises: 0010_notification_endpoint
Create Date: 2026-12-06 19:40:00

"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0011_safety_follow_up"
down_revision = "0010_notification_endpoint"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("safety_report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("secret_hash", sa.String(length=255), nullable=True))
    op.create_table(
        "safety_report_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column(
            "author",
            sa.Enum("REPORTER", "STAFF", name="messageauthor", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["safety_report.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["staff_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("safety_report_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_safety_report_message_report_id"), ["report_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("safety_report_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_report_message_report_id"))
    op.drop_table("safety_report_message")
    with op.batch_alter_table("safety_report", schema=None) as batch_op:
        batch_op.drop_column("secret_hash")
