"""accounts: a grant of the safeguarding role waits for a second administrator

Revision ID: 0012_role_grant_request
Revises: 0011_safety_follow_up
Create Date: 2026-12-06 19:45:00

"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0012_role_grant_request"
down_revision = "0011_safety_follow_up"
branch_labels = None
depends_on = None

ROLES = ("ADMIN", "ORGANIZER", "COORDINATOR", "JUDGE", "STUDENT", "SAFEGUARDING")


def upgrade():
    op.create_table(
        "role_grant_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "role", sa.Enum(*ROLES, name="role", native_enum=False, length=20), nullable=False
        ),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["approved_by_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["requested_by_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("role_grant_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_role_grant_request_user_id"), ["user_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("role_grant_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_role_grant_request_user_id"))
    op.drop_table("role_grant_request")
