import io
from datetime import date

import pytest
from openpyxl import load_workbook

from campaign.greennet import services
from campaign.greennet.models import ActivityStatus, Evidence
from tests.campaign.greennet.conftest import PDF_BYTES, POLYGLOT_PDF, png_bytes


@pytest.fixture
def urls(gn, new_activity, db):
    m, a = gn["movement"], gn["a"]
    activity = new_activity()
    evidence = services.add_photo(actor=gn["coord_a"], activity=activity, data=png_bytes())
    db.session.commit()
    return {
        "m": m,
        "activity": activity,
        "evidence": evidence,
        "school": f"/movement/{m.id}/schools/{a.id}",
    }


def test_public_standings_anonymous(client, gn):
    response = client.get("/movement")

    assert response.status_code == 200
    assert "Trường THCS" in response.get_data(as_text=True)


def test_public_standings_filtered_by_level(client, gn):
    response = client.get("/movement?level=TH")

    assert response.status_code == 200
    assert 'data-testid="standings-THCS"' not in response.get_data(as_text=True)


def test_public_standings_post_not_allowed(client, gn):
    assert client.post("/movement").status_code == 405


def test_mine_redirects_coordinator_to_school(client, login, gn):
    login(gn["coord_a"])

    response = client.get("/movement/mine")

    assert response.status_code == 302


def test_mine_forbidden_for_organizer(client, login, gn):
    login(gn["organizer"])

    assert client.get("/movement/mine").status_code == 403


# --- district pages: allowed for organizers, forbidden for coordinators -----------------------

DISTRICT_GETS = [
    "/manage/movements",
    "/manage/movements/{m}",
    "/manage/movements/{m}/verification",
    "/manage/movements/{m}/dashboard",
    "/manage/movements/{m}/dashboard?level=THCS",
    "/manage/movements/{m}/criteria/THCS.xlsx",
    "/manage/movements/{m}/report.xlsx",
    "/manage/movements/{m}/report.pdf",
]


@pytest.mark.parametrize("path", DISTRICT_GETS)
def test_district_pages_allowed_for_organizer(client, login, gn, path):
    login(gn["organizer"])

    response = client.get(path.format(m=gn["movement"].id))

    assert response.status_code == 200


@pytest.mark.parametrize("path", DISTRICT_GETS)
def test_district_pages_forbidden_for_coordinator(client, login, gn, path):
    login(gn["coord_a"])

    assert client.get(path.format(m=gn["movement"].id)).status_code == 403


def test_create_movement_route(client, login, gn):
    login(gn["organizer"])

    response = client.post(
        "/manage/movements", data={"school_year": "2027-2028", "title": "Năm sau"}
    )

    assert response.status_code == 302
    assert services.movements()[0].school_year == "2027-2028"


def test_create_movement_route_forbidden_for_coordinator(client, login, gn):
    login(gn["coord_a"])

    response = client.post(
        "/manage/movements", data={"school_year": "2027-2028", "title": "Năm sau"}
    )

    assert response.status_code == 403
    assert len(services.movements()) == 1


def test_tiers_route(client, login, gn):
    login(gn["organizer"])

    response = client.post(
        f"/manage/movements/{gn['movement'].id}",
        data={"t-excellent_min": "85", "t-good_min": "65", "t-pass_min": "45", "t-quota": "20"},
    )

    assert response.status_code == 302
    assert (gn["movement"].excellent_min, gn["movement"].excellent_quota_percent) == (85, 20)


def test_tiers_route_forbidden_for_coordinator(client, login, gn):
    login(gn["coord_a"])

    response = client.post(
        f"/manage/movements/{gn['movement'].id}",
        data={"t-excellent_min": "85", "t-good_min": "65", "t-pass_min": "45"},
    )

    assert response.status_code == 403


def test_add_criterion_route(client, login, gn):
    login(gn["organizer"])

    response = client.post(
        f"/manage/movements/{gn['movement'].id}/criteria",
        data={
            "c-level": "TH",
            "c-code": "1",
            "c-title": "Chuyên đề",
            "c-max_points": "10",
            "c-max_count": "1",
            "c-evidence_kinds": ["photo", "link"],
        },
    )

    assert response.status_code == 302
    criteria = services.current_set(gn["movement"], gn["a"].level.__class__("TH")).criteria
    assert [(c.code, c.evidence_kinds) for c in criteria] == [("1", "photo,link")]


def test_add_criterion_route_forbidden_for_coordinator(client, login, gn):
    login(gn["coord_a"])

    response = client.post(f"/manage/movements/{gn['movement'].id}/criteria", data={})

    assert response.status_code == 403


def test_import_criteria_route_reports_rows(client, login, gn):
    login(gn["organizer"])
    data = services.criteria_workbook(None)

    response = client.post(
        f"/manage/movements/{gn['movement'].id}/criteria/import",
        data={"i-level": "TH", "i-file": (io.BytesIO(data), "t.xlsx")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 400
    assert 'data-testid="import-rejected"' in response.get_data(as_text=True)


def test_import_criteria_route_forbidden_for_coordinator(client, login, gn):
    login(gn["coord_a"])

    response = client.post(f"/manage/movements/{gn['movement'].id}/criteria/import", data={})

    assert response.status_code == 403


def test_copy_criteria_route_without_last_year_warns(client, login, gn):
    login(gn["organizer"])

    response = client.post(f"/manage/movements/{gn['movement'].id}/criteria/copy")

    assert response.status_code == 302


def test_copy_criteria_route_forbidden_for_coordinator(client, login, gn):
    login(gn["coord_a"])

    assert client.post(f"/manage/movements/{gn['movement'].id}/criteria/copy").status_code == 403


def test_milestone_route(client, login, gn):
    login(gn["organizer"])
    milestone = gn["movement"].milestones[1]

    response = client.post(
        f"/manage/movements/{gn['movement'].id}/milestones/{milestone.id}",
        data={"m-due_on": "2027-01-22"},
    )

    assert response.status_code == 302
    assert milestone.due_on == date(2027, 1, 22)


def test_milestone_route_forbidden_for_coordinator(client, login, gn):
    login(gn["coord_a"])
    milestone = gn["movement"].milestones[1]

    response = client.post(
        f"/manage/movements/{gn['movement'].id}/milestones/{milestone.id}",
        data={"m-due_on": "2027-01-22"},
    )

    assert response.status_code == 403


# --- a school's pages: its coordinator and the district; never another school ---------------------


@pytest.mark.parametrize("who", ["coord_a", "organizer", "admin"])
def test_school_page_allowed(client, login, gn, urls, who):
    login(gn[who])

    assert client.get(urls["school"]).status_code == 200


@pytest.mark.parametrize("who", ["coord_b"])
def test_school_page_forbidden_for_other_school(client, login, gn, urls, who):
    login(gn[who])

    assert client.get(urls["school"]).status_code == 403


def test_school_page_anonymous_forbidden(client, gn, urls):
    assert client.get(urls["school"]).status_code in (302, 403)


@pytest.mark.parametrize("fmt", ["xlsx", "pdf"])
def test_school_report_allowed_for_coordinator(client, login, gn, urls, fmt):
    login(gn["coord_a"])

    response = client.get(f"{urls['school']}/report.{fmt}")

    assert response.status_code == 200
    assert response.data[:4] == (b"PK\x03\x04" if fmt == "xlsx" else b"%PDF")


@pytest.mark.parametrize("fmt", ["xlsx", "pdf"])
def test_school_report_forbidden_for_other_school(client, login, gn, urls, fmt):
    login(gn["coord_b"])

    assert client.get(f"{urls['school']}/report.{fmt}").status_code == 403


def test_activity_page_allowed_for_own_coordinator(client, login, gn, urls):
    login(gn["coord_a"])

    response = client.get(f"/movement/activities/{urls['activity'].id}")

    assert response.status_code == 200
    assert 'data-testid="evidence-form"' in response.get_data(as_text=True)


def test_activity_page_forbidden_for_other_school(client, login, gn, urls):
    login(gn["coord_b"])

    assert client.get(f"/movement/activities/{urls['activity'].id}").status_code == 403


def test_evidence_download_allowed_for_district(client, login, gn, urls):
    login(gn["organizer"])

    response = client.get(f"/movement/evidence/{urls['evidence'].id}")

    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"


def test_evidence_download_forbidden_for_other_school(client, login, gn, urls):
    login(gn["coord_b"])

    assert client.get(f"/movement/evidence/{urls['evidence'].id}").status_code == 403


def test_new_activity_route(client, login, gn):
    login(gn["coord_a"])
    path = f"/movement/{gn['movement'].id}/schools/{gn['a'].id}/activities/new"

    page = client.get(path)
    response = client.post(
        path,
        data={
            "criterion_id": gn["c3"].id,
            "title": "Tập huấn",
            "happened_on": "2026-10-01",
            "participants": "30",
            "self_score": "40",
        },
    )

    assert page.status_code == 200
    assert response.status_code == 302
    assert [a.title for a in services.activities_for(gn["movement"], gn["a"])] == ["Tập huấn"]


@pytest.mark.parametrize("who", ["coord_b", "organizer"])
def test_new_activity_forbidden_for_others(client, login, gn, who):
    login(gn[who])

    response = client.get(f"/movement/{gn['movement'].id}/schools/{gn['a'].id}/activities/new")

    assert response.status_code == 403


def test_edit_activity_route(client, login, gn, urls):
    login(gn["coord_a"])
    activity = urls["activity"]

    response = client.post(
        f"/movement/activities/{activity.id}/edit",
        data={
            "criterion_id": gn["c3"].id,
            "title": "Đổi tên",
            "happened_on": "2026-10-01",
            "self_score": "12",
        },
    )

    assert response.status_code == 302
    assert (activity.title, activity.self_score) == ("Đổi tên", 12)


def test_edit_activity_forbidden_for_other_school(client, login, gn, urls):
    login(gn["coord_b"])

    assert client.get(f"/movement/activities/{urls['activity'].id}/edit").status_code == 403


def test_add_evidence_route_photo(client, login, gn, urls):
    login(gn["coord_a"])
    activity = urls["activity"]

    response = client.post(
        f"/movement/activities/{activity.id}/evidence",
        data={"e-file": (io.BytesIO(PDF_BYTES), "kh.pdf")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 302
    assert [e.kind.value for e in activity.evidence] == ["photo", "file"]


def test_add_evidence_route_crafted_file_stores_nothing(client, login, gn, urls, db):
    login(gn["coord_a"])
    activity = urls["activity"]

    response = client.post(
        f"/movement/activities/{activity.id}/evidence",
        data={"e-file": (io.BytesIO(b"GIF89a<?php system($_GET[c]); ?>"), "x.jpg")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 302
    assert db.session.query(Evidence).count() == 1


def test_add_evidence_forbidden_for_district(client, login, gn, urls):
    login(gn["organizer"])

    response = client.post(
        f"/movement/activities/{urls['activity'].id}/evidence", data={"e-url": "https://a.vn/x"}
    )

    assert response.status_code == 403


def test_delete_evidence_route(client, login, gn, urls, db):
    login(gn["coord_a"])

    response = client.post(f"/movement/evidence/{urls['evidence'].id}/delete")

    assert response.status_code == 302
    assert db.session.query(Evidence).count() == 0


def test_delete_evidence_forbidden_for_other_school(client, login, gn, urls, db):
    login(gn["coord_b"])

    assert client.post(f"/movement/evidence/{urls['evidence'].id}/delete").status_code == 403
    assert db.session.query(Evidence).count() == 1


def test_submit_route(client, login, gn, urls):
    login(gn["coord_a"])

    response = client.post(f"/movement/activities/{urls['activity'].id}/submit")

    assert response.status_code == 302
    assert urls["activity"].status == ActivityStatus.SUBMITTED


def test_submit_forbidden_for_other_school(client, login, gn, urls):
    login(gn["coord_b"])

    assert client.post(f"/movement/activities/{urls['activity'].id}/submit").status_code == 403
    assert urls["activity"].status == ActivityStatus.DRAFT


def test_delete_draft_route(client, login, gn, urls, db):
    login(gn["coord_a"])

    response = client.post(f"/movement/activities/{urls['activity'].id}/delete")

    assert response.status_code == 302
    assert services.activities_for(gn["movement"], gn["a"]) == []


def test_delete_draft_forbidden_for_district(client, login, gn, urls):
    login(gn["organizer"])

    assert client.post(f"/movement/activities/{urls['activity'].id}/delete").status_code == 403


def test_verify_route_return_then_approve(client, login, gn, urls, frozen):
    activity = urls["activity"]
    services.submit_activity(actor=gn["coord_a"], activity=activity)
    login(gn["organizer"])

    returned = client.post(
        f"/movement/activities/{activity.id}/verify",
        data={"v-action": "return", "v-comment": "Thêm ảnh.", "v-deadline": "2026-12-05"},
    )
    status_after_return = activity.status
    services.submit_activity(actor=gn["coord_a"], activity=activity)
    approved = client.post(
        f"/movement/activities/{activity.id}/verify",
        data={"v-action": "approve", "v-points": "8", "v-comment": "Giảm vì thiếu danh sách."},
    )

    assert (returned.status_code, approved.status_code) == (302, 302)
    assert status_after_return == ActivityStatus.RETURNED
    assert (activity.status, activity.awarded_points) == (ActivityStatus.APPROVED, 8)


def test_verify_forbidden_for_coordinator(client, login, gn, urls):
    activity = urls["activity"]
    services.submit_activity(actor=gn["coord_a"], activity=activity)
    login(gn["coord_a"])

    response = client.post(
        f"/movement/activities/{activity.id}/verify", data={"v-action": "approve"}
    )

    assert response.status_code == 403
    assert activity.status == ActivityStatus.SUBMITTED


def test_lock_and_reopen_routes(client, login, gn, urls):
    login(gn["organizer"])
    milestone = gn["movement"].milestones[1]

    locked = client.post(f"{urls['school']}/lock", data={"lock-milestone_id": milestone.id})
    is_locked = services.assessment_for(gn["movement"], gn["a"]).is_locked
    reopened = client.post(f"{urls['school']}/reopen", data={"reopen-reason": "Sai số liệu"})

    assert (locked.status_code, reopened.status_code) == (302, 302)
    assert is_locked is True
    assert services.assessment_for(gn["movement"], gn["a"]).is_locked is False


@pytest.mark.parametrize("action", ["lock", "reopen"])
def test_lock_and_reopen_forbidden_for_coordinator(client, login, gn, urls, action):
    login(gn["coord_a"])

    assert client.post(f"{urls['school']}/{action}", data={}).status_code == 403


# --- exports hold the expected values --------------------------------------------------------


def test_district_xlsx_holds_scores_and_tiers(client, login, gn, submitted):
    activity = submitted(score=50)
    services.approve_activity(actor=gn["organizer"], activity=activity)
    login(gn["organizer"])

    response = client.get(f"/manage/movements/{gn['movement'].id}/report.xlsx")

    sheet = load_workbook(io.BytesIO(response.data))["Xếp hạng"]
    rows = {r[2]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["A"][1] == 1
    assert rows["A"][4:8] == (50, 100, 50, "Đạt")
    assert rows["B"][4:8] == (0, 100, 0, "Chưa đạt")


def test_school_xlsx_holds_criteria_and_activities(client, login, gn, submitted):
    activity = submitted(score=30)
    services.approve_activity(actor=gn["organizer"], activity=activity)
    login(gn["coord_a"])

    response = client.get(f"/movement/{gn['movement'].id}/schools/{gn['a'].id}/report.xlsx")

    workbook = load_workbook(io.BytesIO(response.data))
    summary = dict(workbook["Tổng hợp"].iter_rows(min_row=2, values_only=True))
    criteria = list(workbook["Tiêu chí"].iter_rows(min_row=2, values_only=True))
    activities = list(workbook["Hoạt động"].iter_rows(min_row=2, values_only=True))
    assert summary["Tổng điểm"] == 30
    assert summary["Xếp loại"] == "Chưa đạt"
    assert [c[0] for c in criteria] == ["1", "2", "3"]
    assert criteria[2][3] == 30
    assert activities[0][5:7] == (30, "Đã duyệt")


def test_dashboard_shows_score_change(client, login, gn, submitted, new_activity):
    services.approve_activity(actor=gn["organizer"], activity=submitted(score=50))
    activity = new_activity(criterion="c2", score=20)
    services.add_link(actor=gn["coord_a"], activity=activity, url="https://thcs.edu.vn/tin")
    services.submit_activity(actor=gn["coord_a"], activity=activity)
    login(gn["organizer"])
    path = f"/manage/movements/{gn['movement'].id}/dashboard"
    before = client.get(path).get_data(as_text=True)

    services.approve_activity(actor=gn["organizer"], activity=activity)
    after = client.get(path).get_data(as_text=True)

    assert 'data-tier="pass"' in before.split('data-testid="dashboard-row-A"')[1].split("</tr>")[0]
    row = after.split('data-testid="dashboard-row-A"')[1].split("</tr>")[0]
    assert ">70<" in row and 'data-tier="good"' in row


# --- API ------------------------------------------------------------------------------------


def test_api_standings_public(client, gn):
    response = client.get(f"/api/v1/movements/{gn['movement'].id}/standings")

    body = response.get_json()
    assert response.status_code == 200
    assert [s["school_code"] for s in body["schools"]] == ["A", "B"]
    assert body["schools"][0]["tier"] == "fail"


def test_api_standings_unknown_movement(client, gn):
    assert client.get("/api/v1/movements/999/standings").status_code == 404


def test_api_assessment_for_own_coordinator(client, login, gn, urls):
    login(gn["coord_a"])

    response = client.get(f"/api/v1/movements/{gn['movement'].id}/schools/{gn['a'].id}/assessment")

    body = response.get_json()
    assert response.status_code == 200
    assert [c["code"] for c in body["criteria"]] == ["1", "2", "3"]
    assert body["activities"][0]["status"] == "draft"


def test_api_assessment_forbidden_for_other_school(client, login, gn, urls):
    login(gn["coord_b"])

    response = client.get(f"/api/v1/movements/{gn['movement'].id}/schools/{gn['a'].id}/assessment")

    assert response.status_code == 403


def test_api_assessment_anonymous_401(client, gn):
    response = client.get(f"/api/v1/movements/{gn['movement'].id}/schools/{gn['a'].id}/assessment")

    assert response.status_code == 401


def test_openapi_lists_operation_ids(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    ids = {
        op.get("operationId")
        for path in spec["paths"].values()
        for op in path.values()
        if isinstance(op, dict)
    }
    assert {"getMovementStandings", "getSchoolAssessment", "submitSafetyReport"} <= ids


def test_pdf_evidence_is_downloaded_not_rendered(client, login, gn, new_activity, db):
    activity = new_activity()
    evidence = services.add_pdf(
        actor=gn["coord_a"], activity=activity, data=PDF_BYTES, filename="ke-hoach.pdf"
    )
    login(gn["organizer"])

    response = client.get(f"/movement/evidence/{evidence.id}")

    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_dashboard_query_count_does_not_grow_with_schools(client, login, gn, make, db):
    import sqlalchemy as sa

    login(gn["organizer"])
    path = f"/manage/movements/{gn['movement'].id}/dashboard"

    def count():
        seen = []
        listener = lambda *args, **kwargs: seen.append(1)  # noqa: E731
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(path).status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    few = count()
    for _ in range(8):
        make.school()
    many = count()

    assert many == few
    assert few <= 15


def test_edit_criterion_route_audits_change(client, login, gn):
    login(gn["organizer"])
    path = f"/manage/movements/{gn['movement'].id}/criteria/{gn['c3'].id}/edit"

    page = client.get(path)
    response = client.post(
        path,
        data={
            "c-level": "THCS",
            "c-title": "Tập huấn giáo viên",
            "c-max_points": "40",
            "c-max_count": "1",
        },
    )

    from core import audit

    entry = audit.history("criterion", gn["c3"].id)[-1]
    assert (page.status_code, response.status_code) == (200, 302)
    assert (gn["c3"].title, gn["c3"].max_points) == ("Tập huấn giáo viên", 40)
    assert (entry.before["max_points"], entry.after["max_points"]) == (50, 40)


def test_edit_criterion_forbidden_for_coordinator(client, login, gn):
    login(gn["coord_a"])

    path = f"/manage/movements/{gn['movement'].id}/criteria/{gn['c3'].id}/edit"
    assert client.get(path).status_code == 403


def test_delete_unused_criterion_route(client, login, gn):
    login(gn["organizer"])

    response = client.post(f"/manage/movements/{gn['movement'].id}/criteria/{gn['c2'].id}/delete")

    codes = [c.code for c in services.current_set(gn["movement"], gn["a"].level).criteria]
    assert response.status_code == 302
    assert codes == ["1", "3"]


def test_delete_used_criterion_refused(gn, new_activity):
    new_activity(criterion="c3")

    import pytest as _pytest

    from core.errors import Conflict

    with _pytest.raises(Conflict):
        services.delete_criterion(actor=gn["organizer"], criterion=gn["c3"])


def test_delete_criterion_forbidden_for_coordinator(client, login, gn):
    login(gn["coord_a"])

    response = client.post(f"/manage/movements/{gn['movement'].id}/criteria/{gn['c2'].id}/delete")

    assert response.status_code == 403


def test_create_movement_attached_to_campaign(client, login, gn, db):
    from campaign.campaigns.models import Campaign, CampaignStatus

    campaign = Campaign(
        slug="c1",
        title="Chiến dịch",
        starts_on=date(2027, 9, 1),
        ends_on=date(2028, 5, 31),
        status=CampaignStatus.PUBLISHED,
    )
    db.session.add(campaign)
    db.session.flush()
    login(gn["organizer"])

    client.post(
        "/manage/movements",
        data={"school_year": "2027-2028", "title": "Năm sau", "campaign_id": campaign.id},
    )
    page = client.get("/campaigns/c1").get_data(as_text=True)

    assert services.movements()[0].campaign_id == campaign.id
    assert "Năm sau" in page.split('data-testid="campaign-contents"')[1]


def test_lock_all_route_locks_each_open_school_once(client, login, gn):
    login(gn["organizer"])
    midterm = gn["movement"].milestones[1]
    path = f"/manage/movements/{gn['movement'].id}/lock?level=THCS"

    first = client.post(path, data={"lock-milestone_id": midterm.id})
    again = services.lock_all(actor=gn["organizer"], movement=gn["movement"], milestone=midterm)

    assert first.status_code == 302
    assert services.assessment_for(gn["movement"], gn["a"]).is_locked is True
    assert services.assessment_for(gn["movement"], gn["b"]).is_locked is True
    assert again == (0, [])


def test_lock_all_forbidden_for_coordinator(client, login, gn):
    login(gn["coord_a"])
    midterm = gn["movement"].milestones[1]

    response = client.post(
        f"/manage/movements/{gn['movement'].id}/lock", data={"lock-milestone_id": midterm.id}
    )

    assert response.status_code == 403


def test_cli_export_writes_district_summary(app, gn, tmp_path):
    path = tmp_path / "tong-hop.xlsx"

    result = app.test_cli_runner().invoke(
        args=["movement", "export", "--year", "2026-2027", str(path)]
    )

    assert result.exit_code == 0, result.output
    sheet = load_workbook(path)["Xếp hạng"]
    assert [r[2] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["A", "B"]


def test_cli_export_in_english(app, gn, tmp_path):
    path = tmp_path / "summary.xlsx"

    result = app.test_cli_runner().invoke(
        args=["movement", "export", "--year", "2026-2027", "--language", "en", str(path)]
    )

    assert result.exit_code == 0, result.output
    workbook = load_workbook(path)
    assert "Ranking" in workbook.sheetnames and "Xếp hạng" not in workbook.sheetnames


def test_a_polyglot_pdf_is_refused_and_stores_nothing(client, login, gn, urls, db):
    login(gn["coord_a"])
    activity = urls["activity"]

    response = client.post(
        f"/movement/activities/{activity.id}/evidence",
        data={"e-file": (io.BytesIO(POLYGLOT_PDF), "../../evil.html")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 302
    assert db.session.query(Evidence).count() == 1


def test_a_pdf_without_pages_is_refused(gn, new_activity):
    from core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as raised:
        services.add_pdf(
            actor=gn["coord_a"], activity=new_activity(), data=POLYGLOT_PDF, filename="kh.pdf"
        )

    assert raised.value.field == "file"


@pytest.mark.parametrize(
    ("uploaded", "served"),
    [
        ("../../evil.html", "evil.html.pdf"),
        ("..\\..\\Kế hoạch\r\n.pdf", "Kế hoạch.pdf"),
        ("", "minh-chung.pdf"),
    ],
)
def test_evidence_is_downloaded_under_a_sanitized_name(
    client, login, gn, new_activity, uploaded, served
):
    from urllib.parse import quote

    activity = new_activity()
    evidence = services.add_pdf(
        actor=gn["coord_a"], activity=activity, data=PDF_BYTES, filename=uploaded
    )
    login(gn["organizer"])

    response = client.get(f"/movement/evidence/{evidence.id}")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert "/" not in disposition.replace(quote(served), "")
    if served.isascii():
        assert disposition == f"attachment; filename={served}"
    else:
        assert disposition.endswith(f"filename*=UTF-8''{quote(served)}")


def test_photo_evidence_is_served_with_nosniff(client, login, gn, urls):
    login(gn["organizer"])

    response = client.get(f"/movement/evidence/{urls['evidence'].id}")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_edit_criterion_route_asks_for_a_new_version_when_schools_are_scored(
    client, login, gn, new_activity
):
    new_activity(criterion="c3")
    login(gn["organizer"])
    path = f"/manage/movements/{gn['movement'].id}/criteria/{gn['c3'].id}/edit"
    data = {"c-level": "THCS", "c-title": gn["c3"].title, "c-max_points": "55", "c-max_count": "1"}

    refused = client.post(path, data=data)
    saved = client.post(path, data={**data, "c-as_new_version": "y"})

    assert refused.status_code == 200
    assert "/100 → /105" in refused.get_data(as_text=True)
    assert saved.status_code == 302
    versions = services.criteria_versions(gn["movement"], gn["a"].level)
    assert [(v.version, v.max_total) for v in versions] == [(1, 100.0), (2, 105.0)]
