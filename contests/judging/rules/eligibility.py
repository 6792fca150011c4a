"""Who may judge what: the entries, judges and declared conflicts the assignment rules take.

A judge never marks an entry written at their own school (a judge without a school, e.g. a
district specialist, may mark any entry), and never an entry they declared a conflict with.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


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


def conflict_pairs(conflicts: Iterable[Conflict | tuple[int, int]]) -> set[tuple[int, int]]:
    """Return declared conflicts as a set of (judge id, entry id) pairs."""
    pairs = set()
    for c in conflicts:
        if isinstance(c, Conflict):
            pairs.add((c.judge_id, c.entry_id))
        else:
            judge_id, entry_id = c
            pairs.add((judge_id, entry_id))
    return pairs


def may_judge(judge: Judge, entry_school: int | None) -> bool:
    """Whether the judge may mark an entry of that school (never their own; no school: any)."""
    return judge.school_id is None or entry_school is None or judge.school_id != entry_school
