"""Assignment of judges to entries (``plan_assignment``): even loads, never one's own school.

Rules. Each entry gets ``k`` distinct judges (default 2). A judge never marks an entry written
at their own school (a judge without a school, e.g. a district specialist, may mark any entry),
and never an entry they declared a conflict with. Within those limits the loads (existing
assignments in the round plus the new ones) are as even as they can possibly be: the plan
minimises the sum of squared loads, which over the set of feasible load vectors (an M-convex
set: loads of a bipartite transportation problem) is the same as minimising the largest load
and maximising the smallest at once (A. Frank & K. Murota, "Discrete decreasing minimization,
Part I: base-polyhedra with applications in network optimization").
So max − min ≤ 1 holds whenever any assignment at all can reach it; when none can (one school
wrote almost every entry, or existing loads are already uneven) the plan says so in
``balance_notes`` and is still the most even possible. The only hard failure is an entry with
fewer than ``k`` eligible judges; ``AssignmentInfeasible`` lists every such case and why.

How. Entries that share a school and a set of conflicted judges are interchangeable, so they
form one group; a round of 5,000 entries from 30 schools is ~30 groups, not 5,000 rows. Groups
are water-filled onto the least-loaded eligible judges (at most one assignment per entry and
judge, i.e. at most ``len(group)`` per judge), then loads are evened out by moving units along
alternating judge → group → judge paths (a residual path in the flow network) from a heavier to
a lighter judge until no such path exists, which is the optimality condition. Finally each
group's per-judge quotas are dealt to its (shuffled) entries, giving each entry the ``k`` judges
with the largest remaining quota, random among equals (this always completes: a quota never
exceeds the entries left). Each judge's queue is then shuffled. All randomness comes from one
``random.Random(seed)``; the seed used is stored on the plan so a preview can be re-run exactly.

Just over 400 lines, most of them the proof-carrying comments of the min-cost plan.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from contests.judging.rules.eligibility import Conflict, Entry, Judge, conflict_pairs, may_judge
from contests.judging.rules.numbers import none_first


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


def seeded_random(seed: int | None) -> tuple[random.Random, int]:
    """A generator from ``seed`` (a fresh one if None) and the seed used, so a run can repeat."""
    if seed is None:
        seed = random.SystemRandom().randrange(2**32)
    return random.Random(seed), seed


def _check_unique(items: Sequence[Entry] | Sequence[Judge], what: str) -> None:
    counts = Counter(item.id for item in items)
    duplicates = sorted(i for i, n in counts.items() if n > 1)
    if duplicates:
        raise ValueError(f"duplicate {what} ids: {_ids_text(duplicates)}")


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
    rng, seed = seeded_random(seed)
    entries = sorted(entries, key=lambda e: e.id)
    judges = sorted(judges, key=lambda j: j.id)
    entry_ids = {e.id for e in entries}
    declared = {(j, e) for j, e in conflict_pairs(conflicts) if j in judge_ids and e in entry_ids}

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
            outside = [i for i, j in enumerate(judges) if may_judge(j, entry.school_id)]
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
            short.items(), key=lambda item: (item[0][0], none_first(item[0][1]))
        )
    ]


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
