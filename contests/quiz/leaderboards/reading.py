"""Reading a snapshot: the top lines of a board and the reader's own line, cached per worker."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from operator import itemgetter
from types import SimpleNamespace
from typing import NamedTuple

import sqlalchemy as sa

from contests.quiz.leaderboards import ranking
from contests.quiz.leaderboards.ranking import Standings, competition_ranks, mask_name
from contests.quiz.models import (
    LeaderboardEntry,
    LeaderboardSnapshot,
    LeaderboardStandings,
    QuizRound,
    RoundKind,
)
from core.accounts.models import User
from core.cache import TimedCache
from core.extensions import db
from core.schools.models import School, SchoolClass


def round_and_latest_snapshot(round_id: int):
    """The round and its newest snapshot (or None), in one query; (None, None) if no round."""
    newest = (
        sa.select(sa.func.max(LeaderboardSnapshot.id))
        .where(LeaderboardSnapshot.round_id == QuizRound.id)
        .correlate(QuizRound)
        .scalar_subquery()
    )
    row = db.session.execute(
        sa.select(QuizRound, LeaderboardSnapshot)
        .outerjoin(LeaderboardSnapshot, LeaderboardSnapshot.id == newest)
        .where(QuizRound.id == round_id)
    ).first()
    return (row[0], row[1]) if row else (None, None)


class SnapshotRef(NamedTuple):
    """What a reply needs of a snapshot: which one, when computed, how many entrants."""

    id: int
    computed_at: datetime
    entrants: int


#: The newest snapshot of ranked round ``round_id`` if its results are out at ``now`` (the board
#: everyone signed in may read, contests.quiz.permissions.can_view_leaderboard): id,
#: computed_at, entrants, as :class:`SnapshotRef`. No row: no such round, a practice round, not
#: released yet, or no snapshot yet.
RELEASED_SNAPSHOT = (
    sa.select(LeaderboardSnapshot.id, LeaderboardSnapshot.computed_at, LeaderboardSnapshot.entrants)
    .join(QuizRound, QuizRound.id == LeaderboardSnapshot.round_id)
    .where(
        QuizRound.id == sa.bindparam("round_id"),
        QuizRound.kind != RoundKind.PRACTICE,
        QuizRound.results_release_at
        <= sa.bindparam("now", type_=QuizRound.results_release_at.type),
    )
    .order_by(LeaderboardSnapshot.id.desc())
    .limit(1)
)


def _ranked_rounds_started(now):
    return sa.select(QuizRound.id).where(
        QuizRound.contest_id == sa.bindparam("contest_id"),
        QuizRound.kind != RoundKind.PRACTICE,
        QuizRound.opens_at <= now,
    )


def _released_contest_snapshot():
    now = sa.bindparam("now", type_=QuizRound.results_release_at.type)
    not_out_yet = _ranked_rounds_started(now).where(
        sa.or_(QuizRound.results_release_at.is_(None), QuizRound.results_release_at > now)
    )
    return (
        sa.select(
            LeaderboardSnapshot.id, LeaderboardSnapshot.computed_at, LeaderboardSnapshot.entrants
        )
        .where(
            LeaderboardSnapshot.contest_id == sa.bindparam("contest_id"),
            LeaderboardSnapshot.round_id.is_(None),
            sa.exists(_ranked_rounds_started(now)),
            ~sa.exists(not_out_yet),
        )
        .order_by(LeaderboardSnapshot.id.desc())
        .limit(1)
    )


#: The newest whole-contest snapshot of contest ``contest_id`` if everyone may read it at
#: ``now``: a ranked round has started and every started one has its results out
#: (contests.quiz.permissions.can_view_contest_leaderboard). As :data:`RELEASED_SNAPSHOT`.
RELEASED_CONTEST_SNAPSHOT = _released_contest_snapshot()


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


#: A ranked student's class and school names (either may be missing).
NAMES_QUERY = sa.select(
    sa.select(SchoolClass.__table__.c.name)
    .where(SchoolClass.__table__.c.id == sa.bindparam("class_id"))
    .scalar_subquery(),
    sa.select(School.__table__.c.name)
    .where(School.__table__.c.id == sa.bindparam("school_id"))
    .scalar_subquery(),
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


#: Standings a worker has read, by (snapshot id, computed at): a snapshot never changes. About
#: 5 MB each for 100,000 students (arrays and the index by user). An open round makes a new
#: snapshot a minute, so the cache is kept small: it starts over past 4.
_standings = TimedCache(max_items=4)
_standings_lock = threading.Lock()
_STANDINGS_KEPT = timedelta(minutes=30)


def standings(snapshot: LeaderboardSnapshot) -> Standings:
    """The snapshot's packed standings, read once per worker (one read at a time)."""
    key = (snapshot.id, snapshot.computed_at)
    found = _standings.get(key, _STANDINGS_KEPT)
    if found is None:
        with _standings_lock:
            found = _standings.get(key, _STANDINGS_KEPT)
            if found is None:
                data = db.session.scalar(
                    sa.select(LeaderboardStandings.data).where(
                        LeaderboardStandings.snapshot_id == snapshot.id
                    )
                )
                found = Standings.unpack(data)
                _standings.put(key, found, _STANDINGS_KEPT)
    return found


#: Class and school names of ranked students, by (class id, school id): like the top lines, a
#: renamed class or school shows its old name until they expire.
_names_cache = TimedCache(max_items=4096)


def _names(class_id: int, school_id: int) -> tuple[str | None, str | None]:
    key = (class_id, school_id)
    found = _names_cache.get(key, _STANDINGS_KEPT)
    if found is None:
        params = {"class_id": class_id, "school_id": school_id}
        found = tuple(db.session.execute(NAMES_QUERY, params).one())
        _names_cache.put(key, found, _STANDINGS_KEPT)
    return found


def _my_student_line(snapshot: LeaderboardSnapshot, me: User, level: str | None) -> dict | None:
    """The reader's line from the standings, when they are ranked (and in ``level``)."""
    mine = standings(snapshot).find(me.id)
    if mine is None or (level and mine["level"] != level):
        return None
    class_name, school_name = _names(mine["class_id"], mine["school_id"])
    row = SimpleNamespace(
        **mine,
        ref_id=me.id,
        full_name=me.full_name,
        class_name=class_name,
        school_name=school_name,
        participants=None,
        eligible=None,
        participation_rate=None,
        prize_points=None,
    )
    return _line(row, "student", me.id, mine["level_rank"] if level else mine["rank"])


#: Top lines a worker has read, by (snapshot id, computed at, scope, level); like the standings
#: they never change, though a renamed class or school shows its old name until they expire.
_tops = TimedCache(max_items=64)


def _top(snapshot: LeaderboardSnapshot, scope: str, level: str | None) -> list[tuple]:
    """The snapshot's first TOP_LINES lines of ``scope`` (in ``level``): (ref id, line)."""
    key = (snapshot.id, snapshot.computed_at, scope, level)
    found = _tops.get(key, _STANDINGS_KEPT)
    if found is not None:
        return found
    params = {"snapshot_id": snapshot.id, "scope": scope, "limit": ranking.TOP_LINES}
    if level:
        rows = db.session.execute(TOP_LEVEL_QUERY, {**params, "level": level}).all()
    else:
        rows = db.session.execute(TOP_QUERY, params).all()
    found = [(row.ref_id, _line(row, scope, None, row.rank)) for row in rows]
    if level:
        # Within a level, the overall ranks become positions, ties kept.
        competition_ranks([line for _ref, line in found], itemgetter("rank"), "rank")
    _tops.put(key, found, _STANDINGS_KEPT)
    return found


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
    limit = min(limit, ranking.TOP_LINES)
    me_ref = reader_ref(scope, me)
    payload["entries"] = [
        {**line, "is_me": ref_id == me_ref} for ref_id, line in _top(snapshot, scope, level)[:limit]
    ]
    if me_ref is not None:
        mine = next((e for e in payload["entries"] if e["is_me"]), None)
        payload["me"] = mine or my_line(snapshot=snapshot, scope=scope, me=me, level=level)
    return payload


def reader_ref(scope: str, me: User | None) -> int | None:
    """What names the reader's line in ``scope``: their id, class or school (None if anonymous)."""
    if me is None or not me.is_authenticated:
        return None
    return {"student": me.id, "class": me.class_id, "school": me.school_id}[scope]


def top_refs(snapshot: LeaderboardSnapshot, scope: str, level: str | None, limit: int) -> set:
    """Whose lines are among the first ``limit`` of the board (cached with the lines)."""
    return {ref for ref, _line in _top(snapshot, scope, level)[: min(limit, ranking.TOP_LINES)]}


def my_line(
    *, snapshot: LeaderboardSnapshot, scope: str, me: User, level: str | None
) -> dict | None:
    """The reader's own line, looked up by their id, class or school: never everyone's lines.

    A student's comes from the snapshot's packed standings (read once per worker, then found by
    user id); a class or school line is one row by the entry's key.
    """
    me_ref = reader_ref(scope, me)
    if me_ref is None:
        return None
    if scope == "student":
        return _my_student_line(snapshot, me, level)
    params = {"snapshot_id": snapshot.id, "scope": scope}
    row = db.session.execute(MINE_QUERY, {**params, "ref_id": me_ref}).first()
    if row is None or (level and row.level != level):
        return None
    rank = row.rank
    if level:
        rank = 1 + db.session.scalar(BETTER_IN_LEVEL, {**params, "level": level, "rank": row.rank})
    return _line(row, scope, me_ref, rank)


def forget_cached_lines() -> None:
    _standings.clear()
    _tops.clear()
    _names_cache.clear()
