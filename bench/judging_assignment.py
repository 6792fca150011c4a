"""Benchmark: assign 5,000 entries × 2 judges over 50 judges (target ≤ 2 s).

Realistic shape: the judges are teachers of 25 schools (two each), the entries come from the same
25 schools (unevenly: a few big schools write most of them), and 100 conflicts are declared.

Run: .venv/bin/python -m bench.judging_assignment
"""

from __future__ import annotations

import random
import statistics
import time

from contests.judging.rules import Conflict, Entry, Judge, plan_assignment

ENTRIES = 5_000
JUDGES = 50
SCHOOLS = 25
K = 2
RUNS = 5


def build(seed: int = 1):
    rng = random.Random(seed)
    weights = [1 + 3 * (s < 5) for s in range(SCHOOLS)]  # five big schools write more
    entries = [
        Entry(id=i, school_id=rng.choices(range(SCHOOLS), weights)[0]) for i in range(ENTRIES)
    ]
    judges = [Judge(id=1000 + j, school_id=j % SCHOOLS) for j in range(JUDGES)]
    conflicts = [
        Conflict(judge_id=rng.choice(judges).id, entry_id=rng.randrange(ENTRIES))
        for _ in range(100)
    ]
    return entries, judges, conflicts


def main() -> None:
    entries, judges, conflicts = build()
    timings = []
    for run in range(RUNS):
        started = time.perf_counter()
        plan = plan_assignment(entries, judges, K, conflicts=conflicts, seed=run)
        timings.append(time.perf_counter() - started)
    loads = plan.loads.values()
    print(
        f"judging assignment: {ENTRIES} entries × {K} judges over {JUDGES} judges "
        f"({SCHOOLS} schools, {len(conflicts)} conflicts): "
        f"median {statistics.median(timings):.3f} s, max {max(timings):.3f} s over {RUNS} runs "
        f"(target ≤ 2 s); loads {min(loads)}–{max(loads)}, balanced={plan.balanced}, "
        f"same-school pairs avoided {plan.same_school_avoided}, "
        f"conflicts avoided {plan.conflicts_avoided}"
    )


if __name__ == "__main__":
    main()
