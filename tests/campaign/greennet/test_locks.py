"""Locked results stay put (issue 14): a locked milestone is a record of the figures as they were."""

import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from campaign.campaigns import participation
from campaign.greennet import metrics, report_pdfs, reports, services
from campaign.greennet.models import MilestoneKind, Tier
from core import audit
from core.errors import Conflict, ValidationFailed
from core.schools.models import SchoolLevel


def _approve(gn, submitted, score, *, school="a", criterion="c3"):
    activity = submitted(score=score, school=school, criterion=criterion)
    return services.approve_activity(actor=gn["organizer"], activity=activity)


def _tiers(gn, excellent, good=30.0, passing=10.0, quota=None):
    services.update_tiers(
        actor=gn["organizer"],
        movement=gn["movement"],
        excellent_min=excellent,
        good_min=good,
        pass_min=passing,
        quota_percent=quota,
    )


def _lock(gn, school="a", milestone="tong_ket"):
    return services.lock_assessment(
        actor=gn["organizer"],
        movement=gn["movement"],
        school=gn[school],
        milestone=services.milestone_for(gn["movement"], milestone),
    )


def _row(gn, code="A"):
    return next(s for s in services.standings(gn["movement"]) if s.school.code == code)


@pytest.fixture
def essay_counts(monkeypatch):
    """The writing contest's entries per school, changeable by the test."""
    counts = {}
    monkeypatch.setitem(
        participation.CONTEST_SOURCES, "essay_entries", lambda *, since, until: dict(counts)
    )
    return counts


def test_raising_the_threshold_leaves_a_locked_tier(gn, submitted):
    _approve(gn, submitted, 50)
    _tiers(gn, excellent=45)
    _lock(gn)

    _tiers(gn, excellent=60)

    row = _row(gn)
    assert (row.tier, row.percent, row.locked) == (Tier.EXCELLENT, 50.0, True)
    result = services.locked_result(gn["movement"], gn["a"], "tong_ket")
    assert (result.tier, result.percent, result.points, result.max_points) == (
        Tier.EXCELLENT,
        50.0,
        50.0,
        100.0,
    )


def test_a_computed_criterion_moving_leaves_a_locked_score(gn, submitted, essay_counts):
    services.add_criterion(
        actor=gn["organizer"],
        movement=gn["movement"],
        level=SchoolLevel.THCS,
        code="E",
        title="Bài dự thi",
        max_points=10,
        computed=True,
        metric="essay_entries",
        max_count=10,
    )
    essay_counts[gn["a"].id] = 5
    _approve(gn, submitted, 40)
    _lock(gn)

    essay_counts[gn["a"].id] = 9

    row = _row(gn)
    assert (row.points, row.max_points) == (45.0, 110.0)
    criteria = {
        c.code: c.points
        for c in services.locked_result(gn["movement"], gn["a"], "tong_ket").criteria
    }
    assert criteria == {"1": 0.0, "2": 0.0, "3": 40.0, "E": 5.0}


def test_locked_rank_and_criteria_version_are_recorded(gn, submitted):
    _approve(gn, submitted, 40)
    _approve(gn, submitted, 20, school="b")

    result = _lock(gn, milestone="so_ket")

    assert (result.rank, result.criteria_version) == (1, 1)
    assert services.is_locked(gn["movement"], gn["a"], "so_ket") is True
    assert services.is_locked(gn["movement"], gn["a"], "tong_ket") is False
    assert services.locked_result(gn["movement"], gn["b"], "so_ket") is None


def test_lock_refused_while_activities_await_verification(gn, submitted):
    waiting = submitted(score=10, title="Chờ duyệt một")

    with pytest.raises(services.VerificationIncomplete) as refused:
        _lock(gn)

    assert [a.id for a in refused.value.pending] == [waiting.id]
    assert "Chờ duyệt một" in refused.value.message
    assert services.is_locked(gn["movement"], gn["a"], "tong_ket") is False


def test_unlock_needs_a_reason_and_is_audited(gn, submitted):
    _approve(gn, submitted, 40)
    _lock(gn)
    milestone = services.milestone_for(gn["movement"], "tong_ket")

    with pytest.raises(ValidationFailed):
        services.unlock_assessment(
            actor=gn["organizer"],
            movement=gn["movement"],
            school=gn["a"],
            milestone=milestone,
            reason=" ",
        )
    services.unlock_assessment(
        actor=gn["organizer"],
        movement=gn["movement"],
        school=gn["a"],
        milestone=milestone,
        reason="Nhập sai điểm tiêu chí 3.",
    )

    assert services.is_locked(gn["movement"], gn["a"], "tong_ket") is False
    assessment = services.assessment_for(gn["movement"], gn["a"])
    entry = audit.history("assessment", assessment.id)[-1]
    assert (entry.action, entry.reason) == (
        "greennet.assessment.unlock",
        "Nhập sai điểm tiêu chí 3.",
    )
    assert entry.before["percent"] == 40.0
    with pytest.raises(Conflict):
        services.unlock_assessment(
            actor=gn["organizer"],
            movement=gn["movement"],
            school=gn["a"],
            milestone=milestone,
            reason="x",
        )


def test_adding_a_criterion_to_a_set_in_use_needs_a_new_version(gn, submitted):
    _approve(gn, submitted, 40)
    _lock(gn, milestone="so_ket")
    fields = dict(
        actor=gn["organizer"],
        movement=gn["movement"],
        level=SchoolLevel.THCS,
        code="9",
        title="Tiêu chí mới",
        max_points=5,
    )

    with pytest.raises(Conflict) as refused:
        services.add_criterion(**fields)
    services.add_criterion(**fields, as_new_version=True)

    assert "/100 → /105" in refused.value.message
    current = services.current_set(gn["movement"], SchoolLevel.THCS)
    assert (current.version, current.max_total) == (2, 105.0)
    live = services.school_standing(gn["movement"], gn["a"], live=True)
    assert (live.points, live.max_points) == (40.0, 105.0)
    assert _row(gn).max_points == 100.0
    kept = services.locked_result(gn["movement"], gn["a"], "so_ket")
    assert (kept.criteria_version, kept.max_points) == (1, 100.0)
    assert [v.max_total for v in services.criteria_versions(gn["movement"], SchoolLevel.THCS)] == [
        100.0,
        105.0,
    ]


def test_quota_holds_back_a_school_and_says_so(gn, submitted):
    _approve(gn, submitted, 50)
    _approve(gn, submitted, 48, school="b")
    _tiers(gn, excellent=45, quota=50)

    rows = {s.school.code: s for s in services.standings(gn["movement"])}

    assert (rows["A"].tier, rows["A"].held_back) == (Tier.EXCELLENT, False)
    assert (rows["B"].tier, rows["B"].held_back) == (Tier.GOOD, True)


def test_quota_rule_is_a_setting(gn, submitted):
    for school in ("a", "b"):
        _approve(gn, submitted, 50, school=school)
    services.update_tiers(
        actor=gn["organizer"],
        movement=gn["movement"],
        excellent_min=45,
        good_min=30,
        pass_min=10,
        quota_percent=50,
        quota_rule="nearest",
    )

    assert gn["movement"].quota_rule == "nearest"
    assert services.quota_allowed(gn["movement"], 3) == 2
    assert services.quota_allowed(gn["movement"], 2) == 1


def test_school_pdf_follows_the_chosen_milestone_not_the_calendar(gn, submitted, frozen):
    _approve(gn, submitted, 40)
    _lock(gn, milestone="tong_ket")

    data = report_pdfs.school_pdf(gn["movement"], gn["a"], milestone=MilestoneKind.FINAL)

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "BÁO CÁO TỔNG KẾT" in text


def test_district_xlsx_has_the_final_review_columns(gn, submitted):
    _approve(gn, submitted, 40)
    _lock(gn, milestone="tong_ket")

    sheet = load_workbook(io.BytesIO(reports.district_xlsx(gn["movement"])))["Xếp hạng"]
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c.value for c in sheet[2]], strict=True))

    assert {"Tổng kết (%)", "Tổng kết xếp loại", "Tổng kết hạng"} <= set(header)
    assert (row["Tổng kết (%)"], row["Tổng kết hạng"]) == (40, 1)


def _pdf_lines(data):
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return [line.strip() for line in text.splitlines() if line.strip()]


def test_district_pdf_has_the_final_review_columns(gn, submitted):
    _approve(gn, submitted, 40)
    _approve(gn, submitted, 20, school="b")
    _tiers(gn, excellent=35)
    _lock(gn, milestone="tong_ket")
    _tiers(gn, excellent=60)

    lines = _pdf_lines(report_pdfs.district_pdf(gn["movement"]))

    assert any("Sơ kết" in line and "Tổng kết" in line for line in lines)
    row_a = next(line for line in lines if gn["a"].name in line)
    row_b = next(line for line in lines if gn["b"].name in line)
    # A's recorded tổng kết: 40 %, Xuất sắc, rank 1 — though today's threshold says Tốt.
    assert row_a.endswith("40 Xuất sắc 1")
    # B is not locked: its tổng kết columns stay empty.
    assert not any(word in row_b for word in ("Xuất sắc",))
    assert row_b.split()[-1] != "1"


def test_a_partly_locked_level_ranks_live_schools_among_the_figures_shown(gn, submitted):
    _approve(gn, submitted, 40)
    _lock(gn, milestone="tong_ket")
    _approve(gn, submitted, 50, school="b")

    rows = [s for s in services.standings(gn["movement"]) if s.school.level == SchoolLevel.THCS]

    # A's rank is its record (1st when locked); B, live at 50 %, is first among the figures shown.
    assert [(r.school.code, r.percent, r.rank, r.rank_recorded) for r in rows] == [
        ("B", 50.0, 1, False),
        ("A", 40.0, 1, True),
    ]


def test_standings_page_marks_recorded_ranks(client, gn, submitted, db):
    _approve(gn, submitted, 40)
    _lock(gn, milestone="tong_ket")
    _approve(gn, submitted, 50, school="b")
    db.session.commit()

    page = client.get("/movement?level=THCS").get_data(as_text=True)

    assert page.index(gn["b"].name) < page.index(gn["a"].name)
    assert 'data-testid="recorded-rank-A"' in page
    assert 'data-testid="recorded-rank-B"' not in page
    assert "đã chốt" in page


# --- API --------------------------------------------------------------------------------------


def test_api_lock_and_unlock_for_organizer(client, login, gn, submitted, db):
    _approve(gn, submitted, 40)
    db.session.commit()
    login(gn["organizer"])
    base = f"/api/v1/movements/{gn['movement'].id}/schools/{gn['a'].id}"

    locked = client.post(f"{base}/lock", json={"milestone": "tong_ket"})
    shown = client.get(f"{base}/assessment").get_json()
    standings = client.get(f"/api/v1/movements/{gn['movement'].id}/standings").get_json()
    unlocked = client.post(f"{base}/unlock", json={"milestone": "tong_ket", "reason": "Sai sót."})

    assert locked.status_code == 200
    assert locked.get_json()["tong_ket"]["locked"] is True
    assert shown["milestones"]["tong_ket"]["locked"] is True
    assert shown["milestones"]["tong_ket"]["percent"] == 40.0
    assert shown["milestones"]["so_ket"] == {"locked": False}
    school = next(s for s in standings["schools"] if s["school_code"] == "A")
    assert school["milestones"]["tong_ket"]["tier"] == "fail"
    assert unlocked.status_code == 200
    assert unlocked.get_json()["tong_ket"] == {"locked": False}


def test_api_lock_forbidden_for_coordinator(client, login, gn, db):
    db.session.commit()
    login(gn["coord_a"])
    base = f"/api/v1/movements/{gn['movement'].id}/schools/{gn['a'].id}"

    assert client.post(f"{base}/lock", json={"milestone": "so_ket"}).status_code == 403
    assert (
        client.post(f"{base}/unlock", json={"milestone": "so_ket", "reason": "x"}).status_code
        == 403
    )


def test_api_lock_conflict_lists_pending_items(client, login, gn, submitted, db):
    waiting = submitted(score=10, title="Chờ duyệt")
    db.session.commit()
    login(gn["organizer"])

    response = client.post(
        f"/api/v1/movements/{gn['movement'].id}/schools/{gn['a'].id}/lock",
        json={"milestone": "so_ket"},
    )

    assert response.status_code == 409
    assert response.get_json()["error"]["pending"] == [
        {"id": waiting.id, "title": "Chờ duyệt", "criterion": "3"}
    ]


def test_html_lock_refusal_lists_pending(client, login, gn, submitted, db):
    submitted(score=10, title="Hoạt động chờ duyệt")
    db.session.commit()
    login(gn["organizer"])
    milestone = services.milestone_for(gn["movement"], "so_ket")

    response = client.post(
        f"/movement/{gn['movement'].id}/schools/{gn['a'].id}/lock",
        data={"lock-milestone_id": milestone.id},
        follow_redirects=True,
    )

    assert "Hoạt động chờ duyệt" in response.get_data(as_text=True)
    assert services.is_locked(gn["movement"], gn["a"], "so_ket") is False


def test_html_unlock_for_organizer(client, login, gn, db):
    _lock(gn)
    db.session.commit()
    login(gn["organizer"])
    milestone = services.milestone_for(gn["movement"], "tong_ket")

    response = client.post(
        f"/movement/{gn['movement'].id}/schools/{gn['a'].id}/unlock/{milestone.id}",
        data={"unlock-reason": "Sai sót."},
    )

    assert response.status_code == 302
    assert services.is_locked(gn["movement"], gn["a"], "tong_ket") is False


def test_html_unlock_forbidden_for_coordinator(client, login, gn, db):
    _lock(gn)
    db.session.commit()
    login(gn["coord_a"])
    milestone = services.milestone_for(gn["movement"], "tong_ket")

    response = client.post(
        f"/movement/{gn['movement'].id}/schools/{gn['a'].id}/unlock/{milestone.id}",
        data={"unlock-reason": "x"},
    )

    assert response.status_code == 403


def test_standings_page_prints_the_quota_rule_and_held_back(client, gn, submitted, db):
    _approve(gn, submitted, 50)
    _approve(gn, submitted, 48, school="b")
    _tiers(gn, excellent=45, quota=50)
    db.session.commit()

    page = client.get("/movement").get_data(as_text=True)

    assert 'data-testid="quota-rule"' in page
    assert 'data-testid="held-back-B"' in page


# --- computed criteria reach the contests by plain import ------------------------------------


def test_every_contest_source_is_the_contests_function_itself():
    from contests.essay import services as essay
    from contests.quiz import services as quiz

    assert {
        "quiz_participants": quiz.participants_by_school,
        "essay_entries": essay.entries_by_school,
    } == participation.CONTEST_SOURCES


def test_every_metric_runs_and_gives_a_value_in_its_range(gn):
    since, until = services.period(gn["movement"])

    results = {
        name: metrics.evaluate(name, [gn["a"].id], since=since, until=until).values[gn["a"].id]
        for name in metrics.REGISTRY
    }

    # Each metric reached its source (a contest's function or a table) and read a sensible value:
    # a rate between 0 and 1, a count not below 0.
    for name, value in results.items():
        upper = 1.0 if metrics.REGISTRY[name].kind == "rate" else float("inf")
        assert 0.0 <= value <= upper, (name, value)


def _edit_fields(criterion, max_points):
    return dict(
        title=criterion.title,
        guidance=criterion.guidance,
        max_points=max_points,
        evidence_kinds=[k.value for k in criterion.required_kinds],
        max_count=criterion.max_count,
        computed=criterion.computed,
        metric=criterion.metric,
    )


def test_changing_a_maximum_on_a_set_in_use_needs_a_new_version(gn, submitted):
    _approve(gn, submitted, 40)
    _approve(gn, submitted, 30, school="b")
    _lock(gn, milestone="so_ket")
    before = services.school_standing(gn["movement"], gn["b"], live=True)

    with pytest.raises(Conflict) as refused:
        services.update_criterion(
            actor=gn["organizer"], criterion=gn["c3"], **_edit_fields(gn["c3"], 55)
        )

    assert "/100 → /105" in refused.value.message
    assert gn["c3"].max_points == 50
    unchanged = services.school_standing(gn["movement"], gn["b"], live=True)
    assert (unchanged.points, unchanged.max_points) == (before.points, before.max_points)
    assert services.current_set(gn["movement"], SchoolLevel.THCS).version == 1


def test_changing_a_maximum_as_a_new_version_keeps_the_old_one(gn, submitted):
    _approve(gn, submitted, 40)
    _lock(gn, milestone="so_ket")

    edited = services.update_criterion(
        actor=gn["organizer"],
        criterion=gn["c3"],
        **_edit_fields(gn["c3"], 55),
        as_new_version=True,
    )

    versions = services.criteria_versions(gn["movement"], SchoolLevel.THCS)
    assert [(v.version, v.max_total) for v in versions] == [(1, 100.0), (2, 105.0)]
    assert (edited.criteria_set.version, edited.code, edited.max_points) == (2, "3", 55.0)
    assert gn["c3"].max_points == 50
    live = services.school_standing(gn["movement"], gn["a"], live=True)
    assert (live.points, live.max_points) == (40.0, 105.0)
    kept = services.locked_result(gn["movement"], gn["a"], "so_ket")
    assert (kept.criteria_version, kept.max_points) == (1, 100.0)


def test_editing_the_wording_of_a_criterion_in_use_stays_in_place(gn, submitted):
    _approve(gn, submitted, 40)
    fields = _edit_fields(gn["c3"], 50)
    fields["title"] = "Tập huấn giáo viên"

    services.update_criterion(actor=gn["organizer"], criterion=gn["c3"], **fields)

    current = services.current_set(gn["movement"], SchoolLevel.THCS)
    assert (current.version, gn["c3"].title) == (1, "Tập huấn giáo viên")


def test_a_criterion_no_school_is_scored_on_changes_in_place(gn):
    services.update_criterion(
        actor=gn["organizer"], criterion=gn["c3"], **_edit_fields(gn["c3"], 55)
    )

    current = services.current_set(gn["movement"], SchoolLevel.THCS)
    assert (current.version, current.max_total) == (1, 105.0)


def test_changing_a_max_count_on_a_set_in_use_needs_a_new_version(gn, submitted):
    _approve(gn, submitted, 40)
    fields = _edit_fields(gn["c3"], 50)
    fields["max_count"] = 3

    with pytest.raises(Conflict) as refused:
        services.update_criterion(actor=gn["organizer"], criterion=gn["c3"], **fields)

    assert refused.value.field == "as_new_version"
    assert gn["c3"].max_count == 1
    assert services.current_set(gn["movement"], SchoolLevel.THCS).version == 1


def test_making_a_criterion_computed_on_a_set_in_use_needs_a_new_version(gn, submitted):
    _approve(gn, submitted, 40)
    fields = _edit_fields(gn["c2"], 30)
    fields.update(computed=True, metric="essay_entries")

    with pytest.raises(Conflict) as refused:
        services.update_criterion(actor=gn["organizer"], criterion=gn["c2"], **fields)

    assert refused.value.field == "as_new_version"
    assert (gn["c2"].computed, gn["c2"].metric) == (False, None)


def test_changing_a_metric_on_a_set_in_use_needs_a_new_version(gn, submitted):
    fields = _edit_fields(gn["c2"], 30)
    fields.update(computed=True, metric="essay_entries")
    services.update_criterion(actor=gn["organizer"], criterion=gn["c2"], **fields)
    _lock(gn, milestone="so_ket")
    fields["metric"] = "quiz_participation_rate"

    with pytest.raises(Conflict):
        services.update_criterion(actor=gn["organizer"], criterion=gn["c2"], **fields)

    assert gn["c2"].metric == "essay_entries"


def test_changing_a_metric_as_a_new_version_keeps_the_old_one(gn, submitted):
    fields = _edit_fields(gn["c2"], 30)
    fields.update(computed=True, metric="essay_entries")
    services.update_criterion(actor=gn["organizer"], criterion=gn["c2"], **fields)
    _lock(gn, milestone="so_ket")
    fields["metric"] = "quiz_participation_rate"

    edited = services.update_criterion(
        actor=gn["organizer"], criterion=gn["c2"], **fields, as_new_version=True
    )

    assert (edited.criteria_set.version, edited.metric) == (2, "quiz_participation_rate")
    assert gn["c2"].metric == "essay_entries"
