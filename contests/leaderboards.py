"""Ranking and its materialized snapshots: a page view never ranks everyone.

The rule (DOMAIN.md "Law quizzes"), printed on every contest page:

1. score, highest first;
2. |prediction − actual|, smallest first, where "actual" is the number of entrants with a perfect
   score (or, per round, the number of entrants); no prediction ranks after every prediction;
3. duration, shortest first;
4. submission time, earliest first.

With several attempts allowed, each student's best attempt counts (score ↓, duration ↑, time ↑).
A snapshot reads the submitted attempts once, as numpy columns (core.arrays: no Python object
per value), and ranks them with numpy, where sorting 100,000 lines takes a few milliseconds; it
stores the top lines as rows and every student's standing packed in one value (see
``Standings``), so a snapshot of 100,000 attempts writes a few hundred rows rather than 100,000. Classes are ranked by their
mean score, schools by participation rate (% of eligible students who took part) plus prize
points for top students.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from types import SimpleNamespace

import numpy as np
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
from core.accounts.services import student_counts
from core.arrays import Columns, fetch_columns
from core.cache import TimedCache
from core.clock import utcnow
from core.db import Prepared, UTCDateTime
from core.extensions import db
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
#: Sorts a missing duration after every real one.
NEVER = 2**62
#: Sorts a missing submission time after every real one.
LAST_TIME = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


class Standings:
    """Every ranked student of a snapshot, packed into one value in rank order.

    A page needs the top lines and the reader's own line. Writing 100,000 table rows a minute
    for the second costs more than the ranking itself, so the snapshot stores the top lines as
    rows and everyone's standing as parallel arrays: a worker reads them once per snapshot
    (numpy views on the value, nothing copied), indexes them by user, and finds any reader
    with a binary search.
    """

    MAGIC = b"MXS2"
    #: (name, numpy type, little-endian), in their order in the packed value; then one byte per
    #: line, its level (an index in LEVELS).
    FIELDS = (
        ("user_id", "<i4"),
        ("rank", "<i4"),
        ("school_id", "<i4"),  # 0: none
        ("class_id", "<i4"),  # 0: none
        ("prediction_error", "<i4"),  # NO_PREDICTION: none
        ("duration_ms", "<i8"),  # NEVER: none
        ("negated_score", "<f8"),
    )

    def __init__(self, arrays: dict[str, np.ndarray], levels: bytes):
        self.arrays = arrays
        self.levels = levels
        # The index by user: user ids in order and each one's position (0.8 MB for 100,000
        # students, where a dict would take 12 MB).
        users = arrays["user_id"]
        self._positions = np.argsort(users, kind="stable").astype(np.int32)
        self._users = users[self._positions]

    @staticmethod
    def pack(columns: dict, levels: bytes) -> bytes:
        """Pack parallel ``columns`` (a sequence per field) and ``levels``, all in rank order."""
        parts = [Standings.MAGIC, len(levels).to_bytes(4, "little")]
        for name, code in Standings.FIELDS:
            parts.append(np.asarray(columns[name], dtype=code).tobytes())
        parts.append(bytes(levels))
        return b"".join(parts)

    @classmethod
    def unpack(cls, data: bytes | None) -> Standings:
        if not data:
            return cls({name: np.empty(0, code) for name, code in cls.FIELDS}, b"")
        if data[:4] != cls.MAGIC:
            raise ValueError("not a packed standings value")
        count, offset, arrays = int.from_bytes(data[4:8], "little"), 8, {}
        for name, code in cls.FIELDS:
            arrays[name] = np.frombuffer(data, code, count, offset)
            offset += arrays[name].nbytes
        return cls(arrays, bytes(data[offset : offset + count]))

    def __len__(self) -> int:
        return len(self.levels)

    def find(self, user_id: int) -> dict | None:
        """The student's standing, or None when they have no ranked attempt.

        Their rank in their level is 1 + the lines of that level ranked before them: the lines
        before the first of their tie, which stands at position rank − 1.
        """
        at = int(np.searchsorted(self._users, user_id))
        if at == len(self._users) or self._users[at] != user_id:
            return None
        index = int(self._positions[at])
        found = {name: self.arrays[name][index].item() for name, _code in self.FIELDS}
        code = self.levels[index]
        found["level"] = LEVELS[code]
        found["level_rank"] = 1 + self.levels.count(code, 0, found["rank"] - 1)
        found["score"] = -found.pop("negated_score")
        for name in ("school_id", "class_id"):
            found[name] = found[name] or None
        for name, missing in (("prediction_error", NO_PREDICTION), ("duration_ms", NEVER)):
            found[name] = None if found[name] == missing else found[name]
        return found


#: Scores are read as whole ten-thousandths of a point: grading rounds them to 4 decimals
#: (contests.quiz.services.grade), so the integers are exact and equal scores compare equal.
SCORE_UNIT = 10_000
#: A student's line as a snapshot reads it from an attempt; numbers stand for missing values.
LINE = np.dtype(
    [
        ("score", "i8"),  # in SCORE_UNITs; a missing score counts 0
        ("prediction", "i4"),  # -1: none
        ("duration", "i8"),  # NEVER: none
        ("submitted", "M8[us]"),  # UTC; LAST_TIME: none
        ("user", "i4"),
        ("school", "i4"),  # 0: none
        ("klass", "i4"),  # 0: none
        ("perfect", "?"),  # the attempt scored full marks (or better)
    ]
)


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
    starts = _group_starts(rows["user"])
    best = Columns({name: rows[name][starts] for name in LINE.names})
    best["perfect"] = np.logical_or.reduceat(rows["perfect"], starts)
    return best


def _group_starts(values: np.ndarray) -> np.ndarray:
    """Where each run of equal ``values`` (sorted, not empty) starts."""
    return np.flatnonzero(np.r_[True, values[1:] != values[:-1]])


def _prediction_actual(round_: QuizRound, lines: Columns) -> int | None:
    """The number predictions are compared with: students with a perfect score, or all the
    round's entrants (None when the round asks for no prediction)."""
    if not round_.prediction_enabled:
        return None
    if round_.prediction_actual == PredictionActual.PERFECT:
        return int(np.count_nonzero(lines["perfect"]))
    return len(lines)


def _rank(lines: Columns, actual: int | None) -> tuple[Columns, np.ndarray, np.ndarray]:
    """Sort ``lines`` by the ranking rule, ties by user id; return them with their prediction
    errors and their ranks (1, 2, 2, 4 …: lines tied on the rule share a rank)."""
    if actual is None:
        errors = np.full(len(lines), NO_PREDICTION, np.int64)
    else:
        predictions = lines["prediction"].astype(np.int64)
        errors = np.where(predictions >= 0, np.abs(predictions - actual), NO_PREDICTION)
    negated = -lines["score"]
    order = np.lexsort((lines["user"], lines["submitted"], lines["duration"], errors, negated))
    lines, errors, negated = lines.take(order), errors[order], negated[order]
    tied = (
        (negated[1:] == negated[:-1])
        & (errors[1:] == errors[:-1])
        & (lines["duration"][1:] == lines["duration"][:-1])
        & (lines["submitted"][1:] == lines["submitted"][:-1])
    )
    ranks = np.arange(1, len(lines) + 1, dtype=np.int64)
    ranks[1:][tied] = 0
    np.maximum.accumulate(ranks, out=ranks)
    return lines, errors, ranks


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
    lines, errors, ranks = _rank(lines, snapshot.actual)
    users, schools, classes = lines["user"], lines["school"], lines["klass"]
    lookup = np.zeros(max([0, *levels, int(schools.max(initial=0))]) + 1, np.uint8)
    for school, level in levels.items():
        lookup[school] = LEVELS.index(level)
    codes = lookup[schools]

    # The top lines overall and in each level are rows; everyone is in the standings.
    top = np.zeros(len(lines), bool)
    top[:TOP_LINES] = True
    for code in range(1, len(LEVELS)):
        top[np.flatnonzero(codes == code)[:TOP_LINES]] = True
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

    participants = _counts(schools[schools > 0])
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
    units = _unit_lines(
        participants=participants,
        class_counts=class_counts,
        class_totals={klass: float(class_totals[klass]) / SCORE_UNIT for klass in class_counts},
        class_schools={k: s or None for k, s in class_schools.items()},
        levels=levels,
        eligible=eligible,
        points=points,
    )
    _insert_lines([*rows, *({**unit, "snapshot_id": snapshot.id} for unit in units)])


def _counts(values: np.ndarray) -> dict[int, int]:
    found, counts = np.unique(values, return_counts=True)
    return dict(zip(found.tolist(), counts.tolist(), strict=True))


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
        counts = student_counts(levels=levels, grades=grades)
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
        starts = _group_starts(rows["user"])
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
