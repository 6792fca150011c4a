"""Agreement statistics for the chief judge's report.

``icc``, ``krippendorff_alpha`` and ``judge_severity``, side by side in ``agreement_report``.

Rules. The chief judge's report shows how far judges agree, never adjusting anyone's marks.

ICC. When every entry was marked by the same judges (a complete two-way design), we report
ICC(2,1) of Shrout & Fleiss (1979): two-way random effects, absolute agreement, single rater —
(BMS − EMS) / (BMS + (k−1)·EMS + k·(JMS − EMS)/n). A judging round is usually incomplete
(each entry has 2 of 50 judges), where the two-way ANOVA is undefined; there we report
ICC(1,1), the one-way random model, with the unbalanced-groups correction n₀ (Searle 1971):
(MSB − MSW) / (MSB + (n₀ − 1)·MSW). With judges assigned at random it estimates the same
quantity as ICC(2,1) — the share of mark variance due to the entries, judge severity counted
as error — so the two are comparable. The result names the model used. Entries with fewer than
two marks carry no agreement information and are left out. Meaning (Koo & Li 2016): < 0.5 poor,
0.5–0.75 moderate, 0.75–0.9 good, ≥ 0.9 excellent.

Krippendorff's alpha, interval metric, handles any missing marks directly: 1 − D_o/D_e over
the pairable values (units with ≥ 2 marks). Meaning (Krippendorff 2004): ≥ 0.8 reliable,
0.667–0.8 tentative, below unreliable.

Severity of a judge: the mean, over the entries the judge marked that someone else marked too,
of (the judge's mark − the mean of the other judges' marks on that entry). Leaving the judge
out of the consensus keeps them from pulling it towards themselves; with two judges it is just
the difference from the other. Negative is severe, positive lenient; beyond ``flag_fraction``
of the scale (5 %) it is named, and below ``min_entries`` (5) it is "too_few_marks".
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from contests.judging.rules.numbers import Number, to_decimal

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
    limit = flag_fraction * float(to_decimal(max_score, "max_score"))
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
