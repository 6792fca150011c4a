"""Saving answers: the guarded upsert, and the answer sheets the attempt-token path checks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from typing import NamedTuple

import sqlalchemy as sa
from flask_babel import gettext as _

from contests.quiz import leaderboards
from contests.quiz.models import Answer, Attempt, AttemptStatus, QuestionKind
from contests.quiz.services.deadlines import AttemptClosed, grace
from contests.quiz.services.draw import forget_bank
from core.accounts.models import User
from core.auth.sessions import live_session_clause
from core.cache import BoundedDict
from core.clock import utcnow
from core.db import Prepared, execute_prepared
from core.errors import NotFound, ValidationFailed
from core.extensions import db

# --- saving answers -----------------------------------------------------------------------------


def _paper_item(attempt: Attempt, question_id: int) -> dict:
    for item in attempt.paper:
        if item["q"] == question_id:
            return item
    raise NotFound(_("This question is not part of your paper."))


_save_statements: dict = {}


def _save_statement(dialect: str, *, token: bool = False):
    """The guarded upsert, built once per dialect (saves are the hottest path).

    One statement: the row is written only while the attempt is open (even if it was submitted
    a moment ago by another request), and only over an older sequence number. The ``token``
    variant (a save that brings an attempt token, authenticated by it alone) also checks what
    the full route checks before it: the attempt is the token's user's and is the attempt the
    cached sheet came from (``started_at``), the account is active and the signed-in session
    the token was issued to is still live.
    """
    key = (dialect, token)
    if key not in _save_statements:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        guards = [
            Attempt.id == sa.bindparam("attempt_id"),
            Attempt.status == AttemptStatus.IN_PROGRESS,
            Attempt.deadline_at >= sa.bindparam("not_before", type_=Attempt.deadline_at.type),
        ]
        if token:
            user_id = sa.bindparam("user_id", type_=sa.Integer)
            guards += [
                Attempt.user_id == user_id,
                Attempt.started_at == sa.bindparam("started_at", type_=Attempt.started_at.type),
                sa.exists().where(User.id == Attempt.user_id, User.active.is_(True)),
                live_session_clause(
                    sa.bindparam("session_id", type_=sa.Integer),
                    user_id,
                    now=sa.bindparam("now", type_=Attempt.started_at.type),
                ),
            ]
        # FOR SHARE: the save and a submit or finalization of the same attempt take turns on
        # its row (PostgreSQL; SQLite's write lock already serializes them). A save that got
        # there first is committed before the transition reads the answers to grade; one that
        # comes after sees the attempt submitted and writes nothing.
        source = (
            sa.select(
                sa.bindparam("attempt_id", type_=sa.Integer),
                sa.bindparam("question_id", type_=sa.Integer),
                sa.bindparam("choice_ids", type_=sa.JSON),
                sa.bindparam("seq", type_=sa.Integer),
                sa.bindparam("saved_at", type_=Answer.saved_at.type),
            )
            .select_from(Attempt)
            .where(*guards)
            .with_for_update(read=True, of=Attempt)
        )
        table = Answer.__table__
        statement = insert(table).from_select(
            ["attempt_id", "question_id", "choice_ids", "seq", "saved_at"], source
        )
        _save_statements[key] = statement.on_conflict_do_update(
            index_elements=["attempt_id", "question_id"],
            set_={
                "choice_ids": statement.excluded.choice_ids,
                "seq": statement.excluded.seq,
                "saved_at": statement.excluded.saved_at,
            },
            where=table.c.seq < statement.excluded.seq,
        ).returning(table.c.id)
    return _save_statements[key]


@cache
def _token_save(dialect: str) -> Prepared:
    """The token variant of the guarded upsert, compiled once per dialect (core.db.Prepared)."""
    return Prepared(_save_statement(dialect, token=True))


def save_answer(
    *,
    attempt: Attempt,
    question_id: int,
    choice_ids: list[int],
    seq: int,
    now: datetime | None = None,
    before_write: Callable[[], None] | None = None,
) -> bool:
    """Record a student's answer; an older retry never overwrites a newer one.

    Returns True when this save is now the stored answer, False when a newer one was kept.
    ``before_write``: called after the checks, before the write (see :func:`start_attempt`).
    """
    now = now or utcnow()
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise AttemptClosed(_("This attempt has already been submitted."))
    if now > attempt.deadline_at + grace():
        raise AttemptClosed(_("Time is up: the answer was not saved."))
    item = _paper_item(attempt, question_id)
    choice_ids = list(dict.fromkeys(int(c) for c in choice_ids))
    if any(c not in item["c"] for c in choice_ids):
        raise ValidationFailed(
            _("That choice does not belong to this question."), field="choice_ids"
        )
    if item["k"] != QuestionKind.MULTIPLE and len(choice_ids) > 1:
        raise ValidationFailed(_("Choose only one answer to this question."), field="choice_ids")
    if before_write is not None:
        before_write()
    statement = _save_statement(db.session.get_bind().dialect.name)
    params = {
        "attempt_id": attempt.id,
        "question_id": question_id,
        "choice_ids": choice_ids,
        "seq": seq,
        "saved_at": now,
        "not_before": now - grace(),
    }
    stored = db.session.execute(statement, params).first() is not None
    if not stored:
        # A newer save was kept, or the attempt closed since it was read above (a submit or
        # the scheduler got there first): that save is refused, never acknowledged.
        status, deadline_at = db.session.execute(
            sa.select(Attempt.status, Attempt.deadline_at).where(Attempt.id == attempt.id)
        ).one()
        if status != AttemptStatus.IN_PROGRESS:
            raise AttemptClosed(_("This attempt has already been submitted."))
        if now > deadline_at + grace():
            raise AttemptClosed(_("Time is up: the answer was not saved."))
    return stored


class Sheet(NamedTuple):
    """What a token save needs to know about an attempt; all of it is fixed at start."""

    user_id: int
    started_at: datetime
    deadline_at: datetime
    #: question id → (multiple choice?, the question's choice ids)
    items: dict[int, tuple[bool, tuple[int, ...]]]

    def admits(self, question_id: int, choice_ids: list[int]) -> bool:
        """The question is on the paper and the choices are its own (one, unless multiple)."""
        item = self.items.get(question_id)
        if item is None:
            return False
        multiple, allowed = item
        return (multiple or len(choice_ids) <= 1) and all(c in allowed for c in choice_ids)


#: Answer sheets by attempt id, per process (first in, first out past the cap). Safe to keep:
#: paper, owner and deadline never change after start, and the guarded write re-checks the
#: attempt's ``started_at``, so a stale entry (an id reused after a rollback) writes nothing.
_sheets: BoundedDict = BoundedDict(max_items=10_000)


def remember_sheet(attempt: Attempt) -> None:
    """Keep the attempt's sheet for the token saves this process will serve."""
    _sheets.put(
        attempt.id,
        _sheet_of(attempt.user_id, attempt.started_at, attempt.deadline_at, attempt.paper),
    )


def known_sheet(attempt_id: int) -> Sheet | None:
    """The attempt's sheet if this process remembers it (no query)."""
    return _sheets.get(attempt_id)


def read_sheet(attempt_id: int) -> Sheet | None:
    """The attempt's sheet, read (one statement) and remembered; None if there is no attempt."""
    row = db.session.execute(
        sa.select(Attempt.user_id, Attempt.started_at, Attempt.deadline_at, Attempt.paper).where(
            Attempt.id == attempt_id
        )
    ).first()
    if row is None:
        return None
    sheet = _sheet_of(*row)
    _sheets.put(attempt_id, sheet)
    return sheet


def _sheet_of(user_id: int, started_at: datetime, deadline_at: datetime, paper: list) -> Sheet:
    items = {item["q"]: (item["k"] == QuestionKind.MULTIPLE, tuple(item["c"])) for item in paper}
    return Sheet(user_id, started_at, deadline_at, items)


def forget_cached_rows() -> None:
    """Drop what this process remembers of the bank and of attempts (tests roll rows back)."""

    _sheets.clear()
    forget_bank()
    leaderboards.forget_cached_rows()


def store_answer_by_token(
    *,
    sheet: Sheet,
    user_id: int,
    session_id: int,
    attempt_id: int,
    question_id: int,
    choice_ids: list[int],
    seq: int,
    now: datetime,
    grace: timedelta,
    connection: sa.Connection | None = None,
) -> bool:
    """Store an answer sent with an attempt token, in one guarded statement; True if stored.

    The statement writes only if the attempt is ``user_id``'s, open, within its deadline plus
    ``grace``, the account active and the session ``session_id`` live (see
    :func:`_save_statement`). False for anything else — closed, late, refused, an older
    ``seq`` — and the full route then gives the canonical answer. ``sheet`` must have been
    checked to admit the question and choices. Runs on ``connection`` (default: the session's)
    and flushes nothing; the caller commits.
    """
    if connection is None:
        # On the session's connection (same transaction): a Core statement needs none of the
        # ORM's execution machinery.
        connection = db.session.connection()
    params = {
        "attempt_id": attempt_id,
        "question_id": question_id,
        "choice_ids": choice_ids,
        "seq": seq,
        "saved_at": now,
        "not_before": now - grace,
        "user_id": user_id,
        "started_at": sheet.started_at,
        "session_id": session_id,
        "now": now,
    }
    # On the driver's cursor: the hottest statement of a contest (core.db.execute_prepared).
    stored = execute_prepared(connection, _token_save(connection.dialect.name), params) is not None
    if not stored:
        _sheets.pop(attempt_id, None)
    return stored


def saved_answers(attempt_id: int) -> list[Answer]:
    return list(
        db.session.scalars(
            sa.select(Answer).where(Answer.attempt_id == attempt_id).order_by(Answer.id)
        )
    )
