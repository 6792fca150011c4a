"""Moving one entry to another judge (``reassign``) and bringing a third one (``pick_third_judge``).

The same eligibility as the plan (``eligibility``): the least-loaded eligible judge of the first
pool that has one takes the entry (which pool comes first depends on why, see ``reassign``);
never a judge already on the entry. Ties in load are broken at random (seeded).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from contests.judging.rules.assignment import seeded_random
from contests.judging.rules.eligibility import Conflict, Entry, Judge, conflict_pairs, may_judge


class NoEligibleJudge(ValueError):
    """No judge in any pool may take this entry; ``excluded`` counts the judges ruled out by cause."""

    reason = "no_eligible_judge"

    def __init__(self, entry_id: int, excluded: Mapping[str, int]) -> None:
        self.entry_id = entry_id
        self.excluded = dict(excluded)
        causes = ", ".join(f"{n} {cause}" for cause, n in self.excluded.items() if n)
        super().__init__(f"no eligible judge for entry {entry_id} (excluded: {causes or 'none'})")


class ReassignReason(StrEnum):
    """Why an assignment moves: a declared conflict, the judge is overdue, or withdrawn."""

    CONFLICT = "conflict"
    OVERDUE = "overdue"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True)
class Pick:
    """The judge chosen for an entry, from which pool, and the loads after the move."""

    entry_id: int
    judge_id: int
    pool: str  # "active" or "reserve"
    reason: str
    loads: Mapping[int, int]


def _pick(
    entry: Entry,
    pools: Sequence[tuple[str, Sequence[Judge]]],
    *,
    exclude: set[int],
    loads: Mapping[int, int],
    conflicts: set[tuple[int, int]],
    rng: random.Random,
) -> tuple[str, Judge]:
    excluded = Counter()
    for pool_name, pool in pools:
        candidates = []
        for judge in sorted(pool, key=lambda j: j.id):
            if judge.id in exclude:
                excluded["already_on_entry"] += 1
            elif not may_judge(judge, entry.school_id):
                excluded["same_school"] += 1
            elif (judge.id, entry.id) in conflicts:
                excluded["declared_conflict"] += 1
            else:
                candidates.append(judge)
        if candidates:
            least = min(loads.get(j.id, 0) for j in candidates)
            return pool_name, rng.choice([j for j in candidates if loads.get(j.id, 0) == least])
    raise NoEligibleJudge(entry.id, excluded)


def reassign(
    entry: Entry,
    judge_out: int,
    *,
    judges: Sequence[Judge],
    reserves: Sequence[Judge] = (),
    on_entry: Iterable[int] = (),
    loads: Mapping[int, int] | None = None,
    conflicts: Iterable[Conflict | tuple[int, int]] = (),
    reason: ReassignReason | str = ReassignReason.CONFLICT,
    seed: int | None = None,
) -> Pick:
    """Move ``entry`` from ``judge_out`` to the least-loaded eligible judge.

    A declared conflict or a withdrawn judge keeps the round balanced: the active pool is tried
    first, then the reserves. An overdue assignment goes to a reserve judge first (the active judges have their
    own queues), then to the active pool. The new judge is never ``judge_out``, never one already
    on the entry (``on_entry``), never from the author's school, never conflicted; ties in load
    are broken at random (seeded). ``loads`` are open assignments per judge, missing = 0.
    """
    reason = ReassignReason(reason)
    conflict_set = conflict_pairs(conflicts)
    if reason is ReassignReason.CONFLICT:
        conflict_set.add((judge_out, entry.id))
        pools = (("active", judges), ("reserve", reserves))
    elif reason is ReassignReason.WITHDRAWN:
        pools = (("active", judges), ("reserve", reserves))
    else:
        pools = (("reserve", reserves), ("active", judges))
    rng, _ = seeded_random(seed)
    exclude = set(on_entry) | {judge_out}
    loads = dict(loads or {})
    pool, judge = _pick(entry, pools, exclude=exclude, loads=loads, conflicts=conflict_set, rng=rng)
    if loads.get(judge_out, 0) > 0:
        loads[judge_out] -= 1
    loads[judge.id] = loads.get(judge.id, 0) + 1
    return Pick(entry.id, judge.id, pool, f"reassigned_{reason.value}", loads)


def pick_third_judge(
    entry: Entry,
    *,
    first_judges: Iterable[int],
    judges: Sequence[Judge],
    reserves: Sequence[Judge] = (),
    loads: Mapping[int, int] | None = None,
    conflicts: Iterable[Conflict | tuple[int, int]] = (),
    seed: int | None = None,
) -> Pick:
    """Choose the third marker: least-loaded eligible active judge, else a reserve.

    Never one of ``first_judges`` (pass every judge who has seen the entry; the same call
    picks the fresh judge of an appeal), never the author's school, never conflicted.
    """
    rng, _ = seeded_random(seed)
    loads = dict(loads or {})
    pool, judge = _pick(
        entry,
        (("active", judges), ("reserve", reserves)),
        exclude=set(first_judges),
        loads=loads,
        conflicts=conflict_pairs(conflicts),
        rng=rng,
    )
    loads[judge.id] = loads.get(judge.id, 0) + 1
    return Pick(entry.id, judge.id, pool, "third_judge", loads)
