"""Ranking and its materialized snapshots: a page view never ranks everyone.

The rule (DOMAIN.md "Law quizzes"), printed on every contest page:

1. score, highest first;
2. |prediction − actual|, smallest first, where "actual" is the number of entrants with a perfect
   score (or, per round, the number of entrants); no prediction ranks after every prediction;
3. duration, shortest first;
4. submission time, earliest first.

With several attempts allowed, each student's best attempt counts (score ↓, duration ↑, time ↑).
Students are ranked inside the database with window functions (INSERT … SELECT), so a snapshot of
100,000 attempts takes a fraction of a second. Classes are ranked by their mean score, schools by
participation rate (% of eligible students who took part) plus prize points for top students.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from contests.quiz.models import (
    Attempt,
    AttemptStatus,
    LeaderboardEntry,
    LeaderboardSnapshot,
    PredictionActual,
    QuizContest,
    QuizRound,
    RoundKind,
)
from core.accounts.models import User
from core.accounts.services import students_of
from core.cache import TimedCache
from core.clock import utcnow
from core.extensions import db
from core.schools.models import School, SchoolClass

SCOPES = ("student", "class", "school")
#: Sorts "no prediction" after every real prediction error.
NO_PREDICTION = 2_147_483_647


def mask_name(full_name: str) -> str:
    """Mask a child's name for public lists: "Nguyễn Văn An" → "Nguyễn V. A."."""
    parts = full_name.split()
    if not parts:
        return ""
    if len(parts) == 1:
        return f"{parts[0][0]}."
    return " ".join([parts[0], *(f"{p[0]}." for p in parts[1:])])


def _best_attempts(round_ids: list[int], *, single: bool = False):
    """Each student's best submitted attempt per round (rn = 1).

    With one attempt allowed (``single``) every submitted attempt is already the best one, and
    the sort that picks the best is skipped.
    """
    if single:
        return (
            sa.select(
                Attempt.round_id,
                Attempt.user_id,
                Attempt.school_id,
                Attempt.class_id,
                Attempt.score,
                Attempt.max_score,
                Attempt.prediction,
                Attempt.duration_ms,
                Attempt.submitted_at,
            )
            .where(Attempt.round_id.in_(round_ids), Attempt.status == AttemptStatus.SUBMITTED)
            .subquery("best")
        )
    rn = sa.func.row_number().over(
        partition_by=(Attempt.round_id, Attempt.user_id),
        order_by=(
            Attempt.score.desc(),
            Attempt.duration_ms,
            Attempt.submitted_at,
            Attempt.id,
        ),
    )
    ranked = (
        sa.select(
            Attempt.round_id,
            Attempt.user_id,
            Attempt.school_id,
            Attempt.class_id,
            Attempt.score,
            Attempt.max_score,
            Attempt.prediction,
            Attempt.duration_ms,
            Attempt.submitted_at,
            rn.label("rn"),
        )
        .where(Attempt.round_id.in_(round_ids), Attempt.status == AttemptStatus.SUBMITTED)
        .subquery("ranked")
    )
    return sa.select(ranked).where(ranked.c.rn == 1).subquery("best")


def _insert_students(snapshot_id: int, rows) -> None:
    """Rank ``rows`` (user_id, school_id, class_id, score, err, duration_ms, submitted_at)."""
    if db.session.get_bind().dialect.name == "postgresql":
        # Sort 100,000 lines in memory rather than on disk (for this transaction only).
        db.session.execute(sa.text("SET LOCAL work_mem = '64MB'"))
    ordering = (
        rows.c.score.desc(),
        sa.func.coalesce(rows.c.err, NO_PREDICTION),
        rows.c.duration_ms,
        rows.c.submitted_at,
    )
    select = sa.select(
        sa.literal(snapshot_id),
        sa.literal("student"),
        rows.c.user_id,
        School.level,
        sa.func.rank().over(order_by=ordering),
        rows.c.school_id,
        rows.c.class_id,
        rows.c.score,
        rows.c.err,
        rows.c.duration_ms,
        rows.c.submitted_at,
    ).select_from(rows.outerjoin(School, School.id == rows.c.school_id))
    db.session.execute(
        sa.insert(LeaderboardEntry).from_select(
            [
                "snapshot_id",
                "scope",
                "ref_id",
                "level",
                "rank",
                "school_id",
                "class_id",
                "score",
                "prediction_error",
                "duration_ms",
                "submitted_at",
            ],
            select,
        )
    )


def _competition_ranks(items: list[dict], key, field: str) -> None:
    """Give ``items`` (already sorted by ``key``) ranks 1, 2, 2, 4 … in ``field``."""
    previous, rank = None, 0
    for index, item in enumerate(items, start=1):
        value = key(item)
        if value != previous:
            rank, previous = index, value
        item[field] = rank


def _rank_units(items: list[dict], key) -> None:
    items.sort(key=key)
    _competition_ranks(items, key, "rank")


#: Eligible students per (school, class), by (levels, grades): rosters change by the day, while
#: an open round is snapshotted every minute. Kept QUIZ_ELIGIBLE_CACHE_SECONDS (default 300;
#: 0 in tests) in the process that snapshots; a final snapshot always counts afresh.
_eligible = TimedCache(max_items=256)


def forget_cached_rows() -> None:
    _eligible.clear()


def _eligible_counts(
    levels: list[str], grades: list[int], *, fresh: bool = False
) -> dict[tuple[int, int], int]:
    key = (tuple(levels), tuple(grades))
    ttl = timedelta(seconds=current_app.config.get("QUIZ_ELIGIBLE_CACHE_SECONDS", 300))
    counts = None if fresh else _eligible.get(key, ttl)
    if counts is None:
        query = students_of(
            sa.select(User.school_id, User.class_id, sa.func.count(User.id)),
            levels=levels,
            grades=grades,
        ).group_by(User.school_id, User.class_id)
        counts = {(s, c): n for s, c, n in db.session.execute(query)}
        _eligible.put(key, counts, ttl)
    return counts


def _insert_units(
    snapshot: LeaderboardSnapshot, rows, *, eligible: dict, prizes: list[int]
) -> None:
    """Class and school lines: one pass over the ranked ``rows``, plus the prize winners."""
    student = sa.and_(
        LeaderboardEntry.snapshot_id == snapshot.id, LeaderboardEntry.scope == "student"
    )
    levels = dict(db.session.execute(sa.select(School.id, School.level)).all())
    classes = []
    participants: dict[int, int] = defaultdict(int)
    class_rows = db.session.execute(
        sa.select(rows.c.class_id, rows.c.school_id, sa.func.count(), sa.func.avg(rows.c.score))
        .where(rows.c.school_id.is_not(None))
        .group_by(rows.c.class_id, rows.c.school_id)
    ).all()
    for _class_id, school_id, count, _mean in class_rows:
        participants[school_id] += count
    for class_id, school_id, count, mean in class_rows:
        if class_id is None:
            continue
        total = eligible.get((school_id, class_id))
        classes.append(
            {
                "ref_id": class_id,
                "school_id": school_id,
                "class_id": class_id,
                "level": str(levels.get(school_id) or "") or None,
                "score": round(float(mean or 0), 4),
                "participants": count,
                "eligible": total,
                "participation_rate": round(min(100.0, 100.0 * count / total), 2)
                if total
                else None,
            }
        )
    _rank_units(classes, lambda c: (-c["score"], -c["participants"]))

    points: dict[int, int] = defaultdict(int)
    if prizes:
        for school_id, rank in db.session.execute(
            sa.select(LeaderboardEntry.school_id, LeaderboardEntry.rank).where(
                student, LeaderboardEntry.rank <= len(prizes)
            )
        ):
            if school_id is not None:
                points[school_id] += prizes[rank - 1]
    eligible_by_school: dict[int, int] = defaultdict(int)
    for (school_id, _class_id), count in eligible.items():
        eligible_by_school[school_id] += count
    schools = []
    for school_id in set(participants) | set(eligible_by_school):
        total = eligible_by_school.get(school_id, 0)
        count = participants.get(school_id, 0)
        rate = round(min(100.0, 100.0 * count / total), 2) if total else 0.0
        schools.append(
            {
                "ref_id": school_id,
                "school_id": school_id,
                "class_id": None,
                "level": str(levels.get(school_id) or "") or None,
                "participants": count,
                "eligible": total or None,
                "participation_rate": rate,
                "prize_points": points.get(school_id, 0),
                "score": round(rate + points.get(school_id, 0), 2),
            }
        )
    _rank_units(schools, lambda s: (-s["score"], -s["participants"], s["ref_id"]))
    rows = [{**c, "scope": "class", "snapshot_id": snapshot.id} for c in classes]
    rows += [{**s, "scope": "school", "snapshot_id": snapshot.id} for s in schools]
    if rows:
        db.session.execute(sa.insert(LeaderboardEntry), rows)


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
        db.session.execute(sa.delete(LeaderboardSnapshot).where(LeaderboardSnapshot.id.in_(older)))
    return len(older)


def snapshot_round(*, round_: QuizRound, now: datetime | None = None) -> LeaderboardSnapshot:
    """Rank a round's students, classes and schools into a new snapshot."""
    now = now or utcnow()
    best = _best_attempts([round_.id], single=round_.attempts_allowed == 1)
    entrants, perfect = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(
                sa.func.sum(sa.case((best.c.score >= best.c.max_score, 1), else_=0)), 0
            ),
        ).select_from(best)
    ).one()
    actual = None
    if round_.prediction_enabled:
        actual = perfect if round_.prediction_actual == PredictionActual.PERFECT else entrants
    snapshot = LeaderboardSnapshot(
        round_id=round_.id,
        computed_at=now,
        entrants=entrants,
        actual=actual,
        final=now >= round_.closes_at,
    )
    db.session.add(snapshot)
    db.session.flush()
    err = (
        sa.case(
            (best.c.prediction.is_(None), sa.null()),
            else_=sa.func.abs(best.c.prediction - actual),
        )
        if actual is not None
        else sa.cast(sa.null(), sa.Integer)
    )
    rows = sa.select(
        best.c.user_id,
        best.c.school_id,
        best.c.class_id,
        best.c.score,
        err.label("err"),
        best.c.duration_ms,
        best.c.submitted_at,
    ).subquery("rows")
    _insert_students(snapshot.id, rows)
    _insert_units(
        snapshot,
        rows,
        eligible=_eligible_counts(round_.levels, round_.grades, fresh=snapshot.final),
        prizes=round_.prizes,
    )
    db.session.flush()
    return snapshot


def snapshot_contest(*, contest: QuizContest, now: datetime | None = None) -> LeaderboardSnapshot:
    """Rank a contest over its ranked rounds: total of each student's best scores."""
    now = now or utcnow()
    rounds = [r for r in contest.rounds if r.kind == RoundKind.RANKED]
    best = _best_attempts([r.id for r in rounds])
    rows = (
        sa.select(
            best.c.user_id,
            sa.func.min(best.c.school_id).label("school_id"),
            sa.func.min(best.c.class_id).label("class_id"),
            sa.func.sum(best.c.score).label("score"),
            sa.cast(sa.null(), sa.Integer).label("err"),
            sa.func.sum(best.c.duration_ms).label("duration_ms"),
            sa.func.max(best.c.submitted_at).label("submitted_at"),
        )
        .group_by(best.c.user_id)
        .subquery("rows")
    )
    entrants = db.session.scalar(sa.select(sa.func.count()).select_from(rows))
    snapshot = LeaderboardSnapshot(
        contest_id=contest.id,
        computed_at=now,
        entrants=entrants,
        final=bool(rounds) and all(now >= r.closes_at for r in rounds),
    )
    db.session.add(snapshot)
    db.session.flush()
    _insert_students(snapshot.id, rows)
    levels = set() if any(not r.levels for r in rounds) else {v for r in rounds for v in r.levels}
    grades = set() if any(not r.grades for r in rounds) else {g for r in rounds for g in r.grades}
    _insert_units(
        snapshot,
        rows,
        eligible=_eligible_counts(sorted(levels), sorted(grades), fresh=snapshot.final),
        prizes=rounds[0].prizes if rounds else [],
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


# --- reading ------------------------------------------------------------------------------------


def latest_snapshot(
    *, round_id: int | None = None, contest_id: int | None = None
) -> LeaderboardSnapshot | None:
    query = sa.select(LeaderboardSnapshot).order_by(LeaderboardSnapshot.id.desc()).limit(1)
    if round_id is not None:
        query = query.where(LeaderboardSnapshot.round_id == round_id)
    else:
        query = query.where(
            LeaderboardSnapshot.contest_id == contest_id, LeaderboardSnapshot.round_id.is_(None)
        )
    return db.session.scalar(query)


_entry = LeaderboardEntry.__table__
_LINE_COLUMNS = (
    _entry.c.ref_id,
    _entry.c.rank,
    _entry.c.level,
    _entry.c.score,
    _entry.c.prediction_error,
    _entry.c.duration_ms,
    _entry.c.participants,
    _entry.c.eligible,
    _entry.c.participation_rate,
    _entry.c.prize_points,
    User.__table__.c.full_name,
    SchoolClass.__table__.c.name.label("class_name"),
    School.__table__.c.name.label("school_name"),
)


def _lines_query():
    """Lines of one snapshot and scope with their labels (plain rows: no ORM objects to build)."""
    return (
        sa.select(*_LINE_COLUMNS)
        .select_from(_entry)
        .outerjoin(
            User.__table__,
            sa.and_(_entry.c.scope == "student", User.__table__.c.id == _entry.c.ref_id),
        )
        .outerjoin(SchoolClass.__table__, SchoolClass.__table__.c.id == _entry.c.class_id)
        .outerjoin(School.__table__, School.__table__.c.id == _entry.c.school_id)
        .where(
            _entry.c.snapshot_id == sa.bindparam("snapshot_id"),
            _entry.c.scope == sa.bindparam("scope"),
        )
    )


#: Built once: a page view only binds parameters.
TOP_QUERY = _lines_query().order_by(_entry.c.rank, _entry.c.ref_id).limit(sa.bindparam("limit"))
TOP_LEVEL_QUERY = (
    _lines_query()
    .where(_entry.c.level == sa.bindparam("level"))
    .order_by(_entry.c.rank, _entry.c.ref_id)
    .limit(sa.bindparam("limit"))
)
MINE_QUERY = _lines_query().where(_entry.c.ref_id == sa.bindparam("ref_id"))
BETTER_IN_LEVEL = sa.select(sa.func.count()).where(
    _entry.c.snapshot_id == sa.bindparam("snapshot_id"),
    _entry.c.scope == sa.bindparam("scope"),
    _entry.c.level == sa.bindparam("level"),
    _entry.c.rank < sa.bindparam("rank"),
)


def _line(row, scope: str, me_ref: int | None, rank: int) -> dict:
    if scope == "student":
        name = mask_name(row.full_name or "")
    elif scope == "class":
        name = row.class_name or ""
    else:
        name = row.school_name or ""
    return {
        "rank": rank,
        "name": name,
        "class_name": row.class_name,
        "school_name": row.school_name,
        "level": row.level,
        "score": row.score,
        "prediction_error": row.prediction_error,
        "duration_seconds": round(row.duration_ms / 1000, 1)
        if row.duration_ms is not None
        else None,
        "participants": row.participants,
        "eligible": row.eligible,
        "participation_rate": row.participation_rate,
        "prize_points": row.prize_points,
        "is_me": me_ref is not None and row.ref_id == me_ref,
    }


def read_leaderboard(
    *,
    snapshot: LeaderboardSnapshot | None,
    scope: str,
    me: User | None = None,
    level: str | None = None,
    limit: int = 100,
) -> dict:
    """Top ``limit`` lines of a snapshot (optionally one school level) plus the reader's line.

    Ranks within a level follow from the overall ranks: walking the level's lines in overall
    order, a line tied with the one before shares its rank, otherwise it takes its position.
    """
    payload = {
        "scope": scope,
        "level": level,
        "computed_at": snapshot.computed_at if snapshot else None,
        "entrants": snapshot.entrants if snapshot else 0,
        "entries": [],
        "me": None,
    }
    if snapshot is None:
        return payload
    me_ref = None
    if me is not None and me.is_authenticated:
        me_ref = {"student": me.id, "class": me.class_id, "school": me.school_id}[scope]
    params = {"snapshot_id": snapshot.id, "scope": scope, "limit": limit}
    if level:
        rows = db.session.execute(TOP_LEVEL_QUERY, {**params, "level": level}).all()
        previous, level_rank = None, 0
        for position, row in enumerate(rows, start=1):
            if row.rank != previous:
                level_rank, previous = position, row.rank
            payload["entries"].append(_line(row, scope, me_ref, level_rank))
    else:
        rows = db.session.execute(TOP_QUERY, params).all()
        payload["entries"] = [_line(row, scope, me_ref, row.rank) for row in rows]
    if me_ref is not None:
        mine = next((e for e in payload["entries"] if e["is_me"]), None)
        if mine is None:
            row = db.session.execute(MINE_QUERY, {**params, "ref_id": me_ref}).first()
            if row is not None and (not level or row.level == level):
                rank = row.rank
                if level:
                    rank = 1 + db.session.scalar(
                        BETTER_IN_LEVEL, {**params, "level": level, "rank": row.rank}
                    )
                mine = _line(row, scope, me_ref, rank)
        payload["me"] = mine
    return payload
