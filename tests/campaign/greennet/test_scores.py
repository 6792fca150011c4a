import io
from datetime import UTC, datetime

import pytest
from openpyxl import Workbook

from campaign.campaigns import participation
from campaign.greennet import services
from campaign.greennet.models import Movement, Tier
from core.errors import Conflict, NotFound, ValidationFailed
from core.schools.models import School, SchoolLevel
from core.spreadsheets import ImportRejected


def _scores(percents, **movement_kw):
    movement = Movement(
        school_year="2026-2027",
        title="x",
        excellent_min=90.0,
        good_min=70.0,
        pass_min=50.0,
        excellent_quota_percent=movement_kw.get("quota"),
    )
    rows = []
    for index, percent in enumerate(percents):
        school = School(code=f"S{index:02d}", name=f"S{index}", level=SchoolLevel.THCS)
        rows.append(services.SchoolScore(school=school, points=percent, max_points=100.0))
    services.apply_tiers(rows, movement)
    return rows


@pytest.mark.parametrize(
    ("percent", "tier"),
    [
        (100.0, Tier.EXCELLENT),
        (90.0, Tier.EXCELLENT),
        (89.99, Tier.GOOD),
        (70.0, Tier.GOOD),
        (69.99, Tier.PASS),
        (50.0, Tier.PASS),
        (49.99, Tier.FAIL),
        (0.0, Tier.FAIL),
    ],
)
def test_tier_thresholds_at_the_boundaries(percent, tier):
    assert _scores([percent])[0].tier == tier


def test_quota_limits_top_tier():
    rows = _scores([99, 95, 92, 91, 60], quota=20)

    assert [r.tier for r in rows] == [Tier.EXCELLENT, Tier.GOOD, Tier.GOOD, Tier.GOOD, Tier.PASS]


def test_quota_exactly_met_keeps_everyone():
    rows = _scores([99, 95, 60, 60, 60, 60, 60, 60, 60, 60], quota=20)

    assert [r.tier for r in rows[:3]] == [Tier.EXCELLENT, Tier.EXCELLENT, Tier.PASS]


def test_quota_tie_at_the_cut_drops_both():
    rows = _scores([99, 95, 95, 60, 60, 60, 60, 60, 60, 60], quota=20)

    assert [r.tier for r in rows[:3]] == [Tier.EXCELLENT, Tier.GOOD, Tier.GOOD]


def test_quota_smaller_than_one_school_gives_no_excellent():
    rows = _scores([99, 95, 60], quota=20)

    assert [r.tier for r in rows] == [Tier.GOOD, Tier.GOOD, Tier.PASS]


def test_ranks_shared_on_ties():
    rows = _scores([80, 95, 80, 40])

    assert [(r.school.code, r.rank) for r in sorted(rows, key=lambda r: r.rank)] == [
        ("S01", 1),
        ("S00", 2),
        ("S02", 2),
        ("S03", 4),
    ]


def test_standings_sum_approved_points_capped_by_count_and_max(gn, submitted):
    for score in (15, 12, 18):
        activity = submitted(criterion="c3", score=score)
        services.approve_activity(actor=gn["organizer"], activity=activity)
    pending = submitted(criterion="c3", score=5)

    standing = services.school_standing(gn["movement"], gn["a"])

    c3 = next(c for c in standing.criteria if c.criterion.code == "3")
    # c3 counts once (max_count=1): the best approved activity
    assert c3.points == 18
    assert c3.approved == 3
    assert c3.pending == 1
    assert standing.points == 18
    assert standing.max_points == 100
    assert standing.percent == 18.0
    assert standing.pending == 1
    assert pending.awarded_points is None


def test_tier_changes_after_approval(gn, submitted):
    activity = submitted(criterion="c3", score=50)
    before = services.school_standing(gn["movement"], gn["a"]).tier

    services.approve_activity(actor=gn["organizer"], activity=activity)

    after = services.school_standing(gn["movement"], gn["a"])
    assert (before, after.points, after.tier) == (Tier.FAIL, 50, Tier.PASS)


def test_standings_query_count_is_bounded(gn, submitted, make, db):
    for _ in range(3):
        make.school()
    submitted(criterion="c3", score=10)
    counter = _count_queries(db)

    with counter:
        services.standings(gn["movement"])

    assert counter.count <= 7  # one more: the locked records


def test_update_tiers_validates_order(gn):
    with pytest.raises(ValidationFailed):
        services.update_tiers(
            actor=gn["organizer"],
            movement=gn["movement"],
            excellent_min=60,
            good_min=70,
            pass_min=50,
            quota_percent=None,
        )


# --- computed criteria: the metric registry and the contest seam ---------------------------------


def _computed(gn, code, metric, max_points=10, max_count=1):
    return services.add_criterion(
        actor=gn["organizer"],
        movement=gn["movement"],
        level=SchoolLevel.THCS,
        code=code,
        title=metric,
        max_points=max_points,
        computed=True,
        metric=metric,
        max_count=max_count,
    )


def test_computed_criteria_equal_what_the_contest_functions_say(gn, make, monkeypatch):
    cls = make.school_class(gn["a"])
    for _ in range(4):
        make.student(cls)
    calls = []

    def participants_by_school(*, since, until):
        calls.append((since, until))
        return {gn["a"].id: 3}

    def entries_by_school(*, since, until):
        return {gn["a"].id: 2, gn["b"].id: 9}

    monkeypatch.setitem(participation.CONTEST_SOURCES, "quiz_participants", participants_by_school)
    monkeypatch.setitem(participation.CONTEST_SOURCES, "essay_entries", entries_by_school)
    _computed(gn, "Q", "quiz_participation_rate", max_points=10)
    _computed(gn, "E", "essay_entries", max_points=6, max_count=4)

    rows = {s.school.code: s for s in services.standings(gn["movement"])}

    a = {c.criterion.code: c for c in rows["A"].criteria}
    b = {c.criterion.code: c for c in rows["B"].criteria}
    assert (a["Q"].value, a["Q"].points) == (0.75, 7.5)
    assert (a["E"].value, a["E"].points) == (2.0, 3.0)
    assert (b["Q"].value, b["Q"].points) == (0.0, 0.0)
    assert (b["E"].value, b["E"].points) == (9.0, 6.0)
    assert calls == [
        (datetime(2026, 7, 31, 17, 0, tzinfo=UTC), datetime(2027, 7, 31, 17, 0, tzinfo=UTC))
    ]


def test_activated_rate_from_core_data(gn, make):
    cls = make.school_class(gn["a"])
    make.student(cls)
    make.student(cls, password=None)
    _computed(gn, "K", "students_activated_rate", max_points=10)

    item = next(
        c
        for c in services.school_standing(gn["movement"], gn["a"]).criteria
        if c.criterion.code == "K"
    )

    assert (item.value, item.points) == (0.5, 5.0)


def test_unknown_metric_refused(gn):
    with pytest.raises(ValidationFailed):
        _computed(gn, "X", "made_up_metric")


# --- criteria sets: import, versions, copy ---------------------------------------------------


def _xlsx(
    rows,
    headers=(
        "Mã",
        "Tiêu chí",
        "Hướng dẫn",
        "Điểm tối đa",
        "Minh chứng",
        "Số lần tính",
        "Chỉ số tự động",
    ),
):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return out


def test_import_creates_a_new_version(gn):
    report = services.import_criteria(
        actor=gn["organizer"],
        movement=gn["movement"],
        level=SchoolLevel.TH,
        stream=_xlsx(
            [
                ("1", "Chuyên đề", "", 40, "ảnh, liên kết", 2, None),
                ("2", "Thi tìm hiểu pháp luật", "", 60, "", 1, "quiz_participation_rate"),
            ]
        ),
        filename="tieu-chi.xlsx",
    )

    criteria_set = services.current_set(gn["movement"], SchoolLevel.TH)
    assert report.counts == {"criteria": 2, "version": 1}
    assert [(c.code, c.evidence_kinds, c.computed) for c in criteria_set.criteria] == [
        ("1", "photo,link", False),
        ("2", "", True),
    ]


def test_import_with_bad_rows_imports_nothing(gn):
    with pytest.raises(ImportRejected) as caught:
        services.import_criteria(
            actor=gn["organizer"],
            movement=gn["movement"],
            level=SchoolLevel.TH,
            stream=_xlsx(
                [
                    ("1", "Chuyên đề", "", 40, "ảnh", 1, None),
                    ("1", "", "", "nhiều", "fax", 1, None),
                ]
            ),
            filename="tieu-chi.xlsx",
        )

    rows = {e.row for e in caught.value.report.errors}
    assert rows == {3}
    assert len(caught.value.report.errors) == 4
    assert services.current_set(gn["movement"], SchoolLevel.TH) is None


def test_import_over_a_set_in_use_refused(gn, new_activity):
    new_activity()

    with pytest.raises(ImportRejected):
        services.import_criteria(
            actor=gn["organizer"],
            movement=gn["movement"],
            level=SchoolLevel.THCS,
            stream=_xlsx([("1", "A", "", 10, "", 1, None)]),
            filename="t.xlsx",
        )


def test_reimport_unused_set_bumps_version(gn):
    stream = _xlsx([("1", "A", "", 10, "", 1, None)])

    report = services.import_criteria(
        actor=gn["organizer"],
        movement=gn["movement"],
        level=SchoolLevel.THCS,
        stream=stream,
        filename="t.xlsx",
    )

    assert report.counts["version"] == 2


def test_criteria_workbook_round_trips(gn):
    data = services.criteria_workbook(services.current_set(gn["movement"], SchoolLevel.THCS))

    report = services.import_criteria(
        actor=gn["organizer"],
        movement=gn["movement"],
        level=SchoolLevel.MN,
        stream=io.BytesIO(data),
        filename="t.xlsx",
    )

    assert report.counts == {"criteria": 3, "version": 1}


def test_copy_from_last_year(gn):
    next_year = services.create_movement(
        actor=gn["organizer"], school_year="2027-2028", title="Năm sau"
    )

    count = services.copy_from_last_year(actor=gn["organizer"], movement=next_year)

    copied = services.current_set(next_year, SchoolLevel.THCS)
    assert count == 3
    assert [c.code for c in copied.criteria] == ["1", "2", "3"]
    assert copied.source == "copy"


def test_copy_without_last_year_refused(gn):
    with pytest.raises(NotFound):
        services.copy_from_last_year(actor=gn["organizer"], movement=gn["movement"])


def test_create_movement_twice_refused(gn):
    with pytest.raises(Conflict):
        services.create_movement(actor=gn["organizer"], school_year="2026-2027", title="x")


def test_create_movement_bad_year_refused(gn):
    with pytest.raises(ValidationFailed):
        services.create_movement(actor=gn["organizer"], school_year="2026-2028", title="x")


class _count_queries:
    def __init__(self, db):
        self.engine = db.engine
        self.count = 0

    def _hook(self, *args, **kwargs):
        self.count += 1

    def __enter__(self):
        import sqlalchemy as sa

        sa.event.listen(self.engine, "before_cursor_execute", self._hook)
        return self

    def __exit__(self, *exc):
        import sqlalchemy as sa

        sa.event.remove(self.engine, "before_cursor_execute", self._hook)
