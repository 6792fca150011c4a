"""The judging rules engine: pure functions over plain ids, no database and no Flask.

The judging services load rows, call these functions with small frozen dataclasses and store what
comes back. Every rule lives here once, so it can be tested exhaustively and read in one place.
Errors are ``ValueError`` subclasses that carry a reason key and the ids involved; the services
turn them into translated ``DomainError`` messages (this module never translates).

Four parts, each with the paragraph that explains its rules:

1. Assignment of judges to entries (``plan_assignment``, ``reassign``, ``pick_third_judge``).
2. Disagreement resolution by the Vietnamese double-marking rule (``resolve``, ``resolve_entry``).
3. Agreement statistics for the chief judge's report (``icc``, ``krippendorff_alpha``,
   ``judge_severity``).
4. Ranking with ties and advancement to the next round (``rank``, ``advance``).
"""

from __future__ import annotations

import heapq
import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

import numpy as np

__all__ = [
    "DEFAULT_RULES",
    "Advancement",
    "AgreementReport",
    "AgreementResult",
    "AssignmentInfeasible",
    "AssignmentPlan",
    "Conflict",
    "DisagreementRules",
    "Entry",
    "EntryResolution",
    "Judge",
    "NoEligibleJudge",
    "Outcome",
    "Pick",
    "RankMethod",
    "Ranked",
    "ReassignReason",
    "Resolution",
    "Severity",
    "Shortfall",
    "advance",
    "agreement_report",
    "icc",
    "judge_severity",
    "krippendorff_alpha",
    "pick_third_judge",
    "plan_assignment",
    "rank",
    "reassign",
    "resolve",
    "resolve_entry",
]

Number = int | float | Decimal | str


# --------------------------------------------------------------------------------------------
# 1. Assignment
# --------------------------------------------------------------------------------------------
#
# Rules. Each entry gets ``k`` distinct judges (default 2). A judge never marks an entry written
# at their own school (a judge without a school, e.g. a district specialist, may mark any entry),
# and never an entry they declared a conflict with. Within those limits the loads (existing
# assignments in the round plus the new ones) are as even as they can possibly be: the plan
# minimises the sum of squared loads, which over the set of feasible load vectors (an M-convex
# set: loads of a bipartite transportation problem) is the same as minimising the largest load
# and maximising the smallest at once (A. Frank & K. Murota, "Discrete decreasing minimization,
# Part I: base-polyhedra with applications in network optimization").
# So max − min ≤ 1 holds whenever any assignment at all can reach it; when none can (one school
# wrote almost every entry, or existing loads are already uneven) the plan says so in
# ``balance_notes`` and is still the most even possible. The only hard failure is an entry with
# fewer than ``k`` eligible judges; ``AssignmentInfeasible`` lists every such case and why.
#
# How. Entries that share a school and a set of conflicted judges are interchangeable, so they
# form one group; a round of 5,000 entries from 30 schools is ~30 groups, not 5,000 rows. Groups
# are water-filled onto the least-loaded eligible judges (at most one assignment per entry and
# judge, i.e. at most ``len(group)`` per judge), then loads are evened out by moving units along
# alternating judge → group → judge paths (a residual path in the flow network) from a heavier to
# a lighter judge until no such path exists, which is the optimality condition. Finally each
# group's per-judge quotas are dealt to its (shuffled) entries, giving each entry the ``k`` judges
# with the largest remaining quota, random among equals (this always completes: a quota never
# exceeds the entries left). Each judge's queue is then shuffled. All randomness comes from one
# ``random.Random(seed)``; the seed used is stored on the plan so a preview can be re-run exactly.


@dataclass(frozen=True, slots=True)
class Entry:
    """An entry to be judged: its id and the school of its author (None if not a school's)."""

    id: int
    school_id: int | None = None


@dataclass(frozen=True, slots=True)
class Judge:
    """A judge: their id and their own school (None for a judge outside every school)."""

    id: int
    school_id: int | None = None


@dataclass(frozen=True, slots=True)
class Conflict:
    """A judge's declared conflict of interest with one entry."""

    judge_id: int
    entry_id: int


@dataclass(frozen=True, slots=True)
class Shortfall:
    """Why some entries cannot get ``needed`` judges: one line of an infeasibility proof.

    ``reason`` is ``too_few_judges_outside_school`` when the author's school alone leaves too
    few judges, ``too_few_judges_after_conflicts`` when declared conflicts take the rest.
    """

    reason: str
    school_id: int | None
    entry_ids: tuple[int, ...]
    eligible: int
    needed: int
    judges_outside_school: int
    conflicted_judge_ids: tuple[int, ...]

    def __str__(self) -> str:
        what = f"{len(self.entry_ids)} entr{'y' if len(self.entry_ids) == 1 else 'ies'}"
        where = f"school {self.school_id}" if self.school_id is not None else "no school"
        text = (
            f"{what} from {where} ({_ids_text(self.entry_ids)}): {self.eligible} eligible "
            f"judge(s), {self.needed} needed; {self.judges_outside_school} judge(s) outside "
            f"the school"
        )
        if self.conflicted_judge_ids:
            text += f", conflicts declared by judge(s) {_ids_text(self.conflicted_judge_ids)}"
        return text


class AssignmentInfeasible(ValueError):
    """No assignment can give every entry ``k`` eligible judges; ``shortfalls`` say why."""

    reason = "assignment_infeasible"

    def __init__(self, shortfalls: Sequence[Shortfall]) -> None:
        self.shortfalls = tuple(shortfalls)
        lines = "; ".join(str(s) for s in self.shortfalls)
        super().__init__(f"cannot give every entry enough judges: {lines}")


class NoEligibleJudge(ValueError):
    """No judge in any pool may take this entry; ``excluded`` counts the judges ruled out by cause."""

    reason = "no_eligible_judge"

    def __init__(self, entry_id: int, excluded: Mapping[str, int]) -> None:
        self.entry_id = entry_id
        self.excluded = dict(excluded)
        causes = ", ".join(f"{n} {cause}" for cause, n in self.excluded.items() if n)
        super().__init__(f"no eligible judge for entry {entry_id} (excluded: {causes or 'none'})")


@dataclass(frozen=True)
class AssignmentPlan:
    """A proposed assignment, for the organizer's preview and then for storage.

    ``assignments`` maps entry id → its judges (sorted ids); ``queues`` maps judge id → entry ids
    in the random order the judge will see them; ``loads`` are existing + new per active judge.
    ``same_school_avoided`` counts (entry, judge) pairs ruled out because the judge is from the
    author's school; ``conflicts_avoided`` counts declared conflicts that concerned this plan's
    entries and judges. ``balance_notes`` holds reason keys when max − min ≤ 1 is unreachable.
    """

    k: int
    seed: int
    assignments: Mapping[int, tuple[int, ...]]
    queues: Mapping[int, tuple[int, ...]]
    loads: Mapping[int, int]
    new_loads: Mapping[int, int]
    same_school_avoided: int
    conflicts_avoided: int
    balance_notes: tuple[str, ...] = ()

    @property
    def max_load(self) -> int:
        return max(self.loads.values(), default=0)

    @property
    def min_load(self) -> int:
        return min(self.loads.values(), default=0)

    @property
    def balanced(self) -> bool:
        """Whether max − min ≤ 1 across the active judges."""
        return self.max_load - self.min_load <= 1

    def pairs(self) -> list[tuple[int, int]]:
        """Return (entry id, judge id) pairs, sorted, ready to be stored."""
        return sorted((e, j) for e, judges in self.assignments.items() for j in judges)

    def preview(self) -> dict[str, object]:
        """Return the plain summary the organizer checks before committing the plan."""
        return {
            "entries": len(self.assignments),
            "judges": len(self.loads),
            "k": self.k,
            "seed": self.seed,
            "min_load": self.min_load,
            "max_load": self.max_load,
            "balanced": self.balanced,
            "balance_notes": list(self.balance_notes),
            "same_school_avoided": self.same_school_avoided,
            "conflicts_avoided": self.conflicts_avoided,
            "loads": dict(self.loads),
        }


def _ids_text(ids: Iterable[int], limit: int = 10) -> str:
    ids = list(ids)
    shown = ", ".join(str(i) for i in ids[:limit])
    return shown + (f", … (+{len(ids) - limit})" if len(ids) > limit else "")


def _conflict_pairs(conflicts: Iterable[Conflict | tuple[int, int]]) -> set[tuple[int, int]]:
    """Return declared conflicts as a set of (judge id, entry id) pairs."""
    pairs = set()
    for c in conflicts:
        if isinstance(c, Conflict):
            pairs.add((c.judge_id, c.entry_id))
        else:
            judge_id, entry_id = c
            pairs.add((judge_id, entry_id))
    return pairs


def _rng(seed: int | None) -> tuple[random.Random, int]:
    if seed is None:
        seed = random.SystemRandom().randrange(2**32)
    return random.Random(seed), seed


def _check_unique(items: Sequence[Entry] | Sequence[Judge], what: str) -> None:
    counts = Counter(item.id for item in items)
    duplicates = sorted(i for i, n in counts.items() if n > 1)
    if duplicates:
        raise ValueError(f"duplicate {what} ids: {_ids_text(duplicates)}")


def _may_judge(judge: Judge, entry_school: int | None) -> bool:
    return judge.school_id is None or entry_school is None or judge.school_id != entry_school


def plan_assignment(
    entries: Sequence[Entry],
    judges: Sequence[Judge],
    k: int = 2,
    *,
    existing: Mapping[int, int] | None = None,
    conflicts: Iterable[Conflict | tuple[int, int]] = (),
    seed: int | None = None,
) -> AssignmentPlan:
    """Give each entry ``k`` distinct eligible judges with the most even loads possible.

    ``judges`` are the active judges (reserves are used only by ``reassign``); ``existing`` maps
    judge id → assignments the judge already holds in the round; ``conflicts`` are declared
    (judge id, entry id) conflicts. Raise ``AssignmentInfeasible`` if an entry has fewer than
    ``k`` eligible judges.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    _check_unique(entries, "entry")
    _check_unique(judges, "judge")
    existing = dict(existing or {})
    judge_ids = {j.id for j in judges}
    unknown = sorted(set(existing) - judge_ids)
    if unknown:
        raise ValueError(f"existing loads given for judges not in the pool: {_ids_text(unknown)}")
    rng, seed = _rng(seed)
    entries = sorted(entries, key=lambda e: e.id)
    judges = sorted(judges, key=lambda j: j.id)
    entry_ids = {e.id for e in entries}
    declared = {(j, e) for j, e in _conflict_pairs(conflicts) if j in judge_ids and e in entry_ids}

    groups = _groups(entries, judges, declared)
    shortfalls = _shortfalls(groups, k)
    if shortfalls:
        raise AssignmentInfeasible(shortfalls)

    index = {j.id: i for i, j in enumerate(judges)}
    eligible = [g.eligible for g in groups]
    group_entries = [g.entry_ids for g in groups]
    loads = [existing.get(j.id, 0) for j in judges]
    base = list(loads)
    sizes = [len(members) for members in group_entries]
    flow = _water_fill(eligible, sizes, k, loads, rng)
    _even_out(flow, eligible, sizes, loads)
    assignments, queues = _deal(flow, group_entries, judges, k, rng)

    final = {j.id: loads[index[j.id]] for j in judges}
    notes = _balance_notes(judges, base, loads)
    return AssignmentPlan(
        k=k,
        seed=seed,
        assignments=assignments,
        queues=queues,
        loads=final,
        new_loads={j.id: loads[index[j.id]] - base[index[j.id]] for j in judges},
        same_school_avoided=sum((len(judges) - g.outside) * len(g.entry_ids) for g in groups),
        conflicts_avoided=len(declared),
        balance_notes=notes,
    )


@dataclass(slots=True)
class _Group:
    """Interchangeable entries: same author school, same judges in conflict with them."""

    school_id: int | None
    conflicted: frozenset[int]
    entry_ids: list[int]
    eligible: list[int]  # indexes into the sorted judges
    outside: int  # judges not from the school, conflicts aside


def _groups(
    entries: list[Entry], judges: list[Judge], declared: set[tuple[int, int]]
) -> list[_Group]:
    conflicted_by_entry: dict[int, set[int]] = defaultdict(set)
    for judge_id, entry_id in declared:
        conflicted_by_entry[entry_id].add(judge_id)
    groups: dict[tuple[int | None, frozenset[int]], _Group] = {}
    for entry in entries:
        key = (entry.school_id, frozenset(conflicted_by_entry.get(entry.id, ())))
        group = groups.get(key)
        if group is None:
            outside = [i for i, j in enumerate(judges) if _may_judge(j, entry.school_id)]
            allowed = [i for i in outside if judges[i].id not in key[1]]
            group = groups[key] = _Group(key[0], key[1], [], allowed, len(outside))
        group.entry_ids.append(entry.id)
    return list(groups.values())


def _shortfalls(groups: list[_Group], k: int) -> list[Shortfall]:
    """Collect, per school and cause, the entries that cannot get k eligible judges."""
    short: dict[tuple[str, int | None], list[_Group]] = defaultdict(list)
    for group in groups:
        if len(group.eligible) < k:
            if group.outside < k:
                reason = "too_few_judges_outside_school"
            else:
                reason = "too_few_judges_after_conflicts"
            short[(reason, group.school_id)].append(group)
    return [
        Shortfall(
            reason=reason,
            school_id=school_id,
            entry_ids=tuple(sorted(e for g in found for e in g.entry_ids)),
            eligible=min(len(g.eligible) for g in found),
            needed=k,
            judges_outside_school=found[0].outside,
            conflicted_judge_ids=tuple(sorted({j for g in found for j in g.conflicted})),
        )
        for (reason, school_id), found in sorted(
            short.items(), key=lambda item: (item[0][0], _none_first(item[0][1]))
        )
    ]


def _none_first(value: int | None) -> tuple[int, int]:
    return (0, 0) if value is None else (1, value)


def _water_fill(
    eligible: list[list[int]], sizes: list[int], k: int, loads: list[int], rng: random.Random
) -> list[dict[int, int]]:
    """Give each group k·size units on its least-loaded eligible judges (≤ size per judge)."""
    flow: list[dict[int, int]] = [dict.fromkeys(allowed, 0) for allowed in eligible]
    # Most constrained groups first: they have the fewest places to go.
    order = sorted(range(len(sizes)), key=lambda g: (len(eligible[g]), -sizes[g]))
    for g in order:
        cap = sizes[g]
        f = flow[g]
        heap = [(loads[j], rng.random(), j) for j in eligible[g]]
        heapq.heapify(heap)
        for _ in range(k * cap):
            load, _tie, j = heapq.heappop(heap)
            f[j] += 1
            loads[j] = load + 1
            if f[j] < cap:
                heapq.heappush(heap, (load + 1, rng.random(), j))
    return flow


def _even_out(
    flow: list[dict[int, int]], eligible: list[list[int]], sizes: list[int], loads: list[int]
) -> None:
    """Move units along residual paths from heavier to lighter judges until none is left.

    A unit moves from judge a to judge b through groups g1…gm: a gives up one of g1's entries,
    j1 takes it and gives up one of g2's, …, b takes one of gm's. Only a and b change load.
    """
    groups_of: list[list[int]] = [[] for _ in loads]
    for g, allowed in enumerate(eligible):
        for j in allowed:
            groups_of[j].append(g)
    while True:
        improved = False
        done: set[int] = set()
        for level in sorted(set(loads), reverse=True):
            sources = [j for j, load in enumerate(loads) if load == level and j not in done]
            if not sources:
                continue
            parent_judge: dict[int, tuple[int, int]] = {}  # judge -> (group, previous judge)
            seen_groups: dict[int, int] = {}  # group -> judge it was reached from
            reached = list(sources)
            seen_judges = set(sources)
            queue = list(sources)
            for a in queue:
                for g in groups_of[a]:
                    if g in seen_groups or flow[g][a] == 0:
                        continue
                    seen_groups[g] = a
                    cap = sizes[g]
                    for b in eligible[g]:
                        if b in seen_judges or b in done or flow[g][b] >= cap:
                            continue
                        seen_judges.add(b)
                        parent_judge[b] = (g, a)
                        reached.append(b)
                        queue.append(b)
            target = min(reached, key=lambda j: loads[j])
            if loads[target] <= level - 2:
                _augment(flow, sizes, loads, parent_judge, target)
                improved = True
                break
            done.update(reached)
        if not improved:
            return


def _augment(
    flow: list[dict[int, int]],
    sizes: list[int],
    loads: list[int],
    parent_judge: dict[int, tuple[int, int]],
    target: int,
) -> None:
    path = []
    b = target
    while b in parent_judge:
        g, a = parent_judge[b]
        path.append((a, g, b))
        b = a
    source = b
    amount = (loads[source] - loads[target]) // 2
    for a, g, b in path:
        amount = min(amount, flow[g][a], sizes[g] - flow[g][b])
    for a, g, b in path:
        flow[g][a] -= amount
        flow[g][b] += amount
    loads[source] -= amount
    loads[target] += amount


def _deal(
    flow: list[dict[int, int]],
    group_entries: list[list[int]],
    judges: list[Judge],
    k: int,
    rng: random.Random,
) -> tuple[dict[int, tuple[int, ...]], dict[int, tuple[int, ...]]]:
    """Deal each group's judge quotas to its entries; shuffle every judge's queue."""
    assignments: dict[int, tuple[int, ...]] = {}
    queues: dict[int, list[int]] = {j.id: [] for j in judges}
    for f, members in zip(flow, group_entries, strict=True):
        members = list(members)
        rng.shuffle(members)
        quota = {j: n for j, n in f.items() if n}
        for entry_id in members:
            # The k largest quotas, random among equals. A quota never exceeds the entries
            # left, so the judges at that bound are always among the k taken.
            chosen = heapq.nlargest(k, quota, key=lambda j: (quota[j], rng.random()))
            for j in chosen:
                quota[j] -= 1
                if not quota[j]:
                    del quota[j]
                queues[judges[j].id].append(entry_id)
            assignments[entry_id] = tuple(sorted(judges[j].id for j in chosen))
    for queue in queues.values():
        rng.shuffle(queue)
    return dict(sorted(assignments.items())), {j: tuple(q) for j, q in queues.items()}


def _balance_notes(judges: list[Judge], base: list[int], loads: list[int]) -> tuple[str, ...]:
    if not loads or max(loads) - min(loads) <= 1:
        return ()
    notes = []
    low = min(loads)
    if max(base) > low + 1:
        notes.append("existing_loads_uneven")
    lighter = [i for i, load in enumerate(loads) if load < max(loads) - 1]
    if any(judges[i].school_id is not None for i in lighter):
        notes.append("own_school_entries_limit_judges")
    if not notes:
        notes.append("conflicts_limit_judges")
    return tuple(notes)


class ReassignReason(StrEnum):
    """Why an assignment moves: a declared conflict, or the judge is overdue."""

    CONFLICT = "conflict"
    OVERDUE = "overdue"


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
            elif not _may_judge(judge, entry.school_id):
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

    A declared conflict keeps the round balanced: the active pool is tried first, then the
    reserves. An overdue assignment goes to a reserve judge first (the active judges have their
    own queues), then to the active pool. The new judge is never ``judge_out``, never one already
    on the entry (``on_entry``), never from the author's school, never conflicted; ties in load
    are broken at random (seeded). ``loads`` are open assignments per judge, missing = 0.
    """
    reason = ReassignReason(reason)
    conflict_set = _conflict_pairs(conflicts)
    if reason is ReassignReason.CONFLICT:
        conflict_set.add((judge_out, entry.id))
        pools = (("active", judges), ("reserve", reserves))
    else:
        pools = (("reserve", reserves), ("active", judges))
    rng, _ = _rng(seed)
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
    rng, _ = _rng(seed)
    loads = dict(loads or {})
    pool, judge = _pick(
        entry,
        (("active", judges), ("reserve", reserves)),
        exclude=set(first_judges),
        loads=loads,
        conflicts=_conflict_pairs(conflicts),
        rng=rng,
    )
    loads[judge.id] = loads.get(judge.id, 0) + 1
    return Pick(entry.id, judge.id, pool, "third_judge", loads)


# --------------------------------------------------------------------------------------------
# 2. Disagreement resolution
# --------------------------------------------------------------------------------------------
#
# Rules (the Vietnamese double-marking rule for Ngữ văn, DOMAIN.md), with thresholds given as
# fractions of the scale's maximum so a 10-point total, a 3-point criterion and a 100-point
# scale all use the same rule. On a 10-point scale with the defaults:
#
#   two marks   gap < 1.0 (10 %)            → the mean stands                      (final)
#               1.0 ≤ gap ≤ 1.5 (10–15 %)   → the two judges reconcile, or the chief judge decides
#               gap > 1.5 (> 15 %)          → a third judge marks
#   three marks exactly one pair agrees     → that pair's mark stands               (final)
#               all three agree             → the mean of the three (= the mark)     (final)
#               spread ≤ 2.5 (25 %)         → the mean of the three                  (final)
#               spread > 2.5                → the chief judge decides
#
# "Agree" means the two marks differ by at most ``agree_within`` points; the default 0 means
# exactly equal once both are on the 0.25 grid (two markers gave the same mark). With a tolerance, two marks agreeing gives their mean; a chain where two
# different pairs agree (7.0, 7.25, 7.5 with tolerance 0.25) is not one agreement, so it falls
# to the spread rule. The same function resolves the total and each rubric criterion.
#
# Numbers. Marks are converted to Decimal through ``str`` (so a float 7.1 is 7.1, not
# 7.0999…), then snapped to the ``mark_step`` grid (0.25 by default) if within 1e-6 of it —
# float noise such as 7.250000000001 — and refused otherwise. Thresholds are Decimal fractions
# times the Decimal maximum, so "gap exactly 10 %" is compared exactly. Means are rounded half
# up to a multiple of ``value_step`` (0.01 by default; 0.25 keeps final marks on the quarter grid).


class Outcome(StrEnum):
    """What a set of marks leads to; the first four are final, the rest wait on people."""

    SINGLE = "single"
    MEAN = "mean"
    AGREED = "agreed"
    MEAN_OF_THREE = "mean_of_three"
    RECONCILE = "reconcile"
    THIRD_JUDGE = "third_judge"
    CHIEF_JUDGE = "chief_judge"

    @property
    def final(self) -> bool:
        return self in _FINAL


_FINAL = frozenset({Outcome.SINGLE, Outcome.MEAN, Outcome.AGREED, Outcome.MEAN_OF_THREE})
#: How urgently an outcome needs people, to combine the total's and the criteria's outcomes.
_URGENCY = {
    Outcome.SINGLE: 0,
    Outcome.MEAN: 0,
    Outcome.AGREED: 0,
    Outcome.MEAN_OF_THREE: 0,
    Outcome.RECONCILE: 1,
    Outcome.THIRD_JUDGE: 2,
    Outcome.CHIEF_JUDGE: 3,
}


def _dec(value: Number | None, name: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number")
        return Decimal(str(value))
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number")
    try:
        result = Decimal(value)
    except (InvalidOperation, TypeError) as error:
        raise ValueError(f"{name} must be a number, not {value!r}") from error
    if not result.is_finite():
        raise ValueError(f"{name} must be a finite number")
    return result


@dataclass(frozen=True)
class DisagreementRules:
    """Thresholds of the double-marking rule, as fractions of the scale's maximum."""

    mean_below: Decimal = Decimal("0.10")
    reconcile_up_to: Decimal = Decimal("0.15")
    spread_up_to: Decimal = Decimal("0.25")
    #: Two marks "agree" when they differ by at most this many points.
    agree_within: Decimal = Decimal("0")
    #: Marks must lie on this grid (None: any value, kept to 6 decimal places).
    mark_step: Decimal | None = Decimal("0.25")
    #: Means are rounded half up to this step.
    value_step: Decimal = Decimal("0.01")

    def __post_init__(self) -> None:
        for name in ("mean_below", "reconcile_up_to", "spread_up_to", "agree_within"):
            object.__setattr__(self, name, _dec(getattr(self, name), name))
        for name in ("mark_step", "value_step"):
            value = _dec(getattr(self, name), name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be positive")
            object.__setattr__(self, name, value)
        if self.value_step is None:
            raise ValueError("value_step is required")
        if not Decimal(0) <= self.mean_below <= self.reconcile_up_to <= 1:
            raise ValueError("need 0 ≤ mean_below ≤ reconcile_up_to ≤ 1")
        if not Decimal(0) <= self.spread_up_to <= 1 or self.agree_within < 0:
            raise ValueError("need 0 ≤ spread_up_to ≤ 1 and agree_within ≥ 0")


DEFAULT_RULES = DisagreementRules()
_SNAP = Decimal("0.000001")


@dataclass(frozen=True)
class Resolution:
    """The outcome for one set of marks, the value if final, and the reason key.

    ``difference`` is the gap of two marks or the spread (max − min) of three.
    """

    outcome: Outcome
    value: Decimal | None
    reason: str
    marks: tuple[Decimal, ...]
    difference: Decimal | None
    max_score: Decimal

    @property
    def final(self) -> bool:
        return self.outcome.final


def _tidy(value: Decimal) -> Decimal:
    """Drop trailing zeros without going to exponent form (7.50 → 7.5, 10.00 → 10)."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _mark(value: Number, max_score: Decimal, rules: DisagreementRules) -> Decimal:
    mark = _dec(value, "mark")
    step = rules.mark_step
    if step is None:
        mark = mark.quantize(_SNAP, ROUND_HALF_EVEN)
    else:
        steps = mark / step
        whole = steps.to_integral_value(ROUND_HALF_EVEN)
        if abs(steps - whole) * step > _SNAP:
            raise ValueError(f"mark {value} is not a multiple of {step}")
        mark = whole * step
    mark = _tidy(mark)
    if not Decimal(0) <= mark <= max_score:
        raise ValueError(f"mark {value} is outside 0–{max_score}")
    return mark


def _mean(values: Sequence[Decimal], rules: DisagreementRules) -> Decimal:
    """Return the mean rounded half up to a multiple of ``value_step`` (0.01, 0.25, …)."""
    steps = (sum(values) / len(values) / rules.value_step).to_integral_value(ROUND_HALF_UP)
    return _tidy(steps * rules.value_step)


def resolve(
    marks: Sequence[Number], *, max_score: Number, rules: DisagreementRules = DEFAULT_RULES
) -> Resolution:
    """Apply the double-marking rule to one, two or three marks on a 0–``max_score`` scale."""
    top = _dec(max_score, "max_score")
    if top <= 0:
        raise ValueError("max_score must be positive")
    values = tuple(_mark(m, top, rules) for m in marks)

    def result(outcome: Outcome, value: Decimal | None, reason: str, diff: Decimal | None):
        return Resolution(outcome, value, reason, values, diff, top)

    if len(values) == 1:
        return result(Outcome.SINGLE, values[0], "single_mark", None)
    if len(values) == 2:
        a, b = values
        gap = abs(a - b)
        if gap < rules.mean_below * top:
            return result(Outcome.MEAN, _mean(values, rules), "gap_below_mean_limit", gap)
        if gap <= rules.reconcile_up_to * top:
            return result(Outcome.RECONCILE, None, "gap_in_reconcile_band", gap)
        return result(Outcome.THIRD_JUDGE, None, "gap_above_reconcile_limit", gap)
    if len(values) == 3:
        spread = max(values) - min(values)
        pairs = [(x, y) for i, x in enumerate(values) for y in values[i + 1 :]]
        agreeing = [(x, y) for x, y in pairs if abs(x - y) <= rules.agree_within]
        if len(agreeing) == 1:
            return result(Outcome.AGREED, _mean(agreeing[0], rules), "two_agree", spread)
        if len(agreeing) == 3:
            return result(Outcome.AGREED, _mean(values, rules), "all_agree", spread)
        if spread <= rules.spread_up_to * top:
            return result(
                Outcome.MEAN_OF_THREE, _mean(values, rules), "spread_within_limit", spread
            )
        return result(Outcome.CHIEF_JUDGE, None, "spread_above_limit", spread)
    raise ValueError(f"the rule takes one to three marks, not {len(values)}")


@dataclass(frozen=True)
class EntryResolution:
    """The rule applied to an entry's total and to each criterion; the most urgent outcome wins.

    ``value`` is the total's resolved value, set only when every part is final.
    """

    outcome: Outcome
    value: Decimal | None
    reason: str
    total: Resolution
    criteria: Mapping[int | str, Resolution]

    @property
    def final(self) -> bool:
        return self.outcome.final


def resolve_entry(
    marks: Mapping[int, Mapping[int | str, Number]],
    *,
    criteria_max: Mapping[int | str, Number],
    total_max: Number | None = None,
    rules: DisagreementRules = DEFAULT_RULES,
) -> EntryResolution:
    """Resolve an entry from each judge's per-criterion marks (judge id → criterion → mark).

    The total is each judge's sum (its maximum the sum of the criteria's, unless ``total_max``).
    If a criterion needs a third judge while the totals are close, the entry needs one: the rule
    "applies to each rubric criterion too". The reason names the part that decided.
    """
    criteria = list(criteria_max)
    for judge_id, sheet in marks.items():
        if set(sheet) != set(criteria):
            raise ValueError(f"judge {judge_id} must mark exactly the rubric's criteria")
    sheets = [marks[j] for j in sorted(marks)]
    per_criterion = {
        c: resolve([s[c] for s in sheets], max_score=criteria_max[c], rules=rules) for c in criteria
    }
    totals = [sum(per_criterion[c].marks[i] for c in criteria) for i in range(len(sheets))]
    top = (
        total_max if total_max is not None else sum(_dec(criteria_max[c], "max") for c in criteria)
    )
    total = resolve(totals, max_score=top, rules=rules)
    decider, reason = total, f"total.{total.reason}"
    for c in criteria:
        r = per_criterion[c]
        if _URGENCY[r.outcome] > _URGENCY[decider.outcome]:
            decider, reason = r, f"criterion.{r.reason}"
    value = total.value if decider.final else None
    return EntryResolution(decider.outcome, value, reason, total, per_criterion)


# --------------------------------------------------------------------------------------------
# 3. Agreement statistics
# --------------------------------------------------------------------------------------------
#
# Rules. The chief judge's report shows how far judges agree, never adjusting anyone's marks.
#
# ICC. When every entry was marked by the same judges (a complete two-way design), we report
# ICC(2,1) of Shrout & Fleiss (1979): two-way random effects, absolute agreement, single rater —
# (BMS − EMS) / (BMS + (k−1)·EMS + k·(JMS − EMS)/n). A judging round is usually incomplete
# (each entry has 2 of 50 judges), where the two-way ANOVA is undefined; there we report
# ICC(1,1), the one-way random model, with the unbalanced-groups correction n₀ (Searle 1971):
# (MSB − MSW) / (MSB + (n₀ − 1)·MSW). With judges assigned at random it estimates the same
# quantity as ICC(2,1) — the share of mark variance due to the entries, judge severity counted
# as error — so the two are comparable. The result names the model used. Entries with fewer than
# two marks carry no agreement information and are left out. Meaning (Koo & Li 2016): < 0.5 poor,
# 0.5–0.75 moderate, 0.75–0.9 good, ≥ 0.9 excellent.
#
# Krippendorff's alpha, interval metric, handles any missing marks directly: 1 − D_o/D_e over
# the pairable values (units with ≥ 2 marks). Meaning (Krippendorff 2004): ≥ 0.8 reliable,
# 0.667–0.8 tentative, below unreliable.
#
# Severity of a judge: the mean, over the entries the judge marked that someone else marked too,
# of (the judge's mark − the mean of the other judges' marks on that entry). Leaving the judge
# out of the consensus keeps them from pulling it towards themselves; with two judges it is just
# the difference from the other. Negative is severe, positive lenient; beyond ``flag_fraction``
# of the scale (5 %) it is named, and below ``min_entries`` (5) it is "too_few_marks".

Ratings = Mapping[int, Mapping[int, Number | None]] | Sequence[Sequence[Number | None]]


def _table(ratings: Ratings) -> dict[object, dict[object, float]]:
    """Return {unit: {rater: mark}} from a mapping or a units × raters matrix (None/NaN missing)."""
    rows = ratings.items() if isinstance(ratings, Mapping) else enumerate(ratings)
    table: dict[object, dict[object, float]] = {}
    for unit, row in rows:
        cells = row.items() if isinstance(row, Mapping) else enumerate(row)
        marks = {}
        for rater, value in cells:
            if value is None:
                continue
            number = float(value)
            if math.isnan(number):
                continue
            marks[rater] = number
        table[unit] = marks
    return table


@dataclass(frozen=True)
class AgreementResult:
    """An agreement coefficient, the model used, its meaning key, and the data it rests on."""

    value: float | None
    model: str
    interpretation: str
    units: int
    raters: int
    values: int


def _icc_meaning(value: float | None) -> str:
    if value is None:
        return "undefined"
    if value >= 0.9:
        return "excellent"
    if value >= 0.75:
        return "good"
    if value >= 0.5:
        return "moderate"
    return "poor"


def icc(ratings: Ratings, *, model: str = "auto") -> AgreementResult:
    """Return the intraclass correlation of a round's marks.

    ``model``: "auto" (ICC(2,1) when complete, else ICC(1,1)), "ICC(2,1)" (refused when
    incomplete) or "ICC(1,1)". ``value`` is None when undefined (fewer than two entries with two
    marks, or no variance at all).
    """
    if model not in {"auto", "ICC(2,1)", "ICC(1,1)"}:
        raise ValueError(f"unknown ICC model {model!r}")
    table = {u: m for u, m in _table(ratings).items() if len(m) >= 2}
    raters = sorted({r for marks in table.values() for r in marks}, key=str)
    complete = all(len(m) == len(raters) for m in table.values())
    if model == "ICC(2,1)" and not complete:
        raise ValueError("ICC(2,1) needs every entry marked by every judge")
    use = "ICC(2,1)" if model == "ICC(2,1)" or (model == "auto" and complete) else "ICC(1,1)"
    count = sum(len(m) for m in table.values())
    value = None
    if len(table) >= 2:
        value = _icc21(table, raters) if use == "ICC(2,1)" else _icc11(table)
    return AgreementResult(value, use, _icc_meaning(value), len(table), len(raters), count)


def _icc21(table: dict, raters: list) -> float | None:
    y = np.array([[marks[r] for r in raters] for marks in table.values()], dtype=float)
    n, k = y.shape
    grand = y.mean()
    ss_rows = k * ((y.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((y.mean(axis=0) - grand) ** 2).sum()
    ss_error = ((y - grand) ** 2).sum() - ss_rows - ss_cols
    bms = ss_rows / (n - 1)
    jms = ss_cols / (k - 1)
    ems = ss_error / ((n - 1) * (k - 1))
    denominator = bms + (k - 1) * ems + k * (jms - ems) / n
    if denominator <= 1e-12:
        return None
    return float((bms - ems) / denominator)


def _icc11(table: dict) -> float | None:
    groups = [np.array(list(marks.values()), dtype=float) for marks in table.values()]
    n = len(groups)
    sizes = np.array([len(g) for g in groups], dtype=float)
    total = sizes.sum()
    grand = np.concatenate(groups).mean()
    means = np.array([g.mean() for g in groups])
    msb = (sizes * (means - grand) ** 2).sum() / (n - 1)
    msw = sum(((g - g.mean()) ** 2).sum() for g in groups) / (total - n)
    n0 = (total - (sizes**2).sum() / total) / (n - 1)
    denominator = msb + (n0 - 1) * msw
    if denominator <= 1e-12:
        return None
    return float((msb - msw) / denominator)


def _alpha_meaning(value: float | None) -> str:
    if value is None:
        return "undefined"
    if value >= 0.8:
        return "reliable"
    if value >= 0.667:
        return "tentative"
    return "unreliable"


def krippendorff_alpha(ratings: Ratings) -> AgreementResult:
    """Return Krippendorff's alpha with the interval metric; missing marks are simply absent."""
    table = {u: m for u, m in _table(ratings).items() if len(m) >= 2}
    raters = {r for marks in table.values() for r in marks}
    units = [np.array(list(m.values()), dtype=float) for m in table.values()]
    value = None
    n = sum(len(u) for u in units)
    if n >= 2:
        every = np.concatenate(units)
        # Σ over ordered pairs i≠j of (v_i − v_j)² = 2(m·Σv² − (Σv)²), per unit and overall.
        observed = sum(2 * (len(u) * (u**2).sum() - u.sum() ** 2) / (len(u) - 1) for u in units)
        expected = 2 * (n * (every**2).sum() - every.sum() ** 2)
        if expected > 1e-12:
            value = float(1 - (n - 1) * observed / expected)
    return AgreementResult(
        value, "alpha(interval)", _alpha_meaning(value), len(table), len(raters), n
    )


@dataclass(frozen=True)
class Severity:
    """A judge's mean deviation from the other judges on the same entries, and its meaning."""

    judge_id: int
    entries: int
    mean_deviation: float | None
    mean_mark: float | None
    interpretation: str  # "severe", "lenient", "in_line", "too_few_marks"


def judge_severity(
    ratings: Ratings,
    *,
    max_score: Number,
    flag_fraction: float = 0.05,
    min_entries: int = 5,
    leave_self_out: bool = True,
) -> dict[int, Severity]:
    """Return each judge's severity: mean (own mark − consensus) over the entries they marked.

    The consensus is the mean of the other judges' marks (``leave_self_out``, the default) or
    of all marks on the entry, the judge's own included.
    """
    table = _table(ratings)
    deviations: dict[object, list[float]] = defaultdict(list)
    own: dict[object, list[float]] = defaultdict(list)
    for marks in table.values():
        for judge, mark in marks.items():
            own[judge].append(mark)
        if len(marks) < 2:
            continue
        total, count = sum(marks.values()), len(marks)
        for judge, mark in marks.items():
            consensus = (total - mark) / (count - 1) if leave_self_out else total / count
            deviations[judge].append(mark - consensus)
    limit = flag_fraction * float(_dec(max_score, "max_score"))
    result = {}
    for judge in sorted(own, key=str):
        devs = deviations.get(judge, [])
        mean_dev = float(np.mean(devs)) if devs else None
        if len(devs) < min_entries:
            meaning = "too_few_marks"
        elif mean_dev <= -limit:
            meaning = "severe"
        elif mean_dev >= limit:
            meaning = "lenient"
        else:
            meaning = "in_line"
        result[judge] = Severity(judge, len(devs), mean_dev, float(np.mean(own[judge])), meaning)
    return result


@dataclass(frozen=True)
class AgreementReport:
    """A round's agreement report: ICC, alpha and per-judge severity, side by side."""

    icc: AgreementResult
    alpha: AgreementResult
    severity: Mapping[int, Severity]


def agreement_report(ratings: Ratings, *, max_score: Number) -> AgreementReport:
    """Return the chief judge's agreement report for one round's marks (entry → judge → mark)."""
    return AgreementReport(
        icc=icc(ratings),
        alpha=krippendorff_alpha(ratings),
        severity=judge_severity(ratings, max_score=max_score),
    )


# --------------------------------------------------------------------------------------------
# 4. Ranking and advancement
# --------------------------------------------------------------------------------------------
#
# Rules. Entries are ranked by resolved score, highest first. Equal scores share a rank and are
# flagged ``tied`` so results pages can say "đồng hạng". Competition ranking (1, 2, 2, 4) is the
# default because it is what prize lists use: two second places leave no third. Dense ranking
# (1, 2, 2, 3) is available. Scores are compared as Decimals (floats through ``str``, kept to 6
# decimal places) so 7.1 and 7.1000000001 from float arithmetic are the same score. Within a tie
# the order is by id, only to be stable; it means nothing.
#
# Advancement: the top N go through, and ties at the cut all go through — everyone whose
# competition rank is ≤ N, so the round may advance more than N. "Top N per school" applies the
# same cut inside each school. Entries without a final score must not be passed in.


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
    return _tidy(_dec(value, "score").quantize(_SNAP, ROUND_HALF_EVEN))


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
    for school in sorted(groups, key=_none_first):
        ranked = [r for r in rank(groups[school]) if r.rank <= top_n]
        advancing.extend(ranked)
        through_on_tie.extend(r.id for r in ranked[top_n:])
        if ranked:
            cuts[school] = ranked[-1].score
    advancing.sort(key=lambda r: (-r.score, r.id))
    return Advancement(top_n, tuple(r.id for r in advancing), tuple(through_on_tie), cuts)
