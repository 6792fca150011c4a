"""Snapshots: load each round's submitted attempts as columns, rank them (``ranking``) and
store the top lines as rows and everyone's standing packed in one value; prune older snapshots.

A snapshot reads the submitted attempts once, as numpy columns (core.arrays: no Python object
per value), so a page view never ranks everyone. It stores the top lines as rows and every
student's standing packed in one value (see ``ranking.Standings``), so a snapshot of 100,000
attempts writes a few hundred rows rather than 100,000.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import numpy as np
import sqlalchemy as sa
from flask import current_app

from contests.quiz.leaderboards import ranking
from contests.quiz.leaderboards.ranking import (
    LAST_TIME,
    LEVELS,
    LINE,
    NEVER,
    NO_PREDICTION,
    SCORE_UNIT,
    Standings,
    counts,
    group_starts,
    rank_lines,
    unit_lines,
)
from contests.quiz.models import (
    Attempt,
    AttemptStatus,
    LeaderboardEntry,
    LeaderboardSnapshot,
    LeaderboardStandings,
    PredictionActual,
    QuizContest,
    QuizRound,
    RoundKind,
)
from core.accounts.services import student_counts
from core.arrays import Columns, fetch_columns
from core.cache import TimedCache
from core.clock import utcnow
from core.db import Prepared, UTCDateTime
from core.extensions import db
from core.schools.models import School


def _lines_statement(*, with_attempt: bool) -> Prepared:
    return Prepared(
        sa.select(
            sa.cast(
                sa.func.round(sa.func.coalesce(Attempt.score, 0.0) * SCORE_UNIT), sa.BigInteger
            ),
            sa.func.coalesce(Attempt.prediction, -1),
            sa.cast(sa.func.coalesce(Attempt.duration_ms, NEVER), sa.BigInteger),
            sa.func.coalesce(Attempt.submitted_at, sa.literal(LAST_TIME, UTCDateTime())),
            Attempt.user_id,
            sa.func.coalesce(Attempt.school_id, 0),
            sa.func.coalesce(Attempt.class_id, 0),
            sa.func.coalesce(Attempt.score >= Attempt.max_score, False),
            *([Attempt.id] if with_attempt else []),
        ).where(
            Attempt.round_id == sa.bindparam("round_id"),
            Attempt.status == AttemptStatus.SUBMITTED,
        )
    )


#: A round's submitted attempts, unordered (numpy sorts them faster than the database would):
#: every column is in the ranking index, which SQLite reads alone; PostgreSQL chooses.
LINES = _lines_statement(with_attempt=False)
ATTEMPT_LINES = _lines_statement(with_attempt=True)


def _round_lines(round_: QuizRound) -> Columns:
    """Each student's line (columns of LINE) from their best submitted attempt of ``round_``.

    The best attempt is the highest score, then the shortest duration, then the earliest
    submission, then the first attempt; its line is ``perfect`` when any of the student's
    attempts was. With one attempt allowed every submitted attempt is the best.
    """
    if round_.attempts_allowed == 1:
        return fetch_columns(LINES, LINE, {"round_id": round_.id})
    rows = fetch_columns(ATTEMPT_LINES, [*LINE.descr, ("attempt", "i4")], {"round_id": round_.id})
    if not len(rows):
        return Columns.empty(LINE)
    rows = rows.take(
        np.lexsort(
            (rows["attempt"], rows["submitted"], rows["duration"], -rows["score"], rows["user"])
        )
    )
    starts = group_starts(rows["user"])
    best = Columns({name: rows[name][starts] for name in LINE.names})
    best["perfect"] = np.logical_or.reduceat(rows["perfect"], starts)
    return best


def _prediction_actual(round_: QuizRound, lines: Columns) -> int | None:
    """The number predictions are compared with: students with a perfect score, or all the
    round's entrants (None when the round asks for no prediction)."""
    if not round_.prediction_enabled:
        return None
    if round_.prediction_actual == PredictionActual.PERFECT:
        return int(np.count_nonzero(lines["perfect"]))
    return len(lines)


def _rank_and_store(
    snapshot: LeaderboardSnapshot,
    lines: Columns,
    *,
    levels: dict[int, str],
    eligible: dict,
    prizes: list[int],
) -> None:
    """Rank the student ``lines`` (columns of LINE) and store them, their classes and schools.

    The work is done on whole columns with numpy: a few passes over 100,000 numbers, where a
    Python loop would take a step per student.
    """
    lines, errors, ranks = rank_lines(lines, snapshot.actual)
    users, schools, classes = lines["user"], lines["school"], lines["klass"]
    lookup = np.zeros(max([0, *levels, int(schools.max(initial=0))]) + 1, np.uint8)
    for school, level in levels.items():
        lookup[school] = LEVELS.index(level)
    codes = lookup[schools]

    # The top lines overall and in each level are rows; everyone is in the standings.
    top = np.zeros(len(lines), bool)
    top[: ranking.TOP_LINES] = True
    for code in range(1, len(LEVELS)):
        top[np.flatnonzero(codes == code)[: ranking.TOP_LINES]] = True
    chosen = np.flatnonzero(top)
    rows = [
        {
            "snapshot_id": snapshot.id,
            "scope": "student",
            "ref_id": user,
            "level": LEVELS[code],
            "rank": rank,
            "school_id": school or None,
            "class_id": klass or None,
            "score": score,
            "prediction_error": None if error == NO_PREDICTION else error,
            "duration_ms": None if duration == NEVER else duration,
        }
        for user, code, rank, school, klass, score, error, duration in zip(
            *(
                column[chosen].tolist()
                for column in (
                    users,
                    codes,
                    ranks,
                    schools,
                    classes,
                    lines["score"] / SCORE_UNIT,
                    errors,
                    lines["duration"],
                )
            ),
            strict=True,
        )
    ]
    columns = {
        "user_id": users,
        "rank": ranks,
        "school_id": schools,
        "class_id": classes,
        "prediction_error": errors,
        "duration_ms": lines["duration"],
        "negated_score": -lines["score"] / SCORE_UNIT,
    }
    db.session.execute(
        sa.insert(LeaderboardStandings),
        {"snapshot_id": snapshot.id, "data": Standings.pack(columns, codes.tobytes())},
    )

    participants = counts(schools[schools > 0])
    in_class = classes > 0
    class_ids, first, sizes = np.unique(classes[in_class], return_index=True, return_counts=True)
    class_counts = dict(zip(class_ids.tolist(), sizes.tolist(), strict=True))
    class_totals = np.bincount(classes[in_class], weights=lines["score"][in_class])
    class_schools = dict(zip(class_ids.tolist(), schools[in_class][first].tolist(), strict=True))
    points: dict[int, int] = defaultdict(int)
    prized = int(np.searchsorted(ranks, len(prizes), side="right"))
    for school, rank in zip(schools[:prized].tolist(), ranks[:prized].tolist(), strict=True):
        if school:
            points[school] += prizes[rank - 1]
    units = unit_lines(
        participants=participants,
        class_counts=class_counts,
        class_totals={klass: float(class_totals[klass]) / SCORE_UNIT for klass in class_counts},
        class_schools={k: s or None for k, s in class_schools.items()},
        levels=levels,
        eligible=eligible,
        points=points,
    )
    _insert_lines([*rows, *({**unit, "snapshot_id": snapshot.id} for unit in units)])


#: Eligible students per (school, class), by (levels, grades): rosters change by the day, while
#: an open round is snapshotted every minute. Kept QUIZ_ELIGIBLE_CACHE_SECONDS (default 300;
#: 0 in tests) in the process that snapshots; a final snapshot always counts afresh.
_eligible = TimedCache(max_items=256)


def forget_cached_counts() -> None:
    _eligible.clear()


def _eligible_counts(
    levels: list[str], grades: list[int], *, fresh: bool = False
) -> dict[tuple[int, int], int]:
    key = (tuple(levels), tuple(grades))
    ttl = timedelta(seconds=current_app.config.get("QUIZ_ELIGIBLE_CACHE_SECONDS", 300))
    counts = None if fresh else _eligible.get(key, ttl)
    if counts is None:
        counts = student_counts(levels=levels, grades=grades)
        _eligible.put(key, counts, ttl)
    return counts


_LINE_FIELDS = [column.name for column in LeaderboardEntry.__table__.columns]


def _insert_lines(rows: list[dict]) -> None:
    """Insert snapshot lines: with COPY on PostgreSQL (one round trip for a thousand lines,
    where an INSERT per line costs a twentieth of a second), else in one executemany."""
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        # Every line names every column: an executemany takes its columns from the first.
        full = [{name: row.get(name) for name in _LINE_FIELDS} for row in rows]
        connection.execute(sa.insert(LeaderboardEntry), full)
        return
    statement = "COPY quiz_leaderboard_entry ({}) FROM STDIN".format(", ".join(_LINE_FIELDS))
    cursor = connection.connection.driver_connection.cursor()
    with cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([row.get(name) for name in _LINE_FIELDS])


def prune_older(snapshot: LeaderboardSnapshot) -> int:
    """Delete the snapshots of the same round or contest older than ``snapshot``.

    Readers always take the newest snapshot, so pruning can run after the new one is committed.
    """
    older = list(
        db.session.scalars(
            sa.select(LeaderboardSnapshot.id).where(
                LeaderboardSnapshot.round_id.is_(None)
                if snapshot.round_id is None
                else LeaderboardSnapshot.round_id == snapshot.round_id,
                LeaderboardSnapshot.contest_id.is_(None)
                if snapshot.contest_id is None
                else LeaderboardSnapshot.contest_id == snapshot.contest_id,
                LeaderboardSnapshot.id < snapshot.id,
            )
        )
    )
    if older:
        db.session.execute(
            sa.delete(LeaderboardEntry).where(LeaderboardEntry.snapshot_id.in_(older))
        )
        db.session.execute(
            sa.delete(LeaderboardStandings).where(LeaderboardStandings.snapshot_id.in_(older))
        )
        db.session.execute(sa.delete(LeaderboardSnapshot).where(LeaderboardSnapshot.id.in_(older)))
    return len(older)


def _school_levels() -> dict[int, str]:
    return {
        school_id: str(level)
        for school_id, level in db.session.execute(sa.select(School.id, School.level))
    }


def snapshot_round(*, round_: QuizRound, now: datetime | None = None) -> LeaderboardSnapshot:
    """Rank a round's students, classes and schools into a new snapshot."""
    now = now or utcnow()
    lines = _round_lines(round_)
    snapshot = LeaderboardSnapshot(
        round_id=round_.id,
        computed_at=now,
        entrants=len(lines),
        actual=_prediction_actual(round_, lines),
        final=now >= round_.closes_at,
    )
    return _store(
        snapshot, lines, levels_grades=(round_.levels, round_.grades), prizes=round_.prizes
    )


def snapshot_contest(*, contest: QuizContest, now: datetime | None = None) -> LeaderboardSnapshot:
    """Rank a contest over its ranked rounds: the total of each student's best scores.

    A student's line takes the sums of their best attempts' scores and durations (none when a
    duration is missing), their latest submission, and the lowest school and class they took
    them from; no prediction.
    """
    now = now or utcnow()
    rounds = [r for r in contest.rounds if r.kind == RoundKind.RANKED]
    rows = Columns.concatenate([_round_lines(r) for r in rounds], LINE)
    rows = rows.take(np.argsort(rows["user"], kind="stable"))
    lines = Columns.empty(LINE)
    if len(rows):
        starts = group_starts(rows["user"])
        lines = rows.take(starts)
        lines["prediction"] = np.full(len(starts), -1, np.int32)
        lines["score"] = np.add.reduceat(rows["score"], starts)
        missing = rows["duration"] == NEVER
        lines["duration"] = np.add.reduceat(np.where(missing, 0, rows["duration"]), starts)
        lines["duration"][np.logical_or.reduceat(missing, starts)] = NEVER
        lines["submitted"] = np.maximum.reduceat(rows["submitted"], starts)
        for field in ("school", "klass"):  # the lowest id, 0 (none) only when there is none
            unset = np.iinfo(np.int32).max
            lowest = np.minimum.reduceat(np.where(rows[field] == 0, unset, rows[field]), starts)
            lines[field] = np.where(lowest == unset, 0, lowest)
    levels = set() if any(not r.levels for r in rounds) else {v for r in rounds for v in r.levels}
    grades = set() if any(not r.grades for r in rounds) else {g for r in rounds for g in r.grades}
    snapshot = LeaderboardSnapshot(
        contest_id=contest.id,
        computed_at=now,
        entrants=len(lines),
        final=bool(rounds) and all(now >= r.closes_at for r in rounds),
    )
    return _store(
        snapshot,
        lines,
        levels_grades=(sorted(levels), sorted(grades)),
        prizes=rounds[0].prizes if rounds else [],
    )


def _store(
    snapshot: LeaderboardSnapshot, lines: Columns, *, levels_grades, prizes: list[int]
) -> LeaderboardSnapshot:
    db.session.add(snapshot)
    db.session.flush()
    _rank_and_store(
        snapshot,
        lines,
        levels=_school_levels(),
        eligible=_eligible_counts(*levels_grades, fresh=snapshot.final),
        prizes=prizes,
    )
    db.session.flush()
    return snapshot


def refresh_snapshots(*, now: datetime | None = None) -> int:
    """Snapshot open ranked rounds, and closed ones once (after their last attempt is final)."""
    now = now or utcnow()
    final_done = sa.select(LeaderboardSnapshot.round_id).where(
        LeaderboardSnapshot.final.is_(True), LeaderboardSnapshot.round_id.is_not(None)
    )
    open_attempts = sa.select(Attempt.round_id).where(Attempt.status == AttemptStatus.IN_PROGRESS)
    rounds = db.session.scalars(
        sa.select(QuizRound).where(
            QuizRound.kind == RoundKind.RANKED,
            QuizRound.opens_at <= now,
            sa.or_(
                QuizRound.closes_at > now,
                sa.and_(QuizRound.id.not_in(final_done), QuizRound.id.not_in(open_attempts)),
            ),
        )
    ).all()
    contests = {}
    for round_ in rounds:
        prune_older(snapshot_round(round_=round_, now=now))
        contests[round_.contest_id] = round_.contest
    for contest in contests.values():
        prune_older(snapshot_contest(contest=contest, now=now))
    return len(rounds) + len(contests)
