"""Scores, tiers and ranks of the movement, worked out from rows already loaded (no queries).

A manual criterion earns the sum of its approved activities' awarded points, counting at most
``max_count`` of them (the best first), capped at the criterion's maximum. A computed criterion
earns the share of its maximum that the metric's raw value reaches (``metrics.fraction``: a rate
as is, a count against ``max_count``). A school's percentage is its points over the maximum of
its level's criteria; the tier is set by the movement's thresholds (≥ is inclusive) and the
top-tier quota, and schools are ranked within their level. ``standings`` loads the rows and
calls these functions.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from campaign.greennet.metrics import MetricValues, fraction
from campaign.greennet.models import ActivityStatus, Criterion, Movement, Tier
from core.schools.models import School, SchoolLevel


@dataclass
class CriterionScore:
    criterion: Criterion
    points: float = 0.0
    approved: int = 0
    pending: int = 0
    returned: int = 0
    drafts: int = 0
    #: Raw metric value for computed criteria (rate or count); None when not computed.
    value: float | None = None

    @property
    def missing(self) -> bool:
        return self.points < self.criterion.max_points and not self.pending


@dataclass
class SchoolScore:
    school: School
    points: float = 0.0
    max_points: float = 0.0
    tier: Tier = Tier.FAIL
    rank: int = 0
    pending: int = 0
    overdue: int = 0
    locked: bool = False
    #: It met the Xuất sắc threshold but the quota held it back to Tốt.
    held_back: bool = False
    criteria: list[CriterionScore] = field(default_factory=list)
    #: Locked results by milestone kind (``locks.LockedResult``), shown beside the figures.
    records: dict = field(default_factory=dict)
    #: The milestone whose locked figures these are; None for live figures.
    shown_milestone: object = None

    @property
    def percent(self) -> float:
        return round(100 * self.points / self.max_points, 2) if self.max_points else 0.0

    @property
    def rank_recorded(self) -> bool:
        """The rank is the locked record's (the place when it was locked), not a live one."""
        return self.shown_milestone is not None


def criterion_score(
    criterion: Criterion, activities: Iterable, *, metric: MetricValues | None, school_id: int
) -> CriterionScore:
    """Score one criterion for one school from its activity rows or its metric's values.

    ``activities`` are the school's rows for this criterion (``status``, ``awarded_points``);
    ``metric`` holds the metric's values for every school when the criterion is computed.
    """
    item = CriterionScore(criterion=criterion)
    if criterion.computed:
        item.value = metric.values.get(school_id, 0.0)
        share = fraction(criterion.metric, item.value, target=criterion.max_count)
        item.points = round(criterion.max_points * share, 2)
        return item
    mine = list(activities)
    awarded = sorted(
        (a.awarded_points or 0.0 for a in mine if a.status == ActivityStatus.APPROVED),
        reverse=True,
    )
    item.approved = len(awarded)
    item.pending = sum(a.status == ActivityStatus.SUBMITTED for a in mine)
    item.returned = sum(a.status == ActivityStatus.RETURNED for a in mine)
    item.drafts = sum(a.status == ActivityStatus.DRAFT for a in mine)
    item.points = round(min(criterion.max_points, sum(awarded[: criterion.max_count])), 2)
    return item


def school_score(
    school: School,
    criteria: Iterable[Criterion],
    activities: Iterable,
    *,
    metric_values: Mapping[str, MetricValues],
    locked: bool,
    today: date,
) -> SchoolScore:
    """Score one school on its level's criteria; tier and rank are left to ``apply_tiers``.

    ``activities`` are the school's rows (``criterion_id``, ``status``, ``awarded_points``,
    ``return_deadline``); a returned activity past its deadline on ``today`` counts as overdue.
    """
    score = SchoolScore(school=school, locked=locked)
    by_criterion = defaultdict(list)
    for activity in activities:
        by_criterion[activity.criterion_id].append(activity)
        if activity.status == ActivityStatus.SUBMITTED:
            score.pending += 1
        if (
            activity.status == ActivityStatus.RETURNED
            and activity.return_deadline is not None
            and activity.return_deadline < today
        ):
            score.overdue += 1
    for criterion in criteria:
        item = criterion_score(
            criterion,
            by_criterion.get(criterion.id, []),
            metric=metric_values.get(criterion.metric) if criterion.computed else None,
            school_id=school.id,
        )
        score.criteria.append(item)
        score.points += item.points
        score.max_points += criterion.max_points
    score.points = round(score.points, 2)
    return score


def tier_for(percent: float, movement: Movement) -> Tier:
    """The tier a percentage earns by the movement's thresholds (≥ is inclusive)."""
    if percent >= movement.excellent_min:
        return Tier.EXCELLENT
    if percent >= movement.good_min:
        return Tier.GOOD
    if percent >= movement.pass_min:
        return Tier.PASS
    return Tier.FAIL


QUOTA_RULES = ("at_most", "nearest")


def quota_allowed(movement: Movement, schools: int) -> int | None:
    """How many of a level's ``schools`` may be Xuất sắc; None without a quota.

    "at_most" reads the quota as "không quá X %" (rounded down, the default); "nearest" rounds
    X % of the schools to the nearest whole school (halves up).
    """
    if movement.excellent_quota_percent is None:
        return None
    share = movement.excellent_quota_percent * schools / 100
    if (movement.quota_rule or "at_most") == "nearest":
        return math.floor(share + 0.5 + 1e-9)
    return math.floor(share + 1e-9)


def apply_tiers(scores: list[SchoolScore], movement: Movement) -> None:
    """Tier and rank the schools of one level, in place.

    Ranks are shared on equal percentages (1, 1, 3). The top-tier quota is never exceeded: the
    highest-ranked excellent schools keep the tier up to ``quota_allowed``; if a tie straddles
    the cut, every tied school drops to Tốt, so equal scores always get equal tiers. A school
    that met the threshold but was dropped is marked ``held_back``, so the page can say why.
    """
    ordered = sorted(scores, key=lambda s: (-s.percent, s.school.code))
    previous, rank = None, 0
    for index, score in enumerate(ordered, start=1):
        if score.percent != previous:
            rank, previous = index, score.percent
        score.rank = rank
        score.tier, score.held_back = tier_for(score.percent, movement), False
    allowed = quota_allowed(movement, len(ordered))
    if allowed is None:
        return
    excellent = [s for s in ordered if s.tier == Tier.EXCELLENT]
    keep = {id(s) for s in excellent[:allowed]}
    if allowed < len(excellent) and allowed > 0:
        cut = excellent[allowed].percent
        keep = {id(s) for s in excellent[:allowed] if s.percent != cut}
    for score in excellent:
        if id(score) not in keep:
            score.tier, score.held_back = Tier.GOOD, True


def rank_schools(scores: list[SchoolScore], movement: Movement) -> list[SchoolScore]:
    """Tier and rank every level's schools apart; return them by level, rank, then code."""
    for level in SchoolLevel:
        apply_tiers([s for s in scores if s.school.level == level], movement)
    levels = list(SchoolLevel)
    return sorted(scores, key=lambda s: (levels.index(s.school.level), s.rank, s.school.code))
