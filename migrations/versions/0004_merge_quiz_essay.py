"""merge quiz and essay

Revision ID: 0004_merge_quiz_essay
Revises: 0002_quiz, 0003_essay
Create Date: 2026-11-29 08:12:41.262787

"""
from alembic import op
import sqlalchemy as sa

import core.db


# revision identifiers, used by Alembic.
revision = '0004_merge_quiz_essay'
down_revision = ('0002_quiz', '0003_essay')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
