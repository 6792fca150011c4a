"""Telling students a round has opened or released its results, and the quiz figures the campaign
package reads.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from contests.quiz.models import Attempt, AttemptStatus, QuizRound, RoundKind
from core.accounts.models import User
from core.accounts.services import students_of
from core.extensions import db
from core.notifications.services import notify

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


def round_takers(*, round_ids: list[int], school_id: int) -> set[tuple[int, int]]:
    """(student id, round id) for each student of the school who submitted an attempt in a round."""
    if not round_ids:
        return set()
    rows = db.session.execute(
        sa.select(Attempt.user_id, Attempt.round_id)
        .where(
            Attempt.round_id.in_(round_ids),
            Attempt.school_id == school_id,
            Attempt.status == AttemptStatus.SUBMITTED,
        )
        .distinct()
    )
    return {(user_id, round_id) for user_id, round_id in rows}


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
            endpoint="quiz.round_page",
            values={"round_id": round_.id},
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
            endpoint="quiz.leaderboard",
            values={"round_id": round_.id},
            dedupe_key=f"quiz-results:{round_.id}",
            now=now,
        )
    return count
