"""Starting (or resuming) an attempt: the paper is drawn and the deadline fixed once, at start."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from contests.quiz.models import Accommodation, Attempt, AttemptStatus, QuizRound
from contests.quiz.services.deadlines import RoundNotOpen, accepts_answers
from contests.quiz.services.draw import draw_unexposed
from contests.quiz.services.grading import finalize_attempt
from contests.quiz.services.rounds import is_eligible
from core.accounts.models import User
from core.clock import local_today, utcnow
from core.errors import Conflict, Forbidden, NotFound
from core.extensions import db

# --- starting -----------------------------------------------------------------------------------


def extra_time(*, contest_id: int, user_id: int) -> timedelta:
    seconds = db.session.scalar(
        sa.select(Accommodation.extra_seconds).where(
            Accommodation.contest_id == contest_id, Accommodation.user_id == user_id
        )
    )
    return timedelta(seconds=seconds or 0)


def _deadline(now: datetime, round_, extra_seconds: float) -> datetime:
    """min(start + time limit + the student's extra time, round close)."""
    limit = timedelta(seconds=round_.time_limit_seconds + extra_seconds)
    return min(now + limit, round_.closes_at)


def _attempts_of(round_id: int, user_id: int) -> list[Attempt]:
    return list(
        db.session.scalars(
            sa.select(Attempt)
            .where(Attempt.round_id == round_id, Attempt.user_id == user_id)
            .order_by(Attempt.number)
        )
    )


def start_attempt(
    *,
    round_: QuizRound,
    user: User,
    now: datetime | None = None,
    rng: random.Random | None = None,
    before_write: Callable[[], None] | None = None,
) -> tuple[Attempt, bool]:
    """Start (or resume) the student's attempt; return it and whether it was created now.

    Starting again returns the open attempt with its fixed paper and deadline. The deadline is
    min(start + time limit + the student's extra time, round close). ``before_write`` is called
    once everything is read, before the first write (the view ends SQLite's read transaction
    there, so the write lock is held for the write alone); a resume that writes nothing never
    calls it.
    """
    now = now or utcnow()
    before_write = before_write or (lambda: None)
    if not is_eligible(round_, user):
        raise Forbidden(_("This round is not open to you."))
    attempts = _attempts_of(round_.id, user.id)
    for attempt in attempts:
        if attempt.status == AttemptStatus.IN_PROGRESS:
            if not accepts_answers(attempt, now):
                # Time ran out before the scheduler came by: close it now, from its answers.
                before_write()
                finalize_attempt(attempt=attempt, now=now, by="scheduler")
            return attempt, False
    status = round_.status(now)
    if status == "upcoming":
        raise RoundNotOpen(_("This round has not opened yet."))
    if status == "closed":
        raise RoundNotOpen(_("This round is closed."))
    if not round_.is_practice and len(attempts) >= round_.attempts_allowed:
        raise Conflict(_("You have used all your attempts for this round."))
    paper = draw_unexposed(round_, rng=rng or random.Random(), day=local_today(now))
    deadline = _deadline(
        now, round_, extra_time(contest_id=round_.contest_id, user_id=user.id).total_seconds()
    )
    attempt = Attempt(
        round_id=round_.id,
        user_id=user.id,
        number=len(attempts) + 1,
        school_id=user.school_id,
        class_id=user.class_id,
        status=AttemptStatus.IN_PROGRESS,
        paper=paper,
        started_at=now,
        deadline_at=deadline,
    )
    before_write()
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
            db.session.flush()
    except IntegrityError:
        # Another request started the same attempt a moment ago: resume that one.
        existing = db.session.scalar(
            sa.select(Attempt).where(
                Attempt.round_id == round_.id,
                Attempt.user_id == user.id,
                Attempt.status == AttemptStatus.IN_PROGRESS,
            )
        )
        if existing is None:
            raise Conflict(_("The attempt could not be started; please try again.")) from None
        return existing, False
    return attempt, True


def get_attempt_for(*, attempt_id: int, user: User) -> Attempt:
    """The user's own attempt; anyone else's is reported as not found."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != user.id:
        raise NotFound(_("Attempt not found."))
    return attempt


def has_attempt_left(round_: QuizRound, latest: Attempt | None) -> bool:
    """Tell whether the student can still start or resume ``round_`` given their latest attempt.

    A practice round is unlimited; a ranked one allows ``attempts_allowed`` tries, and one in
    progress can always be resumed. Pages offer "Take the quiz" only when this is true.
    """
    if latest is None or latest.status == AttemptStatus.IN_PROGRESS or round_.is_practice:
        return True
    return latest.number < round_.attempts_allowed


def latest_attempt(*, round_id: int, user_id: int) -> Attempt | None:
    return db.session.scalar(
        sa.select(Attempt)
        .where(Attempt.round_id == round_id, Attempt.user_id == user_id)
        .order_by(Attempt.number.desc())
        .limit(1)
    )
