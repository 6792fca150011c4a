"""greennet: a locked result records rank, maximum, criteria version and per-criterion points;
the quota rule is a setting

Revision ID: 0015_greennet_locked_results
Revises: 0014_judging_reopen
Create Date: 2026-12-06 21:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0015_greennet_locked_results"
down_revision = "0014_judging_reopen"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("movement") as batch:
        batch.add_column(
            sa.Column("quota_rule", sa.String(12), server_default="at_most", nullable=False)
        )
    with op.batch_alter_table("snapshot") as batch:
        batch.add_column(sa.Column("max_points", sa.Double(), server_default="0", nullable=False))
        batch.add_column(sa.Column("rank", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(
            sa.Column("held_back", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(sa.Column("criteria_set_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("criteria_version", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("criteria", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("locked_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_snapshot_criteria_set_id_criteria_set",
            "criteria_set",
            ["criteria_set_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_foreign_key("fk_snapshot_locked_by_id_user", "user", ["locked_by_id"], ["id"])


def downgrade():
    with op.batch_alter_table("snapshot") as batch:
        batch.drop_constraint("fk_snapshot_locked_by_id_user", type_="foreignkey")
        batch.drop_constraint("fk_snapshot_criteria_set_id_criteria_set", type_="foreignkey")
        for column in (
            "locked_by_id",
            "criteria",
            "criteria_version",
            "criteria_set_id",
            "held_back",
            "rank",
            "max_points",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("movement") as batch:
        batch.drop_column("quota_rule")
