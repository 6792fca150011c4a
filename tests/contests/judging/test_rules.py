"""The judging rules engine: assignment, disagreement resolution, agreement, ranking.

Plain pytest: the engine is pure, so no app, no database.
"""

from __future__ import annotations

import itertools
from collections import Counter
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from contests.judging.rules import (
    AssignmentInfeasible,
    Conflict,
    DisagreementRules,
    Entry,
    Judge,
    NoEligibleJudge,
    Outcome,
    ReassignReason,
    advance,
    agreement_report,
    icc,
    judge_severity,
    krippendorff_alpha,
    pick_third_judge,
    plan_assignment,
    rank,
    reassign,
    resolve,
    resolve_entry,
)
from contests.judging.rules.agreement import _icc_meaning

# --------------------------------------------------------------------------------------------
# Assignment
# --------------------------------------------------------------------------------------------


def district_judges(n: int, start: int = 100) -> list[Judge]:
    return [Judge(start + i) for i in range(n)]


def test_plan_assignment_gives_each_entry_k_distinct_judges():
    entries = [Entry(i, school_id=i % 3) for i in range(30)]
    judges = [Judge(100 + j, school_id=j % 3) for j in range(9)]

    plan = plan_assignment(entries, judges, k=2, seed=1)

    assert sorted(plan.assignments) == list(range(30))
    assert all(len(set(js)) == 2 for js in plan.assignments.values())
    assert len(plan.pairs()) == 60


def test_plan_assignment_never_gives_a_judge_their_own_school():
    entries = [Entry(i, school_id=i % 3) for i in range(30)]
    judges = [Judge(100 + j, school_id=j % 3) for j in range(9)]
    school = {j.id: j.school_id for j in judges}

    plan = plan_assignment(entries, judges, k=2, seed=1)

    assert all(school[j] != e % 3 for e, js in plan.assignments.items() for j in js)
    assert plan.same_school_avoided == 30 * 3


def test_plan_assignment_honours_declared_conflicts():
    entries = [Entry(i) for i in range(4)]
    judges = district_judges(3)
    conflicts = [Conflict(100, 0), Conflict(101, 0), (100, 1), Conflict(999, 0), Conflict(100, 77)]

    plan = plan_assignment(entries, judges, k=1, conflicts=conflicts, seed=3)

    assert plan.assignments[0] == (102,)
    assert 100 not in plan.assignments[1]
    # Conflicts naming a judge or an entry outside the plan are not counted.
    assert plan.conflicts_avoided == 3


def test_plan_assignment_balances_loads_exactly():
    plan = plan_assignment([Entry(i) for i in range(100)], district_judges(10), k=2, seed=5)

    assert set(plan.loads.values()) == {20}
    assert plan.balanced is True
    assert plan.balance_notes == ()


def test_plan_assignment_balances_to_within_one_when_not_divisible():
    entries = [Entry(i, school_id=i % 4) for i in range(101)]
    judges = [Judge(100 + j, school_id=j % 5) for j in range(7)]

    plan = plan_assignment(entries, judges, k=2, seed=5)

    assert sorted(Counter(plan.loads.values()).items()) == [(28, 1), (29, 6)]


def test_plan_assignment_counts_existing_loads():
    entries = [Entry(i) for i in range(6)]
    judges = district_judges(3)

    plan = plan_assignment(entries, judges, k=2, existing={100: 6}, seed=2)

    assert plan.new_loads == {100: 0, 101: 6, 102: 6}
    assert plan.loads == {100: 6, 101: 6, 102: 6}


def test_plan_assignment_queues_hold_exactly_the_assigned_entries():
    plan = plan_assignment([Entry(i) for i in range(50)], district_judges(6), k=3, seed=9)

    for judge_id, queue in plan.queues.items():
        assert sorted(queue) == sorted(e for e, js in plan.assignments.items() if judge_id in js)


def test_plan_assignment_same_seed_gives_same_plan():
    entries = [Entry(i, school_id=i % 5) for i in range(200)]
    judges = [Judge(100 + j, school_id=j % 5) for j in range(12)]

    first = plan_assignment(entries, judges, seed=42)
    again = plan_assignment(list(reversed(entries)), list(reversed(judges)), seed=42)
    other = plan_assignment(entries, judges, seed=43)

    assert first == again
    assert first.seed == 42
    assert first.queues != other.queues


def test_plan_assignment_records_the_seed_it_drew():
    plan = plan_assignment([Entry(i) for i in range(10)], district_judges(4))

    assert (
        plan_assignment([Entry(i) for i in range(10)], district_judges(4), seed=plan.seed) == plan
    )


def test_plan_assignment_queue_order_is_shuffled():
    plan = plan_assignment([Entry(i) for i in range(100)], district_judges(2), k=2, seed=1)

    assert sorted(plan.queues[100]) == list(range(100))
    assert list(plan.queues[100]) != list(range(100))
    assert plan.queues[100] != plan.queues[101]


def test_plan_assignment_mixes_judge_pairs():
    # Fixed pairs (judge A always with judge B) would make judges' severity impossible to
    # separate and would let a pair of lenient judges decide a block of entries.
    plan = plan_assignment([Entry(i) for i in range(200)], district_judges(10), k=2, seed=4)

    assert len(set(plan.assignments.values())) >= 30


def test_plan_assignment_preview_summarises_the_plan():
    entries = [Entry(i, school_id=1) for i in range(3)]
    judges = [Judge(100, school_id=1), Judge(101), Judge(102)]

    preview = plan_assignment(entries, judges, k=1, conflicts=[(101, 0)], seed=8).preview()

    assert preview == {
        "entries": 3,
        "judges": 3,
        "k": 1,
        "seed": 8,
        "min_load": 0,
        "max_load": 2,
        "balanced": False,
        "balance_notes": ["own_school_entries_limit_judges"],
        "same_school_avoided": 3,
        "conflicts_avoided": 1,
        "loads": {100: 0, 101: 1, 102: 2},
    }


def test_plan_assignment_of_no_entries_is_empty():
    plan = plan_assignment([], district_judges(3), seed=1)

    assert plan.assignments == {}
    assert plan.loads == {100: 0, 101: 0, 102: 0}
    assert plan.balanced is True


def test_plan_assignment_infeasible_lists_schools_with_too_few_outside_judges():
    entries = [Entry(1, school_id=7), Entry(2, school_id=7), Entry(3, school_id=8)]
    judges = [Judge(100, school_id=7), Judge(101, school_id=7), Judge(102, school_id=8)]

    with pytest.raises(AssignmentInfeasible) as caught:
        plan_assignment(entries, judges, k=2, seed=1)

    # School 8's entry has judges 100 and 101 (school 7): only school 7 falls short.
    shortfalls = caught.value.shortfalls
    assert [(s.reason, s.school_id, s.entry_ids, s.eligible, s.needed) for s in shortfalls] == [
        ("too_few_judges_outside_school", 7, (1, 2), 1, 2),
    ]
    assert str(caught.value) == (
        "cannot give every entry enough judges: 2 entries from school 7 (1, 2): "
        "1 eligible judge(s), 2 needed; 1 judge(s) outside the school"
    )


def test_plan_assignment_infeasible_names_conflicts_that_take_the_last_judges():
    entries = [Entry(1, school_id=7), Entry(2, school_id=7)]
    judges = [Judge(100, school_id=7), Judge(101), Judge(102, school_id=8)]

    with pytest.raises(AssignmentInfeasible) as caught:
        plan_assignment(entries, judges, k=2, conflicts=[(101, 2)], seed=1)

    (shortfall,) = caught.value.shortfalls
    assert shortfall.reason == "too_few_judges_after_conflicts"
    assert shortfall.entry_ids == (2,)
    assert shortfall.conflicted_judge_ids == (101,)
    assert shortfall.judges_outside_school == 2


def test_plan_assignment_reports_when_balance_is_out_of_reach():
    # Nine of ten entries come from school 1: its judge can only mark the tenth.
    entries = [Entry(i, school_id=1 if i < 9 else 2) for i in range(10)]
    judges = [Judge(100, school_id=1), Judge(101), Judge(102)]

    plan = plan_assignment(entries, judges, k=2, seed=1)

    assert plan.loads == {100: 1, 101: 10, 102: 9} or plan.loads == {100: 1, 101: 9, 102: 10}
    assert plan.balanced is False
    assert plan.balance_notes == ("own_school_entries_limit_judges",)


def test_plan_assignment_reports_uneven_existing_loads():
    plan = plan_assignment([Entry(1)], district_judges(2), k=1, existing={100: 5}, seed=1)

    assert plan.loads == {100: 5, 101: 1}
    assert plan.balance_notes == ("existing_loads_uneven",)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k": 0}, "k must be at least 1"),
        ({"existing": {999: 1}}, "existing loads given for judges not in the pool: 999"),
    ],
)
def test_plan_assignment_refuses_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plan_assignment([Entry(1)], district_judges(3), **kwargs)


def test_plan_assignment_refuses_duplicate_ids():
    with pytest.raises(ValueError, match="duplicate entry ids: 1"):
        plan_assignment([Entry(1), Entry(1)], district_judges(3))
    with pytest.raises(ValueError, match="duplicate judge ids: 100"):
        plan_assignment([Entry(1)], [Judge(100), Judge(100)])


# --- reassign and third judge -------------------------------------------------------------


ACTIVE = [Judge(1, school_id=10), Judge(2, school_id=20), Judge(3, school_id=30), Judge(4)]
RESERVES = [Judge(8, school_id=10), Judge(9)]


def test_reassign_conflict_goes_to_least_loaded_eligible_active_judge():
    entry = Entry(50, school_id=10)

    pick = reassign(
        entry,
        2,
        judges=ACTIVE,
        reserves=RESERVES,
        on_entry=[3],
        loads={1: 0, 2: 5, 3: 1, 4: 4},
        seed=1,
    )

    # 1 is the author's school, 2 is leaving, 3 already marks it: 4 is the only one left.
    assert (pick.judge_id, pick.pool, pick.reason) == (4, "active", "reassigned_conflict")
    assert pick.loads == {1: 0, 2: 4, 3: 1, 4: 5}


def test_reassign_conflict_picks_the_lightest_among_several():
    pick = reassign(
        Entry(50, school_id=99), 1, judges=ACTIVE, loads={1: 3, 2: 3, 3: 1, 4: 2}, seed=1
    )

    assert pick.judge_id == 3


def test_reassign_conflict_falls_back_to_reserves():
    pick = reassign(
        Entry(50, school_id=10), 2, judges=ACTIVE, reserves=RESERVES, on_entry=[3, 4], seed=1
    )

    assert (pick.judge_id, pick.pool) == (9, "reserve")


def test_reassign_overdue_prefers_reserve_judges():
    pick = reassign(
        Entry(50, school_id=30),
        2,
        judges=ACTIVE,
        reserves=RESERVES,
        loads={8: 3, 9: 1, 1: 0},
        reason=ReassignReason.OVERDUE,
        seed=1,
    )

    assert (pick.judge_id, pick.pool, pick.reason) == (9, "reserve", "reassigned_overdue")


def test_reassign_honours_declared_conflicts_and_explains_failure():
    entry = Entry(50, school_id=10)

    with pytest.raises(NoEligibleJudge) as caught:
        reassign(entry, 2, judges=ACTIVE, on_entry=[3], conflicts=[Conflict(4, 50)], seed=1)

    assert caught.value.entry_id == 50
    assert caught.value.excluded == {
        "same_school": 1,
        "already_on_entry": 2,
        "declared_conflict": 1,
    }


def test_reassign_breaks_ties_by_seed():
    picks = {reassign(Entry(50), 1, judges=ACTIVE, seed=seed).judge_id for seed in range(30)}

    assert picks == {2, 3, 4}
    assert reassign(Entry(50), 1, judges=ACTIVE, seed=7) == reassign(
        Entry(50), 1, judges=ACTIVE, seed=7
    )


def test_pick_third_judge_takes_least_loaded_outside_first_judges():
    pick = pick_third_judge(
        Entry(50, school_id=20),
        first_judges=[1, 4],
        judges=ACTIVE,
        reserves=RESERVES,
        loads={1: 0, 2: 0, 3: 2, 4: 0},
        seed=1,
    )

    assert (pick.judge_id, pick.pool, pick.reason) == (3, "active", "third_judge")
    assert pick.loads == {1: 0, 2: 0, 3: 3, 4: 0}


def test_pick_third_judge_uses_a_reserve_when_no_active_judge_is_free():
    pick = pick_third_judge(
        Entry(50, school_id=20),
        first_judges=[1, 4],
        judges=ACTIVE,
        reserves=RESERVES,
        conflicts=[(3, 50)],
        loads={8: 2, 9: 2},
        seed=3,
    )

    assert pick.pool == "reserve"
    assert pick.judge_id in {8, 9}


def test_pick_third_judge_fails_when_nobody_is_eligible():
    with pytest.raises(NoEligibleJudge, match="no eligible judge for entry 50"):
        pick_third_judge(Entry(50, school_id=20), first_judges=[1, 3, 4], judges=ACTIVE)


# --- properties -------------------------------------------------------------------------


@st.composite
def small_rounds(draw):
    n_schools = draw(st.integers(1, 3))
    school = st.one_of(st.none(), st.integers(0, n_schools - 1))
    entries = [Entry(i, draw(school)) for i in range(draw(st.integers(0, 5)))]
    judges = [Judge(100 + j, draw(school)) for j in range(draw(st.integers(1, 4)))]
    k = draw(st.integers(1, 2))
    pairs = [(j.id, e.id) for j in judges for e in entries]
    conflicts = draw(st.lists(st.sampled_from(pairs), max_size=3, unique=True)) if pairs else []
    existing = {j.id: draw(st.integers(0, 2)) for j in judges if draw(st.booleans())}
    seed = draw(st.integers(0, 2**32 - 1))
    return entries, judges, k, conflicts, existing, seed


def eligible_sets(entries, judges, k, conflicts):
    blocked = set(conflicts)
    result = []
    for e in entries:
        ok = [
            j.id
            for j in judges
            if (j.school_id is None or e.school_id is None or j.school_id != e.school_id)
            and (j.id, e.id) not in blocked
        ]
        result.append(list(itertools.combinations(ok, k)))
    return result


def reachable_loads(entries, judges, k, conflicts, existing):
    """Every load vector any valid assignment reaches (brute force, small rounds only)."""
    ids = [j.id for j in judges]
    states = {tuple(existing.get(i, 0) for i in ids)}
    for choices in eligible_sets(entries, judges, k, conflicts):
        states = {
            tuple(load + (ids[p] in chosen) for p, load in enumerate(state))
            for state in states
            for chosen in choices
        }
    return states


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_rounds())
def test_plan_assignment_properties(round_):
    entries, judges, k, conflicts, existing, seed = round_
    school_of_judge = {j.id: j.school_id for j in judges}
    feasible = all(eligible_sets(entries, judges, k, conflicts))

    try:
        plan = plan_assignment(
            entries, judges, k, existing=existing, conflicts=conflicts, seed=seed
        )
    except AssignmentInfeasible as error:
        assert not feasible
        short = {e for s in error.shortfalls for e in s.entry_ids}
        assert short == {
            e.id
            for e, choices in zip(
                entries, eligible_sets(entries, judges, k, conflicts), strict=True
            )
            if not choices
        }
        return

    assert feasible
    for entry in entries:
        chosen = plan.assignments[entry.id]
        assert len(set(chosen)) == k == len(chosen)
        for judge_id in chosen:
            school = school_of_judge[judge_id]
            assert school is None or entry.school_id is None or school != entry.school_id
            assert (judge_id, entry.id) not in set(conflicts)
    counted = Counter(j for js in plan.assignments.values() for j in js)
    assert plan.loads == {j.id: existing.get(j.id, 0) + counted[j.id] for j in judges}
    # Most even possible: the least sum of squares, hence also the least max − min, of all
    # valid assignments; max − min ≤ 1 whenever some valid assignment reaches it.
    reachable = reachable_loads(entries, judges, k, conflicts, existing)
    loads = tuple(plan.loads[j.id] for j in judges)
    assert sum(x * x for x in loads) == min(sum(x * x for x in s) for s in reachable)
    assert max(loads) - min(loads) == min(max(s) - min(s) for s in reachable)
    assert plan.balanced == any(max(s) - min(s) <= 1 for s in reachable)
    assert plan == plan_assignment(
        entries, judges, k, existing=existing, conflicts=conflicts, seed=seed
    )


def max_flow(entries, judges, k, conflicts, judge_caps):
    """Max number of (entry, judge) units with ≤ k per entry, one per pair, ≤ cap per judge.

    A plain Edmonds–Karp on the entry-level network, independent of the engine's grouping.
    """
    blocked = set(conflicts)
    graph: dict[object, dict[object, int]] = {"s": {}, "t": {}}

    def edge(u, v, cap):
        graph.setdefault(u, {})[v] = graph.get(u, {}).get(v, 0) + cap
        graph.setdefault(v, {}).setdefault(u, 0)

    for e in entries:
        edge("s", ("e", e.id), k)
        for j in judges:
            ok = j.school_id is None or e.school_id is None or j.school_id != e.school_id
            if ok and (j.id, e.id) not in blocked:
                edge(("e", e.id), ("j", j.id), 1)
    for j in judges:
        edge(("j", j.id), "t", max(0, judge_caps[j.id]))
    total = 0
    while True:
        parent = {"s": None}
        queue = ["s"]
        for u in queue:
            for v, cap in graph[u].items():
                if cap > 0 and v not in parent:
                    parent[v] = u
                    queue.append(v)
        if "t" not in parent:
            return total
        v = "t"
        while parent[v] is not None:
            u = parent[v]
            graph[u][v] -= 1
            graph[v][u] += 1
            v = u
        total += 1


@st.composite
def medium_rounds(draw):
    n_schools = draw(st.integers(2, 4))
    school = st.one_of(st.none(), st.integers(0, n_schools - 1))
    weights = draw(st.lists(st.integers(1, 6), min_size=n_schools, max_size=n_schools))
    pool = [s for s, w in enumerate(weights) for _ in range(w)]
    entries = [Entry(i, draw(st.sampled_from(pool))) for i in range(draw(st.integers(5, 40)))]
    judges = [Judge(100 + j, draw(school)) for j in range(draw(st.integers(3, 9)))]
    k = draw(st.integers(1, 3))
    pairs = [(j.id, e.id) for j in judges for e in entries]
    conflicts = draw(st.lists(st.sampled_from(pairs), max_size=15, unique=True))
    existing = {j.id: draw(st.integers(0, 6)) for j in judges if draw(st.booleans())}
    return entries, judges, k, conflicts, existing, draw(st.integers(0, 99))


@settings(max_examples=60, deadline=None)
@given(medium_rounds())
def test_plan_assignment_max_and_min_loads_are_optimal(round_):
    entries, judges, k, conflicts, existing, seed = round_
    try:
        plan = plan_assignment(
            entries, judges, k, existing=existing, conflicts=conflicts, seed=seed
        )
    except AssignmentInfeasible:
        assert max_flow(entries, judges, k, conflicts, {j.id: 10**6 for j in judges}) < k * len(
            entries
        )
        return
    ex = {j.id: existing.get(j.id, 0) for j in judges}
    # No assignment keeps every judge one below the plan's largest load (unless that load is
    # an existing one, which no plan can lower)…
    if plan.max_load > max(ex.values()):
        lower_max = {j.id: plan.max_load - 1 - ex[j.id] for j in judges}
        assert max_flow(entries, judges, k, conflicts, lower_max) < k * len(entries)
    # …and none lifts every judge one above the plan's smallest load.
    lift = {j.id: max(0, plan.min_load + 1 - ex[j.id]) for j in judges}
    assert max_flow(entries, judges, k, conflicts, lift) < sum(lift.values())


@st.composite
def picks(draw):
    school = st.one_of(st.none(), st.integers(0, 2))
    judges = [Judge(j, draw(school)) for j in range(1, draw(st.integers(1, 6)) + 1)]
    reserves = [Judge(j, draw(school)) for j in range(50, 50 + draw(st.integers(0, 3)))]
    everyone = [j.id for j in judges + reserves]
    entry = Entry(1000, draw(school))
    on_entry = draw(st.lists(st.sampled_from(everyone), max_size=2, unique=True))
    conflicts = [(j, 1000) for j in draw(st.lists(st.sampled_from(everyone), max_size=2))]
    loads = {j: draw(st.integers(0, 4)) for j in everyone}
    return entry, judges, reserves, on_entry, conflicts, loads, draw(st.integers(0, 99))


def eligible_in(pool, entry, exclude, conflicts):
    return [
        j
        for j in pool
        if j.id not in exclude
        and (j.school_id is None or entry.school_id is None or j.school_id != entry.school_id)
        and (j.id, entry.id) not in set(conflicts)
    ]


@settings(max_examples=200, deadline=None)
@given(picks(), st.sampled_from(list(ReassignReason)))
def test_reassign_and_third_judge_properties(case, reason):
    entry, judges, reserves, on_entry, conflicts, loads, seed = case
    judge_out = judges[0].id
    pools = {"active": judges, "reserve": reserves}
    order = ["reserve", "active"] if reason is ReassignReason.OVERDUE else ["active", "reserve"]
    calls = [
        (
            lambda: reassign(
                entry,
                judge_out,
                judges=judges,
                reserves=reserves,
                on_entry=on_entry,
                loads=loads,
                conflicts=conflicts,
                reason=reason,
                seed=seed,
            ),
            set(on_entry) | {judge_out},
            order,
        ),
        (
            lambda: pick_third_judge(
                entry,
                first_judges=on_entry,
                judges=judges,
                reserves=reserves,
                loads=loads,
                conflicts=conflicts,
                seed=seed,
            ),
            set(on_entry),
            ["active", "reserve"],
        ),
    ]
    for call, exclude, pool_order in calls:
        candidates = [
            (name, eligible_in(pools[name], entry, exclude, conflicts)) for name in pool_order
        ]
        first = next(((name, c) for name, c in candidates if c), None)
        if first is None:
            with pytest.raises(NoEligibleJudge):
                call()
            continue
        pick = call()
        name, eligible = first
        # Conflict-free, never the same school, from the first pool that has anyone, and the
        # least loaded there; the same seed gives the same pick.
        assert pick.pool == name
        assert pick.judge_id in {j.id for j in eligible}
        assert loads[pick.judge_id] == min(loads[j.id] for j in eligible)
        assert pick.loads[pick.judge_id] == loads[pick.judge_id] + 1
        assert call() == pick


@settings(max_examples=50, deadline=None)
@given(
    n_entries=st.integers(0, 300),
    per_school=st.integers(1, 3),
    n_schools=st.integers(3, 8),
    k=st.integers(1, 3),
    seed=st.integers(0, 1000),
)
def test_plan_assignment_balanced_when_schools_share_evenly(
    n_entries, per_school, n_schools, k, seed
):
    # Entries and judges spread evenly over the schools: balance is always reachable.
    assume(k <= per_school * (n_schools - 1))
    entries = [Entry(i, i % n_schools) for i in range(n_entries)]
    judges = [Judge(100 + j, j % n_schools) for j in range(per_school * n_schools)]

    plan = plan_assignment(entries, judges, k, seed=seed)

    assert plan.max_load - plan.min_load <= 1
    assert sum(plan.new_loads.values()) == k * n_entries


# --------------------------------------------------------------------------------------------
# Disagreement resolution
# --------------------------------------------------------------------------------------------

D = Decimal


@pytest.mark.parametrize(
    ("marks", "outcome", "value", "reason"),
    [
        # Two marks on 10 points: < 1.0 mean, 1.0–1.5 reconcile, > 1.5 third judge.
        ((7, 7), Outcome.MEAN, D("7"), "gap_below_mean_limit"),
        ((7, 7.75), Outcome.MEAN, D("7.38"), "gap_below_mean_limit"),
        ((8, 7.25), Outcome.MEAN, D("7.63"), "gap_below_mean_limit"),
        ((7, 8), Outcome.RECONCILE, None, "gap_in_reconcile_band"),  # exactly 10 %
        ((7, 8.25), Outcome.RECONCILE, None, "gap_in_reconcile_band"),
        ((7, 8.5), Outcome.RECONCILE, None, "gap_in_reconcile_band"),  # exactly 15 %
        ((8.5, 7), Outcome.RECONCILE, None, "gap_in_reconcile_band"),
        ((7, 8.75), Outcome.THIRD_JUDGE, None, "gap_above_reconcile_limit"),
        ((0, 10), Outcome.THIRD_JUDGE, None, "gap_above_reconcile_limit"),
        # Floats: float noise snaps to the 0.25 grid, so the boundaries hold exactly.
        ((6.1 + 0.9, 8.000000000001), Outcome.RECONCILE, None, "gap_in_reconcile_band"),
        ((7.0, 7.999999999999), Outcome.RECONCILE, None, "gap_in_reconcile_band"),
        ((0.1 * 3 + 6.7, 8.5), Outcome.RECONCILE, None, "gap_in_reconcile_band"),
        (("7.25", D("8.25")), Outcome.RECONCILE, None, "gap_in_reconcile_band"),
        # Three marks: two agree → that mark; spread ≤ 2.5 → mean; else chief judge.
        ((6, 6, 9), Outcome.AGREED, D("6"), "two_agree"),
        ((9, 5.5, 5.5), Outcome.AGREED, D("5.5"), "two_agree"),
        ((7, 7, 7), Outcome.AGREED, D("7"), "all_agree"),
        ((6, 7, 8.5), Outcome.MEAN_OF_THREE, D("7.17"), "spread_within_limit"),  # exactly 25 %
        ((6, 7, 8.25), Outcome.MEAN_OF_THREE, D("7.08"), "spread_within_limit"),
        ((6, 7, 8.75), Outcome.CHIEF_JUDGE, None, "spread_above_limit"),
        ((6.0, 7.0, 8.500000000001), Outcome.MEAN_OF_THREE, D("7.17"), "spread_within_limit"),
        # One mark (k = 1 rounds).
        ((6.5,), Outcome.SINGLE, D("6.5"), "single_mark"),
    ],
)
def test_resolve_on_ten_points(marks, outcome, value, reason):
    resolution = resolve(marks, max_score=10)

    assert (resolution.outcome, resolution.value, resolution.reason) == (outcome, value, reason)
    assert resolution.final == (value is not None)


@pytest.mark.parametrize(
    ("marks", "max_score", "outcome"),
    [
        # 100 points, marks in steps of 1: 10, 15, 25 points.
        ((60, 69), 100, Outcome.MEAN),
        ((60, 70), 100, Outcome.RECONCILE),
        ((60, 75), 100, Outcome.RECONCILE),
        ((60, 76), 100, Outcome.THIRD_JUDGE),
        ((60, 70, 85), 100, Outcome.MEAN_OF_THREE),
        ((60, 70, 86), 100, Outcome.CHIEF_JUDGE),
        # A 2-point criterion: 0.2, 0.3, 0.5 → quarter marks 0.25 apart already reconcile.
        ((1, 1.25), 2, Outcome.RECONCILE),
        ((1, 1.5), 2, Outcome.THIRD_JUDGE),
        ((1, 1.25, 1.5), 2, Outcome.MEAN_OF_THREE),
        ((1, 1.25, 1.75), 2, Outcome.CHIEF_JUDGE),
        # A 20-point total: 2, 3, 5.
        ((10, 11.75), 20, Outcome.MEAN),
        ((10, 12), 20, Outcome.RECONCILE),
        ((10, 13), 20, Outcome.RECONCILE),
        ((10, 13.25), 20, Outcome.THIRD_JUDGE),
        ((10, 12, 15), 20, Outcome.MEAN_OF_THREE),
        ((10, 12, 15.25), 20, Outcome.CHIEF_JUDGE),
    ],
)
def test_resolve_uses_fractions_of_the_scale(marks, max_score, outcome):
    rules = DisagreementRules(mark_step=D(1)) if max_score == 100 else DisagreementRules()

    assert resolve(marks, max_score=max_score, rules=rules).outcome == outcome


def test_resolve_reports_gap_and_spread():
    assert resolve([7, 8.5], max_score=10).difference == D("1.5")
    assert resolve([6, 7, 8.75], max_score=10).difference == D("2.75")


def test_resolve_with_agreement_tolerance_takes_the_agreeing_pair():
    rules = DisagreementRules(agree_within=0.25)

    assert resolve([7, 7.25, 9.75], max_score=10, rules=rules).value == D("7.13")
    assert resolve([7, 7.25, 9.75], max_score=10, rules=rules).outcome == Outcome.AGREED
    # A chain (two different pairs agree) is no single agreement: the spread decides.
    chain = resolve([7, 7.25, 7.5], max_score=10, rules=rules)
    assert (chain.outcome, chain.value) == (Outcome.MEAN_OF_THREE, D("7.25"))


def test_resolve_with_configured_thresholds():
    rules = DisagreementRules(mean_below=0.05, reconcile_up_to=0.1, spread_up_to=0.2)

    assert resolve([7, 7.25], max_score=10, rules=rules).outcome == Outcome.MEAN
    assert resolve([7, 7.5], max_score=10, rules=rules).outcome == Outcome.RECONCILE
    assert resolve([7, 8], max_score=10, rules=rules).outcome == Outcome.RECONCILE
    assert resolve([7, 8.25], max_score=10, rules=rules).outcome == Outcome.THIRD_JUDGE
    assert resolve([6, 7, 8], max_score=10, rules=rules).outcome == Outcome.MEAN_OF_THREE
    assert resolve([6, 7, 8.25], max_score=10, rules=rules).outcome == Outcome.CHIEF_JUDGE


def test_resolve_rounds_means_to_the_value_step():
    rules = DisagreementRules(value_step=D("0.25"))

    assert resolve([7, 7.75], max_score=10, rules=rules).value == D("7.5")  # 7.375
    assert resolve([7, 7.25], max_score=10, rules=rules).value == D("7.25")  # 7.125
    assert resolve([6, 6.5, 8], max_score=10, rules=rules).value == D("6.75")  # 6.833…


def test_resolve_without_grid_keeps_any_mark():
    rules = DisagreementRules(mark_step=None)

    resolution = resolve([7.1, 8.1], max_score=10, rules=rules)

    assert (resolution.outcome, resolution.difference) == (Outcome.RECONCILE, D("1"))


@pytest.mark.parametrize(
    ("marks", "message"),
    [
        ((7.1, 8), "mark 7.1 is not a multiple of 0.25"),
        ((10.25, 8), "mark 10.25 is outside 0–10"),
        ((-0.25, 8), "outside"),
        ((float("nan"), 8), "mark must be a finite number"),
        (("bảy", 8), "mark must be a number"),
        ((), "the rule takes one to three marks, not 0"),
        ((5, 6, 7, 8), "the rule takes one to three marks, not 4"),
    ],
)
def test_resolve_refuses_bad_marks(marks, message):
    with pytest.raises(ValueError, match=message):
        resolve(marks, max_score=10)


def test_disagreement_rules_refuse_inverted_thresholds():
    with pytest.raises(ValueError, match="mean_below ≤ reconcile_up_to"):
        DisagreementRules(mean_below=0.2, reconcile_up_to=0.1)


CRITERIA = {"content": 4, "language": 3, "creativity": 3}


def test_resolve_entry_means_when_total_and_criteria_are_close():
    marks = {
        1: {"content": 3, "language": 2.5, "creativity": 2},
        2: {"content": 3.25, "language": 2.5, "creativity": 2},
    }

    result = resolve_entry(marks, criteria_max=CRITERIA)

    assert (result.outcome, result.value, result.reason) == (
        Outcome.MEAN,
        D("7.63"),
        "total.gap_below_mean_limit",
    )
    assert result.criteria["content"].value == D("3.13")


def test_resolve_entry_criterion_gap_never_calls_a_third_judge():
    # Totals 7.0 and 7.0 agree, but the judges swapped points between criteria (issue 13:
    # the bands apply to the total only; a criterion gap is shown, never escalated).
    marks = {
        1: {"content": 4, "language": 1.5, "creativity": 1.5},
        2: {"content": 2.5, "language": 2.5, "creativity": 2},
    }

    result = resolve_entry(marks, criteria_max=CRITERIA)

    assert (result.outcome, result.value, result.reason) == (
        Outcome.MEAN,
        D("7"),
        "total.gap_below_mean_limit",
    )
    assert result.criteria["content"].outcome == Outcome.THIRD_JUDGE
    assert result.criterion_gaps == ("content", "language", "creativity")


def test_resolve_entry_half_point_on_a_three_point_criterion_stands():
    # 0.5 on a 3-point criterion is 16.7 %: alone it once sent about half of all entries on.
    marks = {
        1: {"content": 3, "language": 2.5, "creativity": 2},
        2: {"content": 3, "language": 2, "creativity": 2},
    }

    result = resolve_entry(marks, criteria_max=CRITERIA)

    assert (result.outcome, result.value) == (Outcome.MEAN, D("7.25"))
    assert result.criterion_gaps == ("language",)


def test_resolve_entry_reconcile_band_names_the_criterion_gaps():
    marks = {
        1: {"content": 4, "language": 2, "creativity": 2},
        2: {"content": 2.75, "language": 2, "creativity": 2},
    }

    result = resolve_entry(marks, criteria_max=CRITERIA)

    assert (result.outcome, result.reason) == (Outcome.RECONCILE, "total.gap_in_reconcile_band")
    assert result.criterion_gaps == ("content",)


def test_resolve_entry_total_gap_calls_a_third_judge():
    marks = {
        1: {"content": 4, "language": 3, "creativity": 2},
        2: {"content": 3, "language": 2, "creativity": 2},
    }

    result = resolve_entry(marks, criteria_max=CRITERIA)

    assert (result.outcome, result.reason) == (
        Outcome.THIRD_JUDGE,
        "total.gap_above_reconcile_limit",
    )


def test_resolve_entry_with_three_judges_and_a_scaled_total():
    marks = {
        1: {"content": 3, "language": 2, "creativity": 2},
        2: {"content": 3, "language": 2, "creativity": 2},
        3: {"content": 1, "language": 2, "creativity": 2},
    }

    result = resolve_entry(marks, criteria_max=CRITERIA, total_max=20)

    assert (result.outcome, result.value, result.reason) == (
        Outcome.AGREED,
        D("7"),
        "total.two_agree",
    )


def test_resolve_entry_refuses_a_missing_criterion():
    with pytest.raises(ValueError, match="judge 2 must mark exactly the rubric's criteria"):
        resolve_entry(
            {1: {"content": 3, "language": 2, "creativity": 2}, 2: {"content": 3}},
            criteria_max=CRITERIA,
        )


# --------------------------------------------------------------------------------------------
# Agreement statistics
# --------------------------------------------------------------------------------------------

#: Shrout & Fleiss (1979), Table 2: six targets rated by four judges.
SHROUT_FLEISS = [
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
]

#: Krippendorff (2011), "Computing Krippendorff's alpha-reliability", the example with missing
#: values: four observers (rows) × twelve units (columns).
_ = None
KRIPPENDORFF = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
    [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
]
KRIPPENDORFF_UNITS = [list(column) for column in zip(*KRIPPENDORFF, strict=True)]


def test_icc_on_shrout_fleiss_data_is_icc21_029():
    result = icc(SHROUT_FLEISS)

    assert result.model == "ICC(2,1)"
    assert round(result.value, 2) == 0.29
    assert result.value == pytest.approx(0.28976, abs=1e-5)
    assert (result.interpretation, result.units, result.raters, result.values) == (
        "poor",
        6,
        4,
        24,
    )


def test_icc11_on_shrout_fleiss_data_is_017():
    result = icc(SHROUT_FLEISS, model="ICC(1,1)")

    assert result.model == "ICC(1,1)"
    assert round(result.value, 2) == 0.17


def test_icc_accepts_entry_to_judge_mappings():
    ratings = {
        entry: {judge: mark for judge, mark in enumerate(row)}
        for entry, row in enumerate(SHROUT_FLEISS)
    }

    assert icc(ratings).value == pytest.approx(icc(SHROUT_FLEISS).value)


def test_icc_on_an_incomplete_design_uses_the_one_way_model():
    ratings = [row[:] for row in SHROUT_FLEISS]
    ratings[0][3] = None

    result = icc(ratings)

    assert result.model == "ICC(1,1)"
    assert result.values == 23
    with pytest.raises(ValueError, match="ICC\\(2,1\\) needs every entry marked by every judge"):
        icc(ratings, model="ICC(2,1)")


def test_icc_one_way_with_unequal_groups_uses_n0():
    # Two entries marked twice, one three times; grand mean 6, entry means 3, 6, 8.
    # MSB = (2·9 + 2·0 + 3·4)/2 = 15, MSW = (1+1 + 0 + 1+0+1)/4 = 1,
    # n0 = (7 − 17/7)/2 = 16/7, ICC(1) = (15 − 1) / (15 + 9/7) = 49/57.
    ratings = {1: {1: 2, 2: 4}, 2: {3: 6, 4: 6}, 3: {1: 7, 3: 8, 5: 9}}

    assert icc(ratings).value == pytest.approx(49 / 57)


@pytest.mark.parametrize(
    ("value", "meaning"),
    [
        (0.95, "excellent"),
        (0.9, "excellent"),
        (0.89, "good"),
        (0.75, "good"),
        (0.74, "moderate"),
        (0.5, "moderate"),
        (0.49, "poor"),
        (None, "undefined"),
    ],
)
def test_icc_interpretation_bands(value, meaning):
    assert _icc_meaning(value) == meaning


def test_icc_of_perfect_agreement_is_excellent():
    result = icc([[1, 1], [5, 5], [9, 9]])

    assert (result.value, result.interpretation) == (1.0, "excellent")


def test_icc_is_undefined_without_variance_or_data():
    assert icc([[7, 7], [7, 7]]).interpretation == "undefined"
    assert icc([[7, None], [8, None]]).value is None


def test_krippendorff_alpha_interval_on_published_example_is_0849():
    result = krippendorff_alpha(KRIPPENDORFF_UNITS)

    assert round(result.value, 3) == 0.849
    assert (result.interpretation, result.units, result.values) == ("reliable", 11, 40)


def test_krippendorff_alpha_meanings():
    assert krippendorff_alpha([[1, 1], [2, 2], [3, 3]]).interpretation == "reliable"
    assert krippendorff_alpha([[1, 2], [2, 1], [3, 3]]).interpretation == "unreliable"
    assert krippendorff_alpha([[5, None], [5, 5]]).value is None


def test_judge_severity_is_mean_deviation_from_the_others():
    # Judge 1 marks one point under the others on every entry; judge 3 half a point over.
    ratings = {e: {1: 5 + e, 2: 6 + e, 3: 6.5 + e} for e in range(6)}

    result = judge_severity(ratings, max_score=10)

    assert result[1].mean_deviation == pytest.approx(-1.25)
    assert result[1].interpretation == "severe"
    assert result[3].mean_deviation == pytest.approx(1.0)
    assert result[3].interpretation == "lenient"
    assert result[2].mean_deviation == pytest.approx(0.25)
    assert result[2].interpretation == "in_line"
    assert (result[1].entries, result[1].mean_mark) == (6, 7.5)


def test_judge_severity_can_include_the_judge_in_the_consensus():
    ratings = {e: {1: 5, 2: 7} for e in range(5)}

    result = judge_severity(ratings, max_score=10, leave_self_out=False)

    assert (result[1].mean_deviation, result[2].mean_deviation) == (-1.0, 1.0)


def test_agreement_report_bundles_the_three_measures():
    report = agreement_report(SHROUT_FLEISS, max_score=10)

    assert report.icc == icc(SHROUT_FLEISS)
    assert report.alpha == krippendorff_alpha(SHROUT_FLEISS)
    assert sorted(report.severity) == [0, 1, 2, 3]


def test_judge_severity_needs_enough_shared_entries():
    result = judge_severity({1: {1: 5, 2: 9}, 2: {1: 4}}, max_score=10)

    assert (result[1].entries, result[1].mean_deviation, result[1].interpretation) == (
        1,
        -4.0,
        "too_few_marks",
    )


def simulated_round(n_entries=2000, n_judges=40, seed=11):
    """Marks = true quality + judge bias + noise, on a real plan: a known population ICC."""
    rng = np.random.default_rng(seed)
    quality = rng.normal(0, 1.5, n_entries)  # σ_t² = 2.25
    bias = rng.normal(0, 0.5, n_judges)  # σ_j² = 0.25
    plan = plan_assignment(
        [Entry(i, i % 10) for i in range(n_entries)],
        [Judge(j, j % 10) for j in range(n_judges)],
        k=2,
        seed=seed,
    )
    ratings = {
        e: {j: 5 + quality[e] + bias[j] + rng.normal(0, 0.7) for j in judges}  # σ_e² = 0.49
        for e, judges in plan.assignments.items()
    }
    return ratings, bias


def test_agreement_on_a_simulated_incomplete_round_recovers_the_population_value():
    # Population ICC = 2.25 / (2.25 + 0.25 + 0.49) = 0.7525; judges assigned at random, so the
    # one-way ICC(1,1) and interval alpha both estimate it.
    ratings, _bias = simulated_round()

    result = icc(ratings)
    alpha = krippendorff_alpha(ratings)

    assert result.model == "ICC(1,1)"
    assert result.value == pytest.approx(0.7525, abs=0.03)
    assert alpha.value == pytest.approx(0.7525, abs=0.03)
    assert (result.units, result.raters, result.values) == (2000, 40, 4000)


def test_judge_severity_on_a_simulated_round_tracks_the_true_bias():
    ratings, bias = simulated_round()

    severity = judge_severity(ratings, max_score=10)
    found = [severity[j].mean_deviation for j in range(len(bias))]

    assert np.corrcoef(found, bias)[0, 1] > 0.95
    assert severity[int(np.argmin(bias))].interpretation == "severe"
    assert severity[int(np.argmax(bias))].interpretation == "lenient"


# --------------------------------------------------------------------------------------------
# Ranking and advancement
# --------------------------------------------------------------------------------------------


def test_rank_competition_style_flags_ties():
    ranked = rank({1: 9, 2: 8.5, 3: 8.5, 4: 7})

    assert [(r.id, r.rank, r.tied) for r in ranked] == [
        (1, 1, False),
        (2, 2, True),
        (3, 2, True),
        (4, 4, False),
    ]


def test_rank_dense_style():
    ranked = rank({1: 9, 2: 8.5, 3: 8.5, 4: 7}, method="dense")

    assert [r.rank for r in ranked] == [1, 2, 2, 3]


def test_rank_treats_float_noise_as_a_tie():
    ranked = rank({1: 0.1 + 0.2, 2: 0.3, 3: D("0.30")})

    assert [(r.id, r.rank, r.tied, r.score) for r in ranked] == [
        (1, 1, True, D("0.3")),
        (2, 1, True, D("0.3")),
        (3, 1, True, D("0.3")),
    ]


def test_advance_top_n_lets_ties_at_the_cut_through():
    result = advance({1: 9, 2: 8, 3: 7.5, 4: 7.5, 5: 7}, top_n=3)

    assert result.advancing == (1, 2, 3, 4)
    assert result.through_on_tie == (4,)
    assert result.cut_scores == {None: D("7.5")}


def test_advance_top_n_without_tie_takes_exactly_n():
    result = advance({1: 9, 2: 8, 3: 7.5, 4: 7}, top_n=2)

    assert (result.advancing, result.through_on_tie) == ((1, 2), ())


def test_advance_top_n_per_school():
    scores = {1: 9, 2: 8, 3: 7, 4: 6, 5: 6, 6: 5}
    school_of = {1: 10, 2: 10, 3: 10, 4: 20, 5: 20, 6: 20}

    result = advance(scores, top_n=1, school_of=school_of)

    assert result.advancing == (1, 4, 5)
    assert result.through_on_tie == (5,)
    assert result.cut_scores == {10: D("9"), 20: D("6")}


def test_advance_refuses_top_zero():
    with pytest.raises(ValueError, match="top_n must be at least 1"):
        advance({1: 5}, top_n=0)
