"""Grading, submitting and finalizing attempts.

Submission is a guarded state transition (``UPDATE … WHERE status = 'in_progress'``), so a double
click, a retry or the scheduler finalizing at the same moment has exactly one effect.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from contests.quiz.models import (
    Answer,
    Attempt,
    AttemptStatus,
    Choice,
    MultipleScoring,
    QuestionKind,
)
from contests.quiz.services.deadlines import AttemptClosed, grace
from core.clock import utcnow
from core.errors import ValidationFailed
from core.extensions import db

# --- grading and submitting ---------------------------------------------------------------------


def question_points(
    kind: str, chosen: set[int], correct: set[int], all_choices: int, scoring: MultipleScoring
) -> float:
    """Score one question from 0 to 1.

    Single choice and true/false: 1 for the right choice. Multiple choice all-or-nothing: 1 only
    for exactly the right set. Partial credit: each right choice earns 1/k, each wrong one costs
    1/k (k = number of right choices), never below 0.
    """
    if not chosen:
        return 0.0
    if kind != QuestionKind.MULTIPLE or scoring == MultipleScoring.ALL_OR_NOTHING:
        return 1.0 if chosen == correct else 0.0
    k = len(correct) or 1
    return max(0.0, (len(chosen & correct) - len(chosen - correct)) / k)


def grade(attempt: Attempt, scoring: MultipleScoring) -> tuple[float, dict[int, float]]:
    """Grade the attempt's saved answers as stored now; return the score and points per question.

    Reads rows, not ORM objects, so answers loaded earlier in the session are read afresh.
    """
    question_ids = attempt.question_ids
    correct: dict[int, set[int]] = defaultdict(set)
    counts: dict[int, int] = defaultdict(int)
    for choice_id, question_id, is_correct in db.session.execute(
        sa.select(Choice.id, Choice.question_id, Choice.correct).where(
            Choice.question_id.in_(question_ids)
        )
    ):
        counts[question_id] += 1
        if is_correct:
            correct[question_id].add(choice_id)
    kinds = {item["q"]: item["k"] for item in attempt.paper}
    points: dict[int, float] = {}
    for question_id, choice_ids in db.session.execute(
        sa.select(Answer.question_id, Answer.choice_ids).where(Answer.attempt_id == attempt.id)
    ):
        if question_id in kinds:
            points[question_id] = question_points(
                kinds[question_id],
                set(choice_ids or []),
                correct[question_id],
                counts[question_id],
                scoring,
            )
    return round(sum(points.values()), 4), points


def finalize_attempt(
    *,
    attempt: Attempt,
    now: datetime | None = None,
    by: str = "student",
    prediction: int | None = None,
) -> bool:
    """Grade and close an attempt exactly once; return True if this call closed it.

    The guarded transition comes first and locks the attempt's row until the transaction ends:
    a save still writing holds the row, so the transition waits for it, and every save after
    it finds the attempt submitted (see :func:`_save_statement`). The answers are read after
    the transition, so the grade holds every save that was acknowledged.
    """
    now = now or utcnow()
    round_ = attempt.round
    # A late finalization counts the time up to the deadline, not up to the job's run.
    ended = min(now, attempt.deadline_at)
    duration_ms = max(0, int((ended - attempt.started_at).total_seconds() * 1000))
    values = {
        "status": AttemptStatus.SUBMITTED,
        "submitted_at": ended,
        "finalized_by": by,
        "max_score": float(len(attempt.paper)),
        "duration_ms": duration_ms,
    }
    if prediction is not None:
        values["prediction"] = prediction
    result = db.session.execute(
        sa.update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.status == AttemptStatus.IN_PROGRESS)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    closed = result.rowcount == 1
    if closed:
        score, points = grade(attempt, round_.multiple_scoring)
        db.session.execute(
            sa.update(Attempt)
            .where(Attempt.id == attempt.id)
            .values(score=score)
            .execution_options(synchronize_session=False)
        )
        if points:
            db.session.execute(
                sa.update(Answer.__table__)
                .where(
                    Answer.__table__.c.attempt_id == attempt.id,
                    Answer.__table__.c.question_id == sa.bindparam("qid"),
                )
                .values(points=sa.bindparam("pts")),
                [{"qid": q, "pts": p} for q, p in points.items()],
            )
    db.session.refresh(attempt)
    return closed


def submit_attempt(
    *, attempt: Attempt, prediction: int | None = None, now: datetime | None = None
) -> Attempt:
    """Submit the attempt; a double click or a retry returns the same result."""
    now = now or utcnow()
    if attempt.status == AttemptStatus.SUBMITTED:
        return attempt
    if now > attempt.deadline_at + grace():
        raise AttemptClosed(_("Time is up: the attempt can no longer be submitted."))
    if attempt.round.prediction_enabled and not attempt.round.is_practice and prediction is None:
        raise ValidationFailed(_("Please answer the prediction question."), field="prediction")
    if prediction is not None and prediction < 0:
        raise ValidationFailed(_("The prediction must be zero or more."), field="prediction")
    finalize_attempt(attempt=attempt, now=now, by="student", prediction=prediction)
    return attempt


def finalize_expired(*, now: datetime | None = None) -> int:
    """Close every open attempt whose deadline plus grace has passed; return how many."""
    now = now or utcnow()
    expired = db.session.scalars(
        sa.select(Attempt).where(
            Attempt.status == AttemptStatus.IN_PROGRESS,
            Attempt.deadline_at < now - grace(),
        )
    ).all()
    return sum(1 for a in expired if finalize_attempt(attempt=a, now=now, by="scheduler"))
