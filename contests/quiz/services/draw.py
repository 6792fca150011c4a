"""Drawing papers from the bank, through each worker's short cache, and the texts a paper shows."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from contests.quiz import keys
from contests.quiz.models import Attempt, Choice, Pool, Question, QuestionKind, QuizRound
from contests.quiz.services.bank import valid_question_filter
from core.cache import TimedCache
from core.errors import Conflict
from core.extensions import db


def _pick_balanced(candidates: list[tuple[int, int]], count: int, rng: random.Random) -> list[int]:
    """Pick ``count`` question ids spreading them evenly over the difficulties on offer."""
    by_level: dict[int, list[int]] = defaultdict(list)
    for question_id, difficulty in candidates:
        by_level[difficulty].append(question_id)
    for ids in by_level.values():
        rng.shuffle(ids)
    picked: list[int] = []
    while len(picked) < count:
        for level in sorted(by_level):
            if by_level[level] and len(picked) < count:
                picked.append(by_level[level].pop())
    return picked


# --- the bank, as starts read it ----------------------------------------------------------------
#
# When a round opens, thousands of students start within a minute, and each start draws from the
# same questions and shows the same texts. Each worker keeps what it read of a pool for
# QUIZ_BANK_CACHE_SECONDS (default 30 s; 0 turns it off, as the tests do): an edit or a
# retirement reaches new papers within that time. Papers already drawn are fixed; only their
# texts are read again.

_drawable = TimedCache(max_items=256)
_texts = TimedCache(max_items=50_000)


def forget_bank() -> None:
    """Drop this worker's copy of the bank and of question texts."""
    _drawable.clear()
    _texts.clear()


def bank_ttl(config=None) -> timedelta:
    """How long a worker keeps what it read of the bank (QUIZ_BANK_CACHE_SECONDS, default 30 s)."""
    config = current_app.config if config is None else config
    return timedelta(seconds=config.get("QUIZ_BANK_CACHE_SECONDS", 30))


class Bank(NamedTuple):
    """A pool's questions valid on one day, exposed contest questions left out: what a start
    draws from and shows (never keys)."""

    #: category id → [(question id, difficulty)], in id order
    by_category: dict[int, list[tuple[int, int]]]
    #: question id → kind ("single", "multiple", "truefalse")
    kinds: dict[int, str]
    #: question id → its choice ids in their stored order
    choices: dict[int, tuple[int, ...]]
    #: question id → (question text, {choice id: choice text})
    texts: dict[int, tuple[str, dict[int, str]]]


_DAY = sa.bindparam("day", type_=sa.Date)
# Exposed contest questions are left out: they are never drawn into a ranked paper again.
_BANK_QUESTIONS = (
    sa.select(Question.id, Question.category_id, Question.difficulty, Question.kind, Question.text)
    .where(Question.pool == sa.bindparam("pool"), valid_question_filter(_DAY), keys.drawable())
    .order_by(Question.id)
)
_BANK_CHOICES = (
    sa.select(Choice.id, Choice.question_id, Choice.text)
    .join(Question, Question.id == Choice.question_id)
    .where(Question.pool == sa.bindparam("pool"), valid_question_filter(_DAY), keys.drawable())
    .order_by(Choice.question_id, Choice.position, Choice.id)
)


def _bank_rows(statement, params: dict) -> list:
    return db.session.execute(statement, params).all()


def load_bank(pool: Pool, day: date, *, ttl: timedelta) -> Bank:
    """The pool's valid questions on ``day``, through the worker's cache."""
    key = (pool, day)
    hit = _drawable.get(key, ttl)
    if hit is not None:
        return hit
    params = {"pool": pool, "day": day}
    questions = _bank_rows(_BANK_QUESTIONS, params)
    choices: dict[int, list[int]] = defaultdict(list)
    choice_texts: dict[int, dict[int, str]] = defaultdict(dict)
    for choice_id, question_id, text in _bank_rows(_BANK_CHOICES, params):
        choices[question_id].append(choice_id)
        choice_texts[question_id][choice_id] = text
    by_category: dict[int, list[tuple[int, int]]] = defaultdict(list)
    kinds: dict[int, str] = {}
    texts: dict[int, tuple[str, dict[int, str]]] = {}
    for question_id, category_id, difficulty, kind, text in questions:
        # The two reads need not see the same moment (PostgreSQL's READ COMMITTED gives each
        # statement its own): a question retired or deleted in between has no choices here
        # and is never drawn.
        if question_id not in choices:
            continue
        by_category[category_id].append((question_id, difficulty))
        kinds[question_id] = QuestionKind(kind).value
        texts[question_id] = (text, choice_texts[question_id])
    for question_id, found in texts.items():
        _texts.put(question_id, found, ttl)
    bank = Bank(dict(by_category), kinds, {q: tuple(c) for q, c in choices.items()}, texts)
    _drawable.put(key, bank, ttl)
    return bank


def _question_texts(ids: list[int]) -> dict[int, tuple[str, dict[int, str]]]:
    """Question text and choice texts by question id (never keys or explanations)."""
    ttl = bank_ttl()
    found: dict[int, tuple[str, dict[int, str]]] = {}
    missing = []
    for question_id in ids:
        hit = _texts.get(question_id, ttl)
        if hit is not None:
            found[question_id] = hit
        else:
            missing.append(question_id)
    if missing:
        texts = dict(
            db.session.execute(
                sa.select(Question.id, Question.text).where(Question.id.in_(missing))
            ).all()
        )
        choice_texts: dict[int, dict[int, str]] = defaultdict(dict)
        for choice_id, question_id, text in db.session.execute(
            sa.select(Choice.id, Choice.question_id, Choice.text).where(
                Choice.question_id.in_(missing)
            )
        ):
            choice_texts[question_id][choice_id] = text
        for question_id, text in texts.items():
            found[question_id] = (text, choice_texts[question_id])
            _texts.put(question_id, found[question_id], ttl)
    return found


def draw_paper(*, round_, rng: random.Random, day: date, bank: Bank | None = None) -> list[dict]:
    """Draw a paper following the round's rules from questions valid on ``day``.

    ``round_`` is a QuizRound, or anything with its draw settings (``is_practice``,
    ``draw_rules``, ``balance_difficulty``, ``shuffle_questions``, ``shuffle_choices``).
    ``bank``: the pool as already read (by default it is read through the session).
    """
    pool = Pool.PRACTICE if round_.is_practice else Pool.CONTEST
    rules = [r for r in round_.draw_rules or [] if int(r.get("count", 0)) > 0]
    if not rules:
        raise Conflict(_("This round has no questions to draw yet."))
    if bank is None:
        bank = load_bank(pool, day, ttl=bank_ttl())
    chosen: list[int] = []
    for rule in rules:
        candidates = bank.by_category.get(int(rule["category_id"]), [])
        count = int(rule["count"])
        if len(candidates) < count:
            raise Conflict(_("The question bank does not have enough valid questions."))
        if round_.balance_difficulty:
            chosen.extend(_pick_balanced(list(candidates), count, rng))
        else:
            chosen.extend(q for q, _d in rng.sample(candidates, count))
    if round_.shuffle_questions:
        rng.shuffle(chosen)
    paper = []
    for question_id in chosen:
        kind = bank.kinds[question_id]
        order = list(bank.choices.get(question_id, ()))
        # True/false stays in its natural order (Đúng, Sai); other choices are shuffled.
        if round_.shuffle_choices and kind != QuestionKind.TRUEFALSE:
            rng.shuffle(order)
        paper.append({"q": question_id, "k": kind, "c": order})
    return paper


def draw_unexposed(round_: QuizRound, *, rng: random.Random, day: date) -> list[dict]:
    """Draw a paper; a ranked paper never holds an exposed question, even one exposed after
    this worker read the bank (its copy is then read again)."""
    ttl = bank_ttl()
    cached = _drawable.get((round_.pool, day), ttl)
    bank = cached if cached is not None else load_bank(round_.pool, day, ttl=ttl)
    paper = draw_paper(round_=round_, rng=rng, day=day, bank=bank)
    if round_.is_practice or cached is None or not keys.exposed_among(item["q"] for item in paper):
        return paper
    fresh = load_bank(round_.pool, day, ttl=timedelta(0))
    _drawable.put((round_.pool, day), fresh, ttl)
    return draw_paper(round_=round_, rng=rng, day=day, bank=fresh)


# --- what a student may see ---------------------------------------------------------------------


def paper_questions(attempt: Attempt) -> list[dict]:
    """The attempt's questions in the order shown, without keys or explanations."""
    # Plain rows, not ORM objects, read through the bank cache: this runs on every start.
    return _questions_of(attempt.paper, _question_texts(attempt.question_ids))


def _questions_of(paper: list[dict], texts: dict[int, tuple[str, dict[int, str]]]) -> list[dict]:
    return [
        {
            "id": item["q"],
            "text": texts[item["q"]][0],
            "kind": item["k"],
            "choices": [{"id": c, "text": texts[item["q"]][1].get(c, "")} for c in item["c"]],
        }
        for item in paper
    ]
