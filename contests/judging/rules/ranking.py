"""Ranking with ties (``rank``) and advancement to the next round (``advance``).

Rules. Entries are ranked by resolved score, highest first. Equal scores share a rank and are
flagged ``tied`` so results pages can say "đồng hạng". Competition ranking (1, 2, 2, 4) is the
default because it is what prize lists use: two second places leave no third. Dense ranking
(1, 2, 2, 3) is available. Scores are compared as Decimals (floats through ``str``, kept to 6
decimal places) so 7.1 and 7.1000000001 from float arithmetic are the same score. Within a tie
the order is by id, only to be stable; it means nothing.

Advancement: the top N go through, and ties at the cut all go through — everyone whose
competition rank is ≤ N, so the round may advance more than N. "Top N per school" applies the
same cut inside each school. Entries without a final score must not be passed in.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from contests.judging.rules.numbers import SNAP, Number, none_first, tidy, to_decimal


class RankMethod(StrEnum):
    COMPETITION = "competition"
    DENSE = "dense"


@dataclass(frozen=True, slots=True)
class Ranked:
    """One ranked entry: its id, score, rank and whether it shares the rank."""

    id: int
    score: Decimal
    rank: int
    tied: bool


def _score(value: Number) -> Decimal:
    return tidy(to_decimal(value, "score").quantize(SNAP, ROUND_HALF_EVEN))


def rank(
    scores: Mapping[int, Number], *, method: RankMethod | str = RankMethod.COMPETITION
) -> list[Ranked]:
    """Rank ids by score, highest first, with ties sharing a rank and flagged."""
    method = RankMethod(method)
    ordered = sorted(((_score(s), i) for i, s in scores.items()), key=lambda p: (-p[0], p[1]))
    counts = Counter(score for score, _ in ordered)
    result: list[Ranked] = []
    previous = None
    current = 0
    for position, (score, entry_id) in enumerate(ordered, start=1):
        if score != previous:
            current = position if method is RankMethod.COMPETITION else current + 1
            previous = score
        result.append(Ranked(entry_id, score, current, counts[score] > 1))
    return result


@dataclass(frozen=True)
class Advancement:
    """Who goes through: ``advancing`` ids (rank order) and, per group, the cut score.

    ``through_on_tie`` are the ids beyond the first N that go through because they tie at the
    cut. Groups are school ids, or None for an overall cut.
    """

    top_n: int
    advancing: tuple[int, ...]
    through_on_tie: tuple[int, ...]
    cut_scores: Mapping[int | None, Decimal]


def advance(
    scores: Mapping[int, Number],
    *,
    top_n: int,
    school_of: Mapping[int, int | None] | None = None,
) -> Advancement:
    """Return the top ``top_n`` (per school if ``school_of`` is given), ties at the cut included."""
    if top_n < 1:
        raise ValueError("top_n must be at least 1")
    groups: dict[int | None, dict[int, Number]] = defaultdict(dict)
    for entry_id, score in scores.items():
        school = school_of[entry_id] if school_of is not None else None
        groups[school][entry_id] = score
    advancing: list[Ranked] = []
    through_on_tie: list[int] = []
    cuts: dict[int | None, Decimal] = {}
    for school in sorted(groups, key=none_first):
        ranked = [r for r in rank(groups[school]) if r.rank <= top_n]
        advancing.extend(ranked)
        through_on_tie.extend(r.id for r in ranked[top_n:])
        if ranked:
            cuts[school] = ranked[-1].score
    advancing.sort(key=lambda r: (-r.score, r.id))
    return Advancement(top_n, tuple(r.id for r in advancing), tuple(through_on_tie), cuts)
