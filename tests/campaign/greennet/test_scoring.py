"""The movement's scoring on rows already loaded: no database, no app (``services.scoring``)."""

from datetime import date
from types import SimpleNamespace

import pytest

from campaign.greennet.metrics import MetricValues
from campaign.greennet.models import ActivityStatus, Criterion, Movement, Tier
from campaign.greennet.services.scoring import criterion_score, rank_schools, school_score
from core.schools.models import School, SchoolLevel

TODAY = date(2027, 3, 1)


def _row(criterion_id, status, points=None, deadline=None):
    return SimpleNamespace(
        criterion_id=criterion_id, status=status, awarded_points=points, return_deadline=deadline
    )


def _criterion(id_, *, max_points, max_count=1, metric=None):
    return Criterion(
        id=id_,
        code=f"C{id_}",
        title="x",
        max_points=max_points,
        max_count=max_count,
        computed=metric is not None,
        metric=metric,
    )


def _movement():
    return Movement(
        school_year="2026-2027",
        title="x",
        excellent_min=90.0,
        good_min=70.0,
        pass_min=50.0,
        excellent_quota_percent=None,
    )


@pytest.mark.parametrize(
    ("max_points", "max_count", "points"),
    [(20.0, 2, 11.5), (20.0, 3, 14.5), (10.0, 3, 10.0)],
)
def test_criterion_score_counts_the_best_approved_up_to_max_count_capped_at_max_points(
    max_points, max_count, points
):
    criterion = _criterion(1, max_points=max_points, max_count=max_count)
    rows = [
        _row(1, ActivityStatus.APPROVED, 3.0),
        _row(1, ActivityStatus.APPROVED, 6.0),
        _row(1, ActivityStatus.APPROVED, 5.5),
        _row(1, ActivityStatus.SUBMITTED),
        _row(1, ActivityStatus.RETURNED),
        _row(1, ActivityStatus.DRAFT),
    ]

    item = criterion_score(criterion, rows, metric=None, school_id=7)

    assert (item.points, item.approved, item.pending, item.returned, item.drafts) == (
        points,
        3,
        1,
        1,
        1,
    )


def test_criterion_score_of_a_rate_metric_is_that_share_of_the_maximum():
    criterion = _criterion(2, max_points=4.0, metric="students_activated_rate")
    metric = MetricValues({7: 0.625, 8: 1.0})

    item = criterion_score(criterion, [], metric=metric, school_id=7)

    assert (item.points, item.value) == (2.5, 0.625)


def test_school_score_counts_returned_activities_past_their_deadline_as_overdue():
    school = School(id=7, code="S07", name="S7", level=SchoolLevel.THCS)
    criteria = [_criterion(1, max_points=6.0), _criterion(2, max_points=4.0)]
    rows = [
        _row(1, ActivityStatus.APPROVED, 6.0),
        _row(2, ActivityStatus.RETURNED, deadline=date(2027, 2, 28)),
        _row(2, ActivityStatus.RETURNED, deadline=TODAY),
        _row(2, ActivityStatus.SUBMITTED),
    ]

    score = school_score(school, criteria, rows, metric_values={}, locked=True, today=TODAY)

    assert (score.points, score.max_points, score.percent) == (6.0, 10.0, 60.0)
    assert (score.pending, score.overdue, score.locked) == (1, 1, True)


def test_rank_schools_ranks_each_level_apart_and_orders_by_level_rank_code():
    def scored(code, level, points):
        school = School(code=code, name=code, level=level)
        return school_score(
            school,
            [_criterion(1, max_points=100.0)],
            [_row(1, ActivityStatus.APPROVED, points)],
            metric_values={},
            locked=False,
            today=TODAY,
        )

    scores = [
        scored("T2", SchoolLevel.THCS, 60.0),
        scored("P1", SchoolLevel.TH, 75.0),
        scored("T1", SchoolLevel.THCS, 95.0),
    ]

    ranked = rank_schools(scores, _movement())

    assert [(s.school.code, s.rank, s.tier) for s in ranked] == [
        ("P1", 1, Tier.GOOD),
        ("T1", 1, Tier.EXCELLENT),
        ("T2", 2, Tier.PASS),
    ]


def test_a_score_above_the_maximum_is_refused_with_a_decimal_comma(app):
    from types import SimpleNamespace

    from campaign.greennet.services.activities import check_score
    from core.errors import ValidationFailed

    with app.test_request_context(), pytest.raises(ValidationFailed) as refused:
        check_score(SimpleNamespace(max_points=2.5), 3.0)

    assert refused.value.message == "Điểm phải từ 0 đến 2,5."
