"""Ranking and its materialized snapshots: a page view never ranks everyone.

The rule (DOMAIN.md "Law quizzes"), printed on every contest page:

1. score, highest first;
2. |prediction − actual|, smallest first, where "actual" is the number of entrants with a perfect
   score (or, per round, the number of entrants); no prediction ranks after every prediction;
3. duration, shortest first;
4. submission time, earliest first.

With several attempts allowed, each student's best attempt counts (score ↓, duration ↑, time ↑).
A snapshot reads the submitted attempts once (from a covering index, times as plain values) and
ranks them in Python, where sorting 100,000 lines takes a twentieth of a second; it stores the top
lines as rows and every student's standing packed in one value (see ``Standings``), so a snapshot
of 100,000 attempts writes a few hundred rows rather than 100,000. Classes are ranked by their
mean score, schools by participation rate (% of eligible students who took part) plus prize
points for top students.
"""

from __future__ import annotations

import gc
import sys
import threading
from array import array
from bisect import bisect_left
from collections import Counter, defaultdict
from contextlib import closing, contextmanager
from datetime import datetime, timedelta
from itertools import compress
from operator import eq, itemgetter
from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app

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
from core.accounts.models import User
from core.accounts.services import students_of
from core.cache import TimedCache
from core.clock import utcnow
from core.extensions import db
from core.lean import Prepared
from core.schools.models import School, SchoolClass, SchoolLevel

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


#: The most lines a board lists (the API's largest ``limit``). A snapshot keeps this many
#: student lines overall and per school level; every other student's line is in its standings.
TOP_LINES = 100
#: Levels as the standings number them (0: the school has none).
LEVELS: tuple[str | None, ...] = (None, *(str(level) for level in SchoolLevel))
#: Sorts a missing duration or submission time after every real one.
NEVER = 2**62


class Standings:
    """Every ranked student of a snapshot, packed into one value in rank order.

    A page needs the top lines and the reader's own line. Writing 100,000 table rows a minute
    for the second costs more than the ranking itself, so the snapshot stores the top lines as
    rows and everyone's standing as parallel arrays: a worker reads them once per snapshot,
    indexes them by user, and finds any reader with a binary search.
    """

    MAGIC = b"MXS2"
    #: (name, array typecode), in their order in the packed value; then one byte per line,
    #: its level (an index in LEVELS).
    FIELDS = (
        ("user_id", "i"),
        ("rank", "i"),
        ("school_id", "i"),  # 0: none
        ("class_id", "i"),  # 0: none
        ("prediction_error", "i"),  # NO_PREDICTION: none
        ("duration_ms", "q"),  # NEVER: none
        ("negated_score", "d"),
    )

    def __init__(self, arrays: dict[str, array], levels: bytes):
        self.arrays = arrays
        self.levels = levels
        # The index by user: user ids in order and each one's position (0.8 MB for 100,000
        # students, where a dict would take 12 MB).
        users = arrays["user_id"]
        order = sorted(range(len(users)), key=users.__getitem__)
        self._positions = array("i", order)
        self._users = array("i", [users[index] for index in order])

    @staticmethod
    def pack(columns: dict[str, list], levels: bytes) -> bytes:
        """Pack parallel ``columns`` (one list per field) and ``levels``, all in rank order."""
        parts = [Standings.MAGIC, len(levels).to_bytes(4, "little")]
        for name, code in Standings.FIELDS:
            values = array(code, columns[name])
            if sys.byteorder == "big":  # pragma: no cover - stored little-endian everywhere
                values.byteswap()
            parts.append(values.tobytes())
        parts.append(levels)
        return b"".join(parts)

    @classmethod
    def unpack(cls, data: bytes | None) -> Standings:
        if not data:
            return cls({name: array(code) for name, code in cls.FIELDS}, b"")
        if data[:4] != cls.MAGIC:
            raise ValueError("not a packed standings value")
        count, offset, arrays = int.from_bytes(data[4:8], "little"), 8, {}
        for name, code in cls.FIELDS:
            values = array(code)
            size = values.itemsize * count
            values.frombytes(data[offset : offset + size])
            if sys.byteorder == "big":  # pragma: no cover
                values.byteswap()
            arrays[name], offset = values, offset + size
        return cls(arrays, bytes(data[offset : offset + count]))

    def __len__(self) -> int:
        return len(self.levels)

    def find(self, user_id: int) -> dict | None:
        """The student's standing, or None when they have no ranked attempt.

        Their rank in their level is 1 + the lines of that level ranked before them: the lines
        before the first of their tie, which stands at position rank − 1.
        """
        at = bisect_left(self._users, user_id)
        if at == len(self._users) or self._users[at] != user_id:
            return None
        index = self._positions[at]
        found = {name: self.arrays[name][index] for name, _code in self.FIELDS}
        code = self.levels[index]
        found["level"] = LEVELS[code]
        found["level_rank"] = 1 + self.levels.count(code, 0, found["rank"] - 1)
        found["score"] = -found.pop("negated_score")
        for name in ("school_id", "class_id"):
            found[name] = found[name] or None
        for name, missing in (("prediction_error", NO_PREDICTION), ("duration_ms", NEVER)):
            found[name] = None if found[name] == missing else found[name]
        return found


def _instant(column):
    """A time column as a plain value that sorts like the time, read without making datetimes.

    Building 100,000 aware datetimes costs more than ranking them. SQLite stores UTC times as
    fixed-width text ('2026-11-29 10:49:00.211884'), which sorts as the times do; PostgreSQL
    gives seconds since the epoch. A missing time sorts last.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        # Seconds as a double: at today's epoch its step is a quarter of a microsecond, so
        # distinct times stay distinct and in order.
        return sa.func.coalesce(sa.func.date_part("epoch", column), float(NEVER))
    return sa.func.coalesce(sa.type_coerce(column, sa.String), "9999")


def _round_lines(round_: QuizRound, actual: int | None) -> list[tuple]:
    """Each student's line from their best submitted attempt of ``round_``: (-score, prediction
    error or NO_PREDICTION, duration, instant, user, school, class), so that sorting the
    tuples applies the ranking rule.

    The best attempt is the highest score, then the shortest duration, then the earliest
    submission (then the first attempt). With one attempt allowed every submitted attempt is
    the best, and the columns read are all in the ranking index (no table visit).
    """
    single = round_.attempts_allowed == 1
    err = (
        sa.func.coalesce(sa.func.abs(Attempt.prediction - actual), NO_PREDICTION)
        if actual is not None
        else sa.literal(NO_PREDICTION)
    )
    query = sa.select(
        -sa.func.coalesce(Attempt.score, 0.0),
        err,
        sa.func.coalesce(Attempt.duration_ms, NEVER),
        _instant(Attempt.submitted_at),
        Attempt.user_id,
        Attempt.school_id,
        Attempt.class_id,
        *([] if single else [Attempt.id]),
    ).where(Attempt.round_id == round_.id, Attempt.status == AttemptStatus.SUBMITTED)
    # In the ranking index's order, which costs the database nothing and leaves Python's sort
    # (timsort) a few dozen runs to merge instead of 100,000 shuffled lines.
    query = query.order_by(
        Attempt.score, Attempt.prediction, Attempt.duration_ms, Attempt.submitted_at
    )
    result = _plain_rows(query)
    if single:
        return result
    best: dict[int, tuple] = {}
    for row in result:
        key = (row[0], row[2], row[3], row[7])
        held = best.get(row[4])
        if held is None or key < held[0]:
            best[row[4]] = (key, tuple(row[:7]))
    return [line for _key, line in best.values()]


def _plain_rows(query) -> list[tuple]:
    """Run ``query`` on the driver's own cursor (core.lean.Prepared) and return its rows.

    For the 100,000 lines of a snapshot, making SQLAlchemy rows and parsing PostgreSQL's text
    format cost more than the query; the driver's tuples and PostgreSQL's binary format do not.
    """
    connection = db.session.connection()
    driver = connection.connection.driver_connection
    postgresql = connection.dialect.name == "postgresql"
    with closing(driver.cursor(binary=True) if postgresql else driver.cursor()) as cursor:
        return Prepared(query).all(cursor, connection.dialect, {})


def _prediction_actual(round_: QuizRound) -> int | None:
    """The number predictions are compared with: students with a perfect best score, or all
    the round's entrants (None when the round asks for no prediction)."""
    if not round_.prediction_enabled:
        return None
    query = sa.select(sa.func.count(sa.distinct(Attempt.user_id))).where(
        Attempt.round_id == round_.id, Attempt.status == AttemptStatus.SUBMITTED
    )
    if round_.prediction_actual == PredictionActual.PERFECT:
        query = query.where(Attempt.score >= Attempt.max_score)
    return db.session.scalar(query)


@contextmanager
def _collector_paused():
    """Pause the cyclic garbage collector while ranking.

    Ranking makes a few hundred thousand short-lived tuples and lists, none in a cycle; left
    on, the collector sweeps the whole process several times over them (a third of the time).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _rank_and_store(
    snapshot: LeaderboardSnapshot,
    lines: list[tuple],
    *,
    levels: dict[int, str],
    eligible: dict,
    prizes: list[int],
) -> None:
    """Rank the student ``lines`` (see _round_lines) and store them, their classes and schools.

    Sorting the tuples applies the ranking rule, ties listed by user id; lines tied on the rule
    share a rank (1, 2, 2, 4 …). The work is done column by column with the interpreter's
    built-in loops (map, zip, Counter), a few Python steps per student.
    """
    lines.sort()
    count = len(lines)
    keys = [line[:4] for line in lines]
    ranks = list(range(1, count + 1))
    for index in compress(range(1, count), map(eq, keys, keys[1:])):
        ranks[index] = ranks[index - 1]
    del keys
    negated, errors, durations, users, schools, classes = (
        list(map(itemgetter(column), lines)) for column in (0, 1, 2, 4, 5, 6)
    )
    level_codes = {school: LEVELS.index(level) for school, level in levels.items()}
    level_codes[None] = 0
    codes = bytes(map(level_codes.__getitem__, schools))

    top, seen = [], [0] * len(LEVELS)
    wanted = {code: min(n, TOP_LINES) for code, n in Counter(codes).items()}
    for index, code in enumerate(codes):
        seen[code] += 1
        if index < TOP_LINES or seen[code] <= TOP_LINES:
            top.append(
                {
                    "snapshot_id": snapshot.id,
                    "scope": "student",
                    "ref_id": users[index],
                    "level": LEVELS[code],
                    "rank": ranks[index],
                    "school_id": schools[index],
                    "class_id": classes[index],
                    "score": -negated[index],
                    "prediction_error": None if errors[index] == NO_PREDICTION else errors[index],
                    "duration_ms": None if durations[index] == NEVER else durations[index],
                }
            )
        elif all(seen[c] >= n for c, n in wanted.items()):
            break
    columns = {
        "user_id": users,
        "rank": ranks,
        "school_id": [school or 0 for school in schools],
        "class_id": [klass or 0 for klass in classes],
        "prediction_error": errors,
        "duration_ms": durations,
        "negated_score": negated,
    }
    db.session.execute(
        sa.insert(LeaderboardStandings),
        {"snapshot_id": snapshot.id, "data": Standings.pack(columns, codes)},
    )

    participants = Counter(schools)
    participants.pop(None, None)
    class_counts = Counter(classes)
    class_counts.pop(None, None)
    class_totals: dict[int, float] = defaultdict(float)
    for klass, value in zip(classes, negated, strict=True):
        class_totals[klass] -= value
    points: dict[int, int] = defaultdict(int)
    for school, rank in zip(schools, ranks, strict=True):
        if rank > len(prizes):
            break
        if school is not None:
            points[school] += prizes[rank - 1]
    units = _unit_lines(
        participants=participants,
        class_counts=class_counts,
        class_totals=class_totals,
        class_schools=dict(zip(classes, schools, strict=True)),
        levels=levels,
        eligible=eligible,
        points=points,
    )
    _insert_lines([*top, *({**unit, "snapshot_id": snapshot.id} for unit in units)])


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
    _standings.clear()
    _tops.clear()


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


def _unit_lines(
    *,
    participants: dict[int, int],
    class_counts: dict[int, int],
    class_totals: dict[int, float],
    class_schools: dict[int, int],
    levels: dict[int, str],
    eligible: dict,
    points: dict[int, int],
) -> list[dict]:
    """Class and school lines from the ranked students counted per school and class."""
    classes = []
    for class_id, count in class_counts.items():
        school_id = class_schools[class_id]
        total = eligible.get((school_id, class_id))
        classes.append(
            {
                "ref_id": class_id,
                "school_id": school_id,
                "class_id": class_id,
                "level": str(levels.get(school_id) or "") or None,
                "score": round(class_totals[class_id] / count, 4),
                "participants": count,
                "eligible": total,
                "participation_rate": round(min(100.0, 100.0 * count / total), 2)
                if total
                else None,
            }
        )
    classes.sort(key=itemgetter("ref_id"))  # tied classes share a rank, listed by id
    _rank_units(classes, lambda c: (-c["score"], -c["participants"]))

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
    return [{**c, "scope": "class"} for c in classes] + [{**s, "scope": "school"} for s in schools]


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
    with _collector_paused():
        actual = _prediction_actual(round_)
        lines = _round_lines(round_, actual)
        snapshot = LeaderboardSnapshot(
            round_id=round_.id,
            computed_at=now,
            entrants=len(lines),
            actual=actual,
            final=now >= round_.closes_at,
        )
        return _store(
            snapshot, lines, levels_grades=(round_.levels, round_.grades), prizes=round_.prizes
        )


def snapshot_contest(*, contest: QuizContest, now: datetime | None = None) -> LeaderboardSnapshot:
    """Rank a contest over its ranked rounds: the total of each student's best scores.

    A student's line takes the sums of their best attempts' scores and durations, their latest
    submission, and the (lowest) school and class they took them from; no prediction.
    """
    now = now or utcnow()
    rounds = [r for r in contest.rounds if r.kind == RoundKind.RANKED]
    with _collector_paused():
        totals: dict[int, list] = {}
        for round_ in rounds:
            for negated, _err, duration, instant, user, school, klass in _round_lines(round_, None):
                line = totals.get(user)
                if line is None:
                    totals[user] = [negated, duration, instant, school, klass]
                    continue
                line[0] += negated
                line[1] = NEVER if NEVER in (line[1], duration) else line[1] + duration
                line[2] = max(line[2], instant)
                line[3] = _lowest(line[3], school)
                line[4] = _lowest(line[4], klass)
        lines = [
            (negated, NO_PREDICTION, duration, instant, user, school, klass)
            for user, (negated, duration, instant, school, klass) in totals.items()
        ]
        del totals
        levels = (
            set() if any(not r.levels for r in rounds) else {v for r in rounds for v in r.levels}
        )
        grades = (
            set() if any(not r.grades for r in rounds) else {g for r in rounds for g in r.grades}
        )
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


def _lowest(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def _store(
    snapshot: LeaderboardSnapshot, lines: list[tuple], *, levels_grades, prizes: list[int]
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


def _my_student_line(snapshot: LeaderboardSnapshot, me: User, level: str | None) -> dict | None:
    """The reader's line from the standings, when they are ranked (and in ``level``)."""
    mine = standings(snapshot).find(me.id)
    if mine is None or (level and mine["level"] != level):
        return None
    class_name, school_name = db.session.execute(
        NAMES_QUERY, {"class_id": mine["class_id"], "school_id": mine["school_id"]}
    ).one()
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
    params = {"snapshot_id": snapshot.id, "scope": scope, "limit": TOP_LINES}
    if level:
        rows = db.session.execute(TOP_LEVEL_QUERY, {**params, "level": level}).all()
    else:
        rows = db.session.execute(TOP_QUERY, params).all()
    found = [(row.ref_id, _line(row, scope, None, row.rank)) for row in rows]
    if level:
        # Within a level, the overall ranks become positions, ties kept.
        _competition_ranks([line for _ref, line in found], itemgetter("rank"), "rank")
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
    limit = min(limit, TOP_LINES)
    me_ref = None
    if me is not None and me.is_authenticated:
        me_ref = {"student": me.id, "class": me.class_id, "school": me.school_id}[scope]
    params = {"snapshot_id": snapshot.id, "scope": scope}
    payload["entries"] = [
        {**line, "is_me": ref_id == me_ref} for ref_id, line in _top(snapshot, scope, level)[:limit]
    ]
    if me_ref is not None:
        mine = next((e for e in payload["entries"] if e["is_me"]), None)
        if mine is None and scope == "student":
            mine = _my_student_line(snapshot, me, level)
        elif mine is None:
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
