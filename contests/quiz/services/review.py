"""What a student sees of a submitted attempt: the review with keys, once they may be shown."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from contests.quiz import keys
from contests.quiz.models import Attempt, AttemptStatus, ExposedBy, Question
from contests.quiz.services.answers import saved_answers
from contests.quiz.services.deadlines import grace
from core.clock import utcnow
from core.extensions import db


def review(attempt: Attempt, *, now: datetime | None = None) -> list[dict] | None:
    """Questions with the student's answer, the key and explanation — only once the keys may
    be shown (:func:`contests.quiz.keys.keys_visible`).

    Showing them exposes the questions: recorded here, in the unit of work of the read. A
    question just exposed keeps its key hidden until the ranked attempts in progress, whose
    papers were drawn before, have ended (:func:`review_keys_from` says until when).
    """
    now = now or utcnow()
    round_ = attempt.round
    if (
        attempt.status != AttemptStatus.SUBMITTED
        or not round_.show_answers
        or not keys.keys_visible(round_, now)
    ):
        return None
    ids = attempt.question_ids
    keys.record_exposure(
        question_ids=ids,
        by=ExposedBy.PRACTICE_REVIEW if round_.is_practice else ExposedBy.REVIEW,
        attempt_id=attempt.id,
        now=now,
        grace=grace(),
    )
    held = keys.keys_held_until(ids)
    if held is not None and held > now:
        return None
    questions = {
        q.id: q
        for q in db.session.scalars(
            sa.select(Question).where(Question.id.in_(ids)).options(selectinload(Question.choices))
        )
    }
    answers = {a.question_id: a for a in saved_answers(attempt.id)}
    items = []
    for item in attempt.paper:
        question = questions[item["q"]]
        answer = answers.get(item["q"])
        chosen = set(answer.choice_ids or []) if answer else set()
        by_id = {c.id: c for c in question.choices}
        items.append(
            {
                "question": question,
                "choices": [by_id[c] for c in item["c"] if c in by_id],
                "chosen": chosen,
                "points": (answer.points or 0.0) if answer else 0.0,
            }
        )
    return items


def review_keys_from(attempt: Attempt, *, now: datetime | None = None) -> datetime | None:
    """From when the attempt's review shows keys (None: the round never shows them, or has no
    release time yet)."""
    now = now or utcnow()
    if not attempt.round.show_answers:
        return None
    shown_from = keys.keys_shown_from(attempt.round)
    if shown_from is None or shown_from > now:
        return shown_from
    held = keys.keys_held_until(attempt.question_ids)
    return max(shown_from, held) if held is not None else shown_from
