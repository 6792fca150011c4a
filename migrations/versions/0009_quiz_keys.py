"""quiz: exposed questions, the practice/contest text key, reveal keys after the last round

Revision ID: 0009_quiz_keys
Revises: 0008_login_sessions
Create Date: 2026-12-06 18:40:00

"""

import hashlib
import unicodedata

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0009_quiz_keys"
down_revision = "0008_login_sessions"
branch_labels = None
depends_on = None


def _text_key(text: str) -> str:
    """contests.quiz.keys.text_key as of this revision (a migration keeps its own copy)."""
    folded = unicodedata.normalize("NFKC", text.casefold())
    spaced = "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in folded)
    return hashlib.sha256(" ".join(spaced.split()).encode("utf-8")).hexdigest()


def upgrade():
    op.create_table(
        "quiz_question_exposure",
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("exposed_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "exposed_by",
            sa.Enum("REVIEW", "PRACTICE_REVIEW", name="exposedby", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("attempt_id", sa.Integer(), nullable=True),
        sa.Column("keys_shown_from", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["quiz_attempt.id"],
            name=op.f("fk_quiz_question_exposure_attempt_id_quiz_attempt"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["quiz_question.id"],
            name=op.f("fk_quiz_question_exposure_question_id_quiz_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("question_id", name=op.f("pk_quiz_question_exposure")),
    )
    with op.batch_alter_table("quiz_contest", schema=None) as batch_op:
        # Existing contests take the safe default too.
        batch_op.add_column(
            sa.Column(
                "reveal_keys_after_last_round",
                sa.Boolean(),
                server_default=sa.true(),
                nullable=False,
            )
        )
    with op.batch_alter_table("quiz_question", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("text_key", sa.String(length=64), server_default="", nullable=False)
        )
    question = sa.table("quiz_question", sa.column("id"), sa.column("text"), sa.column("text_key"))
    bind = op.get_bind()
    rows = bind.execute(sa.select(question.c.id, question.c.text)).all()
    if rows:
        bind.execute(
            question.update()
            .where(question.c.id == sa.bindparam("qid"))
            .values(text_key=sa.bindparam("key")),
            [{"qid": qid, "key": _text_key(text or "")} for qid, text in rows],
        )
    with op.batch_alter_table("quiz_question", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quiz_question_text_key"), ["text_key"], unique=False)


def downgrade():
    with op.batch_alter_table("quiz_question", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quiz_question_text_key"))
        batch_op.drop_column("text_key")
    with op.batch_alter_table("quiz_contest", schema=None) as batch_op:
        batch_op.drop_column("reveal_keys_after_last_round")
    op.drop_table("quiz_question_exposure")
