"""Ranking, pure: the rule, each student's packed standing, class and school lines (no database).

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

from collections import defaultdict
from datetime import UTC, datetime
from operator import itemgetter

import numpy as np

from core.arrays import Columns
from core.schools.models import SchoolLevel

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


def group_starts(values: np.ndarray) -> np.ndarray:
    """Where each run of equal ``values`` (sorted, not empty) starts."""
    return np.flatnonzero(np.r_[True, values[1:] != values[:-1]])


def rank_lines(lines: Columns, actual: int | None) -> tuple[Columns, np.ndarray, np.ndarray]:
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


def counts(values: np.ndarray) -> dict[int, int]:
    found, counts = np.unique(values, return_counts=True)
    return dict(zip(found.tolist(), counts.tolist(), strict=True))


def competition_ranks(items: list[dict], key, field: str) -> None:
    """Give ``items`` (already sorted by ``key``) ranks 1, 2, 2, 4 … in ``field``."""
    previous, rank = None, 0
    for index, item in enumerate(items, start=1):
        value = key(item)
        if value != previous:
            rank, previous = index, value
        item[field] = rank


def rank_units(items: list[dict], key) -> None:
    items.sort(key=key)
    competition_ranks(items, key, "rank")


def unit_lines(
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
    rank_units(classes, lambda c: (-c["score"], -c["participants"]))

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
    rank_units(schools, lambda s: (-s["score"], -s["participants"], s["ref_id"]))
    return [{**c, "scope": "class"} for c in classes] + [{**s, "scope": "school"} for s in schools]
