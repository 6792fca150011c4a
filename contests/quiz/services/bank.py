"""The question bank: questions, their choices and categories, and whether a pool can still meet
a round's draw rules.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from contests.quiz import keys
from contests.quiz.categories import category_code
from contests.quiz.models import (
    Choice,
    Pool,
    Question,
    QuestionCategory,
    QuestionKind,
    QuizRound,
    RoundKind,
)
from core import audit
from core.clock import local_today, utcnow
from core.errors import Conflict, ValidationFailed
from core.extensions import db


def valid_question_filter(day: date):
    return sa.and_(
        Question.retired_at.is_(None),
        sa.or_(Question.valid_from.is_(None), Question.valid_from <= day),
        sa.or_(Question.valid_to.is_(None), Question.valid_to >= day),
    )


def available_counts(*, pool: Pool, day: date) -> dict[int, int]:
    """Questions a paper may draw per category of a pool on ``day``: valid, active and, in the
    contest pool, never exposed."""
    rows = db.session.execute(
        sa.select(Question.category_id, sa.func.count())
        .where(Question.pool == pool, valid_question_filter(day), keys.drawable())
        .group_by(Question.category_id)
    )
    return dict(rows.all())


class PoolCount(NamedTuple):
    """A category of a pool as organizers see it: active questions and those still unexposed."""

    active: int
    unexposed: int


def pool_counts(*, day: date) -> dict[tuple[Pool, int], PoolCount]:
    """Per (pool, category): questions valid and active on ``day``, and how many of them no
    student has been shown the key of."""
    rows = db.session.execute(
        sa.select(
            Question.pool,
            Question.category_id,
            sa.func.count(),
            sa.func.count().filter(~keys.is_exposed()),
        )
        .where(valid_question_filter(day))
        .group_by(Question.pool, Question.category_id)
    )
    return {(Pool(p), c): PoolCount(n, u) for p, c, n, u in rows}


def shortfalls(
    *, pool: Pool, rules: list[dict], day: date
) -> list[tuple[QuestionCategory, int, int]]:
    """The draw rules a pool cannot meet on ``day``: (category, asked, available) each."""
    available = available_counts(pool=pool, day=day)
    short = [
        (int(r["category_id"]), int(r["count"]), available.get(int(r["category_id"]), 0))
        for r in rules
        if available.get(int(r["category_id"]), 0) < int(r["count"])
    ]
    if not short:
        return []
    names = {
        c.id: c
        for c in db.session.scalars(
            sa.select(QuestionCategory).where(QuestionCategory.id.in_([s[0] for s in short]))
        )
    }
    return [(names[c], asked, left) for c, asked, left in short if c in names]


def rounds_short_of_questions(*, now: datetime | None = None) -> list[tuple[QuizRound, list]]:
    """Ranked rounds not yet closed whose draw rules the unexposed questions no longer meet
    (exposures happen after a round is saved): each with its shortfalls."""
    now = now or utcnow()
    rounds = db.session.scalars(
        sa.select(QuizRound)
        .where(QuizRound.kind == RoundKind.RANKED, QuizRound.closes_at > now)
        .options(joinedload(QuizRound.contest))
        .order_by(QuizRound.opens_at, QuizRound.id)
    ).all()
    found = []
    for round_ in rounds:
        day = local_today(max(round_.opens_at, now))
        short = shortfalls(pool=Pool.CONTEST, rules=round_.draw_rules or [], day=day)
        if short:
            found.append((round_, short))
    return found


# --- the question bank --------------------------------------------------------------------------


def check_question(
    kind: str, choices: list[tuple[str, bool]], difficulty: int, valid_from, valid_to
):
    """Raise ValidationFailed unless the question is well formed; return nothing."""
    texts = [t.strip() for t, _c in choices]
    correct = sum(1 for _t, c in choices if c)
    if any(not t for t in texts):
        raise ValidationFailed(_("Every choice needs a text."), field="choices")
    if kind == QuestionKind.TRUEFALSE:
        if len(choices) != 2 or correct != 1:
            raise ValidationFailed(
                _("A true/false question has two choices, one of them right."), field="choices"
            )
    elif len(choices) < 2:
        raise ValidationFailed(_("A question needs at least two choices."), field="choices")
    elif kind == QuestionKind.SINGLE and correct != 1:
        raise ValidationFailed(
            _("A single-choice question has exactly one right choice."), field="choices"
        )
    elif kind == QuestionKind.MULTIPLE and correct < 1:
        raise ValidationFailed(
            _("A multiple-choice question needs at least one right choice."), field="choices"
        )
    if difficulty not in (1, 2, 3):
        raise ValidationFailed(_("Difficulty is 1, 2 or 3."), field="difficulty")
    if valid_from and valid_to and valid_to < valid_from:
        raise ValidationFailed(
            _("The end of validity must not be before its start."), field="valid_to"
        )


def save_question(
    *,
    actor,
    question: Question | None,
    category_id: int,
    kind: str,
    text: str,
    choices: list[tuple[str, bool]],
    explanation: str = "",
    difficulty: int = 2,
    source: str = "",
    valid_from: date | None = None,
    valid_to: date | None = None,
    pool: str = Pool.CONTEST,
    audit_it: bool = True,
) -> Question:
    """Create or edit a question with its choices; refused if the other pool has its text."""
    if not text.strip():
        raise ValidationFailed(_("The question needs a text."), field="text")
    check_question(kind, choices, difficulty, valid_from, valid_to)
    keys.check_not_shared(
        text=text, pool=Pool(pool), question_id=question.id if question is not None else None
    )
    created = question is None
    if created:
        question = Question()
        db.session.add(question)
    question.category_id = category_id
    question.kind = QuestionKind(kind)
    question.pool = Pool(pool)
    question.text = text.strip()
    question.text_key = keys.text_key(question.text)
    question.explanation = (explanation or "").strip()
    question.difficulty = difficulty
    question.source = (source or "").strip()
    question.valid_from, question.valid_to = valid_from, valid_to
    existing = list(question.choices) if not created else []
    new_choices = []
    for position, (choice_text, correct) in enumerate(choices):
        choice = existing[position] if position < len(existing) else Choice()
        choice.position, choice.text, choice.correct = position, choice_text.strip(), bool(correct)
        new_choices.append(choice)
    question.choices = new_choices
    db.session.flush()
    if audit_it:
        audit.record(
            actor=actor,
            action="quiz.question_create" if created else "quiz.question_update",
            obj=question,
            after={"text": question.text[:200]},
        )
    return question


def retire_question(*, actor, question: Question, now: datetime | None = None) -> None:
    """Take a question out of future draws (papers already drawn keep it)."""
    if question.retired_at is not None:
        raise Conflict(_("This question is already retired."))
    question.retired_at = now or utcnow()
    db.session.flush()
    audit.record(actor=actor, action="quiz.question_retire", obj=question)


def create_category(*, actor, name: str) -> QuestionCategory:
    """Add a category to the bank; names are unique."""
    name = " ".join(name.split())
    if not name:
        raise ValidationFailed(_("The category needs a name."), field="name")
    if db.session.scalar(sa.select(QuestionCategory.id).where(QuestionCategory.name == name)):
        raise Conflict(_("A category with this name already exists."), field="name")
    category = QuestionCategory(code=category_code(name), name=name)
    db.session.add(category)
    db.session.flush()
    audit.record(actor=actor, action="quiz.category_create", obj=category, after={"name": name})
    return category


def category_by_name_or_code(value: str) -> QuestionCategory | None:
    value = value.strip()
    return db.session.scalar(
        sa.select(QuestionCategory).where(
            sa.or_(QuestionCategory.code == value, QuestionCategory.name == value)
        )
    )
