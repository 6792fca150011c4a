"""Law quiz rules: drawing papers, starting, saving, submitting, grading, finalizing.

The server owns the clock. An attempt's paper and deadline are fixed when it starts; every save
and submit is checked against ``deadline_at`` plus a short grace for network latency. Submission
is a guarded state transition (``UPDATE … WHERE status = 'in_progress'``), so a double click, a
retry or the scheduler finalizing at the same moment has exactly one effect.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from contests.quiz import keys
from contests.quiz.categories import category_code
from contests.quiz.models import (
    Accommodation,
    Answer,
    Attempt,
    AttemptStatus,
    Choice,
    ExposedBy,
    MultipleScoring,
    Pool,
    Question,
    QuestionCategory,
    QuestionKind,
    QuizContest,
    QuizRound,
    RoundKind,
)
from core import audit
from core.accounts.models import Role, User
from core.accounts.services import students_of
from core.auth.sessions import live_session_clause
from core.cache import BoundedDict, TimedCache
from core.clock import local_today, utcnow
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.notifications.services import notify

DEFAULT_GRACE_SECONDS = 30


class AttemptClosed(Conflict):
    """The attempt is submitted, or its deadline (plus grace) has passed."""

    code = "attempt_closed"


class RoundNotOpen(Conflict):
    """The round has not opened yet or is already closed."""

    code = "round_not_open"


def grace(config=None) -> timedelta:
    """The latency allowance after a deadline (QUIZ_GRACE_SECONDS, default 30 s)."""
    config = current_app.config if config is None else config
    return timedelta(seconds=config.get("QUIZ_GRACE_SECONDS", DEFAULT_GRACE_SECONDS))


def seconds_remaining(attempt: Attempt, now: datetime) -> int:
    """Whole seconds left before the attempt's deadline (0 once it has passed or is submitted)."""
    if attempt.status != AttemptStatus.IN_PROGRESS:
        return 0
    return seconds_left(attempt.deadline_at, now)


def seconds_left(deadline_at: datetime, now: datetime) -> int:
    """Whole seconds before ``deadline_at`` (0 once it has passed): the countdown every save
    answer sends, with a token or without."""
    return max(0, int((deadline_at - now).total_seconds()))


def accepts_answers(attempt: Attempt, now: datetime) -> bool:
    return attempt.status == AttemptStatus.IN_PROGRESS and now <= attempt.deadline_at + grace()


# --- eligibility --------------------------------------------------------------------------------


def admits(*, levels: list[str], grades: list[int], school_level, grade: int | None) -> bool:
    """A round's school levels and grades (empty lists mean everyone) admit this student."""
    if levels and (school_level is None or school_level.value not in levels):
        return False
    return not grades or (grade is not None and grade in grades)


def is_eligible(round_: QuizRound, user: User) -> bool:
    """Students of the round's school levels and grades may enter (empty lists mean everyone)."""
    if not user.is_authenticated or not user.has_role(Role.STUDENT):
        return False
    levels, grades = round_.levels, round_.grades
    # The school and class are loaded only when a rule needs them.
    school = user.school if levels else None
    school_class = user.school_class if grades else None
    return admits(
        levels=levels,
        grades=grades,
        school_level=school.level if school is not None else None,
        grade=school_class.grade if school_class is not None else None,
    )


def rounds_for_student(*, user: User, now: datetime | None = None) -> list[QuizRound]:
    """Rounds the student may enter now or soon (opening within 14 days), newest first."""
    now = now or utcnow()
    rounds = db.session.scalars(
        sa.select(QuizRound)
        .where(QuizRound.closes_at > now, QuizRound.opens_at <= now + timedelta(days=14))
        .options(joinedload(QuizRound.contest))
        .order_by(QuizRound.opens_at, QuizRound.id)
    )
    return [r for r in rounds if is_eligible(r, user)]


def past_rounds_for_student(*, user: User, now: datetime | None = None) -> list[QuizRound]:
    """Closed rounds the student took part in."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            sa.select(QuizRound)
            .where(
                QuizRound.closes_at <= now,
                QuizRound.id.in_(sa.select(Attempt.round_id).where(Attempt.user_id == user.id)),
            )
            .order_by(QuizRound.closes_at.desc())
        )
    )


# --- drawing a paper ----------------------------------------------------------------------------


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
    from contests.quiz import leaderboards

    _sheets.clear()
    _drawable.clear()
    _texts.clear()
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
) -> bool:
    """Store an answer sent with an attempt token, in one guarded statement; True if stored.

    The statement writes only if the attempt is ``user_id``'s, open, within its deadline plus
    ``grace``, the account active and the session ``session_id`` live (see
    :func:`_save_statement`). False for anything else — closed, late, refused, an older
    ``seq`` — and the full route then gives the canonical answer. ``sheet`` must have been
    checked to admit the question and choices. Flushes nothing; the caller commits.
    """
    statement = _save_statement(db.session.get_bind().dialect.name, token=True)
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
    stored = db.session.execute(statement, params).first() is not None
    if not stored:
        _sheets.pop(attempt_id, None)
    return stored


def saved_answers(attempt_id: int) -> list[Answer]:
    return list(
        db.session.scalars(
            sa.select(Answer).where(Answer.attempt_id == attempt_id).order_by(Answer.id)
        )
    )


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


def get_attempt_for(*, attempt_id: int, user: User) -> Attempt:
    """The user's own attempt; anyone else's is reported as not found."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != user.id:
        raise NotFound(_("Attempt not found."))
    return attempt


def latest_attempt(*, round_id: int, user_id: int) -> Attempt | None:
    return db.session.scalar(
        sa.select(Attempt)
        .where(Attempt.round_id == round_id, Attempt.user_id == user_id)
        .order_by(Attempt.number.desc())
        .limit(1)
    )


# --- organizers: contests, rounds, accommodations -----------------------------------------------


def save_contest(
    *,
    actor,
    contest: QuizContest | None,
    campaign_id: int,
    title: str,
    description: str = "",
    reveal_keys_after_last_round: bool = True,
) -> QuizContest:
    """Create or update a contest; by default its reviews keep keys back until its last ranked
    round has closed."""
    created = contest is None
    if created:
        contest = QuizContest()
        db.session.add(contest)
    contest.campaign_id, contest.title, contest.description = (
        campaign_id,
        title.strip(),
        description,
    )
    contest.reveal_keys_after_last_round = bool(reveal_keys_after_last_round)
    db.session.flush()
    audit.record(
        actor=actor,
        action="quiz.contest_create" if created else "quiz.contest_update",
        obj=contest,
        after={
            "title": contest.title,
            "campaign_id": campaign_id,
            "reveal_keys_after_last_round": contest.reveal_keys_after_last_round,
        },
    )
    return contest


ROUND_FIELDS = (
    "title",
    "kind",
    "opens_at",
    "closes_at",
    "time_limit_seconds",
    "draw_rules",
    "balance_difficulty",
    "shuffle_questions",
    "shuffle_choices",
    "attempts_allowed",
    "multiple_scoring",
    "eligible_levels",
    "eligible_grades",
    "prediction_enabled",
    "prediction_actual",
    "results_release_at",
    "show_answers",
    "show_score_on_submit",
    "prize_points",
)


def save_round(
    *, actor, contest: QuizContest, round_: QuizRound | None, now: datetime | None = None, **values
) -> QuizRound:
    """Create or update a round; times must be in order and the bank must cover the draw rules."""
    now = now or utcnow()
    if values["closes_at"] <= values["opens_at"]:
        raise ValidationFailed(_("The round must close after it opens."), field="closes_at")
    if values["time_limit_seconds"] < 60:
        raise ValidationFailed(_("The time limit must be at least one minute."), field="time_limit")
    release = values.get("results_release_at")
    if release is not None and release < values["closes_at"]:
        raise ValidationFailed(
            _("Results cannot be released before the round closes."), field="results_release_at"
        )
    rules = [r for r in values["draw_rules"] if int(r.get("count", 0)) > 0]
    if not rules:
        raise ValidationFailed(_("Draw at least one question."), field="draw_rules")
    values["draw_rules"] = rules
    created = round_ is None
    started = not created and bool(
        db.session.scalar(sa.select(sa.func.count()).where(Attempt.round_id == round_.id))
    )
    if not started and values["closes_at"] > now:
        # Papers are still to be drawn: the bank (for a ranked round, its unexposed questions)
        # must cover every rule. The error sits beside the rule that is short.
        pool = Pool.PRACTICE if values["kind"] == RoundKind.PRACTICE else Pool.CONTEST
        day = local_today(max(values["opens_at"], now))
        short = shortfalls(pool=pool, rules=rules, day=day)
        if short:
            category, asked, left = short[0]
            raise ValidationFailed(
                _(
                    "“%(category)s” has only %(left)d question(s) that can be drawn "
                    "(valid and, for a ranked round, never shown with their key); "
                    "this rule asks for %(asked)d.",
                    category=category.name,
                    left=left,
                    asked=asked,
                ),
                field=f"count_{category.id}",
            )
    if created:
        round_ = QuizRound(contest_id=contest.id)
        db.session.add(round_)
    elif started:
        # Papers already drawn must stay fair: only the schedule and publication may change.
        for key in ("draw_rules", "kind", "multiple_scoring", "time_limit_seconds"):
            if values[key] != getattr(round_, key):
                raise Conflict(
                    _("Students have started this round: its questions and scoring are fixed.")
                )
    for key in ROUND_FIELDS:
        setattr(round_, key, values[key])
    db.session.flush()
    audit.record(
        actor=actor,
        action="quiz.round_create" if created else "quiz.round_update",
        obj=round_,
        after={"title": round_.title},
    )
    return round_


def set_extra_time(*, actor, contest: QuizContest, user: User, extra_seconds: int) -> Accommodation:
    """Give a student extra time for every round of the contest."""
    if extra_seconds < 0 or extra_seconds > 3 * 3600:
        raise ValidationFailed(_("Extra time must be between 0 and 180 minutes."))
    item = db.session.scalar(
        sa.select(Accommodation).where(
            Accommodation.contest_id == contest.id, Accommodation.user_id == user.id
        )
    )
    before = item.extra_seconds if item else None
    if item is None:
        item = Accommodation(contest_id=contest.id, user_id=user.id)
        db.session.add(item)
    item.extra_seconds = extra_seconds
    db.session.flush()
    audit.record(
        actor=actor,
        action="quiz.extra_time",
        obj=item,
        before={"extra_seconds": before},
        after={"extra_seconds": extra_seconds},
    )
    return item


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


# --- for the campaign package -------------------------------------------------------------------


def participants_by_school(*, since: datetime, until: datetime) -> dict[int, int]:
    """Distinct students per school with a submitted attempt in a ranked round in [since, until)."""
    rows = db.session.execute(
        sa.select(Attempt.school_id, sa.func.count(sa.distinct(Attempt.user_id)))
        .join(QuizRound, QuizRound.id == Attempt.round_id)
        .where(
            QuizRound.kind == RoundKind.RANKED,
            Attempt.status == AttemptStatus.SUBMITTED,
            Attempt.submitted_at >= since,
            Attempt.submitted_at < until,
            Attempt.school_id.is_not(None),
        )
        .group_by(Attempt.school_id)
    )
    return {school_id: count for school_id, count in rows}


def eligible_student_ids(round_: QuizRound) -> sa.Select:
    """Ids of the students eligible for the round."""
    return students_of(sa.select(User.id), levels=round_.levels, grades=round_.grades)


#: Announcements go out for rounds that opened (or released results) this long ago at most:
#: the job runs every minute, and each student is told once (a dedupe key per round).
ANNOUNCE_WITHIN = timedelta(minutes=15)


def announce(*, now: datetime) -> int:
    """Tell eligible students a ranked round has opened, and entrants its results are out."""
    since = now - ANNOUNCE_WITHIN
    count = 0
    opened = db.session.scalars(
        sa.select(QuizRound)
        .where(
            QuizRound.kind == RoundKind.RANKED,
            QuizRound.opens_at > since,
            QuizRound.opens_at <= now,
            QuizRound.closes_at > now,
        )
        .options(joinedload(QuizRound.contest))
    ).all()
    for round_ in opened:
        count += notify(
            user_ids=db.session.scalars(eligible_student_ids(round_)).all(),
            kind="round_opened",
            params={"title": f"{round_.contest.title} — {round_.title}"},
            url=f"/quiz/rounds/{round_.id}",
            dedupe_key=f"quiz-open:{round_.id}",
            now=now,
        )
    released = db.session.scalars(
        sa.select(QuizRound)
        .where(
            QuizRound.kind == RoundKind.RANKED,
            QuizRound.results_release_at > since,
            QuizRound.results_release_at <= now,
        )
        .options(joinedload(QuizRound.contest))
    ).all()
    for round_ in released:
        entrants = db.session.scalars(
            sa.select(Attempt.user_id)
            .where(Attempt.round_id == round_.id, Attempt.status == AttemptStatus.SUBMITTED)
            .distinct()
        ).all()
        count += notify(
            user_ids=entrants,
            kind="results_published",
            params={"title": f"{round_.contest.title} — {round_.title}"},
            url=f"/quiz/rounds/{round_.id}/leaderboard",
            dedupe_key=f"quiz-results:{round_.id}",
            now=now,
        )
    return count
