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
from datetime import datetime

import sqlalchemy as sa

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


def _best_attempts(round_ids: list[int]):
    """Each student's best submitted attempt per round (rn = 1)."""
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
        sa.func.rank().over(partition_by=School.level, order_by=ordering),
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
                "level_rank",
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
    by_level: dict[str | None, list[dict]] = defaultdict(list)
    for item in items:
        by_level[item["level"]].append(item)
    for group in by_level.values():
        _competition_ranks(group, key, "level_rank")


def _eligible_counts(levels: list[str], grades: list[int]) -> dict[tuple[int, int], int]:
    from contests.quiz.services import eligible_students

    probe = QuizRound(eligible_levels=",".join(levels), eligible_grades=",".join(map(str, grades)))
    return {(s, c): n for s, c, n in db.session.execute(eligible_students(probe))}


def _insert_units(snapshot: LeaderboardSnapshot, *, eligible: dict, prizes: list[int]) -> None:
    """Class and school lines from the snapshot's student lines."""
    student = sa.and_(
        LeaderboardEntry.snapshot_id == snapshot.id, LeaderboardEntry.scope == "student"
    )
    levels = dict(db.session.execute(sa.select(School.id, School.level)).all())
    classes = []
    class_rows = db.session.execute(
        sa.select(
            LeaderboardEntry.class_id,
            LeaderboardEntry.school_id,
            sa.func.count(),
            sa.func.avg(LeaderboardEntry.score),
        )
        .where(student, LeaderboardEntry.class_id.is_not(None))
        .group_by(LeaderboardEntry.class_id, LeaderboardEntry.school_id)
    )
    for class_id, school_id, participants, mean in class_rows:
        total = eligible.get((school_id, class_id))
        classes.append(
            {
                "ref_id": class_id,
                "school_id": school_id,
                "class_id": class_id,
                "level": str(levels.get(school_id) or "") or None,
                "score": round(float(mean or 0), 4),
                "participants": participants,
                "eligible": total,
                "participation_rate": round(min(100.0, 100.0 * participants / total), 2)
                if total
                else None,
            }
        )
    _rank_units(classes, lambda c: (-c["score"], -c["participants"]))

    participants = dict(
        db.session.execute(
            sa.select(LeaderboardEntry.school_id, sa.func.count())
            .where(student, LeaderboardEntry.school_id.is_not(None))
            .group_by(LeaderboardEntry.school_id)
        ).all()
    )
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


def _replace_older(snapshot: LeaderboardSnapshot) -> None:
    """Keep only the newest snapshot of a round or contest."""
    older = list(
        db.session.scalars(
            sa.select(LeaderboardSnapshot.id).where(
                LeaderboardSnapshot.round_id.is_(None)
                if snapshot.round_id is None
                else LeaderboardSnapshot.round_id == snapshot.round_id,
                LeaderboardSnapshot.contest_id.is_(None)
                if snapshot.contest_id is None
                else LeaderboardSnapshot.contest_id == snapshot.contest_id,
                LeaderboardSnapshot.id != snapshot.id,
            )
        )
    )
    if older:
        db.session.execute(
            sa.delete(LeaderboardEntry).where(LeaderboardEntry.snapshot_id.in_(older))
        )
        db.session.execute(sa.delete(LeaderboardSnapshot).where(LeaderboardSnapshot.id.in_(older)))


def snapshot_round(*, round_: QuizRound, now: datetime | None = None) -> LeaderboardSnapshot:
    """Rank a round's students, classes and schools into a new snapshot."""
    now = now or utcnow()
    best = _best_attempts([round_.id])
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
        eligible=_eligible_counts(round_.levels, round_.grades),
        prizes=round_.prizes,
    )
    _replace_older(snapshot)
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
        eligible=_eligible_counts(sorted(levels), sorted(grades)),
        prizes=rounds[0].prizes if rounds else [],
    )
    _replace_older(snapshot)
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
        snapshot_round(round_=round_, now=now)
        contests[round_.contest_id] = round_.contest
    for contest in contests.values():
        snapshot_contest(contest=contest, now=now)
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


def _entry_query(scope: str):
    return (
        sa.select(LeaderboardEntry, User.full_name, SchoolClass.name, School.name)
        .outerjoin(
            User, sa.and_(LeaderboardEntry.scope == "student", User.id == LeaderboardEntry.ref_id)
        )
        .outerjoin(SchoolClass, SchoolClass.id == LeaderboardEntry.class_id)
        .outerjoin(School, School.id == LeaderboardEntry.school_id)
        .where(LeaderboardEntry.scope == scope)
    )


def _line(row, scope: str, me_ref: int | None, level: str | None) -> dict:
    entry, full_name, class_name, school_name = row
    if scope == "student":
        name = mask_name(full_name or "")
    elif scope == "class":
        name = class_name or ""
    else:
        name = school_name or ""
    return {
        "rank": entry.level_rank if level else entry.rank,
        "name": name,
        "class_name": class_name,
        "school_name": school_name,
        "level": entry.level,
        "score": entry.score,
        "prediction_error": entry.prediction_error,
        "duration_seconds": round(entry.duration_ms / 1000, 1)
        if entry.duration_ms is not None
        else None,
        "participants": entry.participants,
        "eligible": entry.eligible,
        "participation_rate": entry.participation_rate,
        "prize_points": entry.prize_points,
        "is_me": me_ref is not None and entry.ref_id == me_ref,
    }


def read_leaderboard(
    *,
    snapshot: LeaderboardSnapshot | None,
    scope: str,
    me: User | None = None,
    level: str | None = None,
    limit: int = 100,
) -> dict:
    """Top ``limit`` lines of a snapshot (optionally one school level) plus the reader's line."""
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
    query = _entry_query(scope).where(LeaderboardEntry.snapshot_id == snapshot.id)
    if level:
        query = query.where(LeaderboardEntry.level == level).order_by(
            LeaderboardEntry.level_rank, LeaderboardEntry.id
        )
    else:
        query = query.order_by(LeaderboardEntry.rank, LeaderboardEntry.id)
    payload["entries"] = [
        _line(row, scope, me_ref, level) for row in db.session.execute(query.limit(limit))
    ]
    if me_ref is not None:
        mine = next((e for e in payload["entries"] if e["is_me"]), None)
        if mine is None:
            row = db.session.execute(
                _entry_query(scope).where(
                    LeaderboardEntry.snapshot_id == snapshot.id, LeaderboardEntry.ref_id == me_ref
                )
            ).first()
            mine = _line(row, scope, me_ref, level) if row else None
        payload["me"] = mine
    return payload
