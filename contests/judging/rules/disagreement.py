"""Disagreement resolution by the Vietnamese double-marking rule (``resolve``, ``resolve_entry``).

Rules (the Vietnamese double-marking rule for Ngữ văn, DOMAIN.md), with thresholds given as
fractions of the scale's maximum so a 10-point total, a 3-point criterion and a 100-point
scale all use the same rule. On a 10-point scale with the defaults:

  two marks   gap < 1.0 (10 %)            → the mean stands                      (final)
              1.0 ≤ gap ≤ 1.5 (10–15 %)   → the two judges reconcile, or the chief judge decides
              gap > 1.5 (> 15 %)          → a third judge marks
  three marks exactly one pair agrees     → that pair's mark stands               (final)
              all three agree             → the mean of the three (= the mark)     (final)
              spread ≤ 2.5 (25 %)         → the mean of the three                  (final)
              spread > 2.5                → the chief judge decides

"Agree" means the two marks differ by at most ``agree_within`` points; the default 0 means
exactly equal once both are on the 0.25 grid (two markers gave the same mark). With a
tolerance, two marks agreeing gives their mean; a chain where two different pairs agree
(7.0, 7.25, 7.5 with tolerance 0.25) is not one agreement, so it falls to the spread rule.
The same function resolves the total and each rubric criterion, but only the total decides
(``resolve_entry``): a criterion's gap is shown to the two judges while they reconcile and never
calls a third marker (per criterion, about half of all entries would need one).

Numbers. Marks are converted to Decimal through ``str`` (so a float 7.1 is 7.1, not
7.0999…), then snapped to the ``mark_step`` grid (0.25 by default) if within 1e-6 of it —
float noise such as 7.250000000001 — and refused otherwise. Thresholds are Decimal fractions
times the Decimal maximum, so "gap exactly 10 %" is compared exactly. Means are rounded half
up to a multiple of ``value_step`` (0.01 by default; 0.25 keeps final marks on the quarter grid).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from enum import StrEnum

from contests.judging.rules.numbers import SNAP, Number, tidy, to_decimal


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
            object.__setattr__(self, name, to_decimal(getattr(self, name), name))
        for name in ("mark_step", "value_step"):
            value = to_decimal(getattr(self, name), name)
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


def _mark(value: Number, max_score: Decimal, rules: DisagreementRules) -> Decimal:
    mark = to_decimal(value, "mark")
    step = rules.mark_step
    if step is None:
        mark = mark.quantize(SNAP, ROUND_HALF_EVEN)
    else:
        steps = mark / step
        whole = steps.to_integral_value(ROUND_HALF_EVEN)
        if abs(steps - whole) * step > SNAP:
            raise ValueError(f"mark {value} is not a multiple of {step}")
        mark = whole * step
    mark = tidy(mark)
    if not Decimal(0) <= mark <= max_score:
        raise ValueError(f"mark {value} is outside 0–{max_score}")
    return mark


def _mean(values: Sequence[Decimal], rules: DisagreementRules) -> Decimal:
    """Return the mean rounded half up to a multiple of ``value_step`` (0.01, 0.25, …)."""
    steps = (sum(values) / len(values) / rules.value_step).to_integral_value(ROUND_HALF_UP)
    return tidy(steps * rules.value_step)


def resolve(
    marks: Sequence[Number], *, max_score: Number, rules: DisagreementRules = DEFAULT_RULES
) -> Resolution:
    """Apply the double-marking rule to one, two or three marks on a 0–``max_score`` scale."""
    top = to_decimal(max_score, "max_score")
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
    """The rule applied to an entry's total (which decides) and, for information, each criterion.

    ``value`` is the total's resolved value when final. ``criterion_gaps`` names the criteria
    whose own marks would not have stood alone: they are shown to the judges who reconcile.
    """

    outcome: Outcome
    value: Decimal | None
    reason: str
    total: Resolution
    criteria: Mapping[int | str, Resolution]

    @property
    def final(self) -> bool:
        return self.outcome.final

    @property
    def criterion_gaps(self) -> tuple[int | str, ...]:
        return tuple(c for c, r in self.criteria.items() if not r.final)


def resolve_entry(
    marks: Mapping[int, Mapping[int | str, Number]],
    *,
    criteria_max: Mapping[int | str, Number],
    total_max: Number | None = None,
    rules: DisagreementRules = DEFAULT_RULES,
) -> EntryResolution:
    """Resolve an entry from each judge's per-criterion marks (judge id → criterion → mark).

    The total is each judge's sum (its maximum the sum of the criteria's, unless ``total_max``).
    The bands apply to the total only (DOMAIN.md, "Double marking"); each criterion is resolved
    too, so the judges who reconcile see where they differ.
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
        total_max
        if total_max is not None
        else sum(to_decimal(criteria_max[c], "max") for c in criteria)
    )
    total = resolve(totals, max_score=top, rules=rules)
    return EntryResolution(
        total.outcome, total.value, f"total.{total.reason}", total, per_criterion
    )
