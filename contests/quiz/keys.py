"""Keys that stay secret (DOMAIN.md "Key exposure").

- A question whose key a student is shown (a released review, a practice review) is *exposed*
  from that moment: recorded once, in the same unit of work as the read that shows it, and
  never drawn into a ranked paper again (the bank the draws read leaves it out). A paper drawn
  before may still hold it, so its key is shown only once every ranked attempt in progress
  with it on its paper has ended (a released review of one contest never answers a live
  paper of another contest drawing from the same pool).
- A practice question never has the text of a contest question. Texts are compared once case,
  spacing and punctuation are normalized; diacritics stay meaningful (in Vietnamese "có", "cố"
  and "cỏ" are different words, and nothing else in the quiz folds them), but the same letter
  typed composed or decomposed is the same letter (Unicode NFKC).
- Per contest (``reveal_keys_after_last_round``, on by default), a ranked round's review shows
  keys and explanations only once the contest's last ranked round has closed: a released
  round's review would otherwise answer questions on a live round's papers.
"""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from contests.quiz.models import (
    Attempt,
    AttemptStatus,
    ExposedBy,
    Pool,
    Question,
    QuestionExposure,
    QuizRound,
    RoundKind,
)
from core.errors import Conflict
from core.extensions import db


class SharedWithOtherPool(Conflict):
    """A practice question would have the text of a contest question, or the other way round."""

    code = "shared_with_other_pool"


# --- the practice pool never shares a question with the contest pool ---------------------------


def normalize_text(text: str) -> str:
    """The text as compared across pools: case folded, punctuation and spacing collapsed."""
    folded = unicodedata.normalize("NFKC", text.casefold())
    spaced = "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in folded)
    return " ".join(spaced.split())


def text_key(text: str) -> str:
    """What ``Question.text_key`` stores: a hash of the normalized text (indexed, fixed size)."""
    return hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()


def other_pool(pool: Pool) -> Pool:
    return Pool.PRACTICE if pool == Pool.CONTEST else Pool.CONTEST


def twin_in_other_pool(*, text: str, pool: Pool, question_id: int | None = None) -> Question | None:
    """The question of the other pool with the same normalized text, if any (retired included:
    a paper drawn before the retirement may still be open). ``question_id``: the question being
    edited, which is never its own twin."""
    query = sa.select(Question).where(
        Question.text_key == text_key(text), Question.pool == other_pool(pool)
    )
    if question_id is not None:
        query = query.where(Question.id != question_id)
    with db.session.no_autoflush:
        return db.session.scalar(query.order_by(Question.id).limit(1))


def shared_message(twin: Question) -> str:
    """The refusal naming the other pool's question."""
    if twin.pool == Pool.CONTEST:
        return _(
            "A practice question may not repeat a contest question: this is the text of "
            "contest question #%(id)d “%(text)s”.",
            id=twin.id,
            text=_short(twin.text),
        )
    return _(
        "A contest question may not repeat a practice question: this is the text of "
        "practice question #%(id)d “%(text)s”.",
        id=twin.id,
        text=_short(twin.text),
    )


def check_not_shared(*, text: str, pool: Pool, question_id: int | None = None) -> None:
    """Raise SharedWithOtherPool when the other pool has a question with this text."""
    twin = twin_in_other_pool(text=text, pool=pool, question_id=question_id)
    if twin is not None:
        raise SharedWithOtherPool(shared_message(twin), field="text")


def _short(text: str, length: int = 80) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


# --- exposure -----------------------------------------------------------------------------------


def is_exposed():
    """SQL: the question (``Question`` in the enclosing query) has been exposed."""
    return sa.exists().where(QuestionExposure.question_id == Question.id)


def drawable():
    """SQL: the question may be drawn: a practice question, or a contest one never exposed."""
    return sa.or_(Question.pool == Pool.PRACTICE, ~is_exposed())


def exposed_among(question_ids) -> set[int]:
    """The given questions that are exposed."""
    ids = list(question_ids)
    if not ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(QuestionExposure.question_id).where(QuestionExposure.question_id.in_(ids))
        )
    )


def held_by_live_papers(question_ids, *, now: datetime, grace: timedelta) -> dict[int, datetime]:
    """For each question on the paper of a ranked attempt in progress: when the last such
    attempt ends (its deadline plus grace). Papers drawn after a question's exposure never hold
    it, so this is read once, when the question is exposed."""
    wanted = set(question_ids)
    held: dict[int, datetime] = {}
    rows = db.session.execute(
        sa.select(Attempt.deadline_at, Attempt.paper).where(
            Attempt.status == AttemptStatus.IN_PROGRESS,
            Attempt.deadline_at >= now - grace,
            Attempt.round_id.in_(sa.select(QuizRound.id).where(QuizRound.kind == RoundKind.RANKED)),
        )
    )
    for deadline_at, paper in rows:
        for item in paper:
            if item["q"] in wanted:
                held[item["q"]] = max(held.get(item["q"], now), deadline_at + grace)
    return held


def record_exposure(
    *,
    question_ids,
    by: ExposedBy,
    attempt_id: int | None,
    now: datetime,
    grace: timedelta = timedelta(0),
) -> list[int]:
    """Record that a review is to show these questions' keys; return the newly exposed.

    From now on they are never drawn into a ranked paper; the key of one that is on the paper
    of a ranked attempt in progress may be shown once that attempt has ended
    (:func:`held_by_live_papers`). Idempotent: a
    question already exposed keeps its first record; two readers at the same moment insert it
    once (the primary key, and the insert skips a conflict).
    """
    new = sorted(set(question_ids) - exposed_among(question_ids))
    if not new:
        return []
    held = held_by_live_papers(new, now=now, grace=grace)
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(
        insert(QuestionExposure)
        .values(
            [
                {
                    "question_id": q,
                    "exposed_at": now,
                    "exposed_by": by,
                    "attempt_id": attempt_id,
                    "keys_shown_from": held.get(q, now),
                }
                for q in new
            ]
        )
        .on_conflict_do_nothing(index_elements=["question_id"])
    )
    return new


def keys_held_until(question_ids) -> datetime | None:
    """The latest moment from which the keys of these exposed questions may be shown."""
    ids = list(question_ids)
    if not ids:
        return None
    return db.session.scalar(
        sa.select(sa.func.max(QuestionExposure.keys_shown_from)).where(
            QuestionExposure.question_id.in_(ids)
        )
    )


# --- when a review may show keys ----------------------------------------------------------------


def last_ranked_close(contest) -> datetime | None:
    """When the contest's last ranked round closes (None without ranked rounds)."""
    closes = [r.closes_at for r in contest.rounds if r.kind == RoundKind.RANKED]
    return max(closes) if closes else None


def keys_shown_from(round_: QuizRound) -> datetime | None:
    """From when a submitted attempt's review may show keys (None: not scheduled yet).

    A practice round's review shows them once the attempt is submitted (its pool never shares
    a question with a ranked pool); a ranked round's once its results are released and, when
    the contest says so, its last ranked round has closed.
    """
    if round_.is_practice:
        return round_.opens_at
    if round_.results_release_at is None:
        return None
    moments = [round_.results_release_at]
    if round_.contest.reveal_keys_after_last_round:
        moments.append(last_ranked_close(round_.contest))
    return max(moments)


def keys_visible(round_: QuizRound, now: datetime) -> bool:
    """A submitted attempt's review may show keys and explanations now."""
    shown_from = keys_shown_from(round_)
    return shown_from is not None and shown_from <= now
