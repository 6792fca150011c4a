"""news: coordinators publish their school's news; a campaign may require approval

Revision ID: 0017_renovation_school_news
Revises: 0016_essay_submit_drafts
Create Date: 2026-12-06 21:35:00

"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0017_renovation_school_news"
down_revision = "0016_essay_submit_drafts"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("news_post") as batch:
        batch.add_column(sa.Column("school_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("pending_since", core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("approved_by_id", sa.Integer(), nullable=True))
        batch.create_index("ix_news_post_school_id", ["school_id"])
        batch.create_foreign_key(
            "fk_news_post_school_id_school", "school", ["school_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_foreign_key(
            "fk_news_post_approved_by_id_user", "user", ["approved_by_id"], ["id"]
        )
    with op.batch_alter_table("campaign") as batch:
        batch.add_column(
            sa.Column(
                "news_needs_approval", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade():
    with op.batch_alter_table("campaign") as batch:
        batch.drop_column("news_needs_approval")
    with op.batch_alter_table("news_post") as batch:
        batch.drop_constraint("fk_news_post_approved_by_id_user", type_="foreignkey")
        batch.drop_constraint("fk_news_post_school_id_school", type_="foreignkey")
        batch.drop_index("ix_news_post_school_id")
        batch.drop_column("approved_by_id")
        batch.drop_column("pending_since")
        batch.drop_column("school_id")
