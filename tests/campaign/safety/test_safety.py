import pytest
import sqlalchemy as sa

from campaign.safety import services
from campaign.safety.models import ReportStatus, SafetyReport
from core.accounts.models import Role
from core.audit import AuditEntry
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.notifications.models import Notification

WHAT = "Một nhóm chat đăng ảnh chế giễu bạn em."


@pytest.fixture
def world(make):
    school_a = make.school("A", hotline="024 1111 2222")
    school_b = make.school("B")
    return {
        "a": school_a,
        "b": school_b,
        "staff_a": make.user(None, Role.SAFEGUARDING, school_=school_a),
        "staff_b": make.user(None, Role.SAFEGUARDING, school_=school_b),
        "district": make.user(None, Role.SAFEGUARDING),
        "admin": make.admin(),
        "organizer": make.organizer(),
        "coord_a": make.coordinator(school_a),
        "judge": make.user(None, Role.JUDGE, school_=school_a),
        "student_a": make.student(make.school_class(school_a)),
    }


def _report(world, **kw):
    return services.submit_report(school_id=world["a"].id, what_happened=WHAT, **kw)


def test_submit_report_routes_to_school_and_district_staff(world, db):
    report = _report(world)

    told = set(
        db.session.scalars(
            sa.select(Notification.user_id).where(Notification.kind == "safety_report_received")
        )
    )
    assert report.status == ReportStatus.RECEIVED
    assert told == {world["staff_a"].id, world["district"].id}
    assert report.reference.startswith("AT-")


def test_submit_report_anonymous_drops_contact_and_reporter(world):
    report = _report(world, contact="0912", anonymous=True, reporter=world["student_a"])

    assert report.contact is None
    assert report.reporter_id is None


def test_submit_report_named_keeps_contact_and_reporter(world):
    report = _report(world, contact="0912", anonymous=False, reporter=world["student_a"])

    assert report.contact == "0912"
    assert report.reporter_id == world["student_a"].id


def test_submit_report_too_short_refused(world):
    with pytest.raises(ValidationFailed):
        services.submit_report(school_id=world["a"].id, what_happened="ngắn")


@pytest.mark.parametrize("who", ["staff_a", "district"])
def test_open_report_allowed_and_logged(world, db, who):
    report = _report(world)

    opened = services.open_report(user=world[who], report_id=report.id)

    reads = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.action == "safety.read", AuditEntry.object_id == str(report.id)
        )
    ).all()
    assert opened is report
    assert [r.actor_id for r in reads] == [world[who].id]


@pytest.mark.parametrize("who", ["staff_b", "admin", "organizer", "coord_a", "judge", "student_a"])
def test_open_report_refused_for_everyone_else(world, who):
    report = _report(world)

    with pytest.raises(NotFound):
        services.open_report(user=world[who], report_id=report.id)


def test_reports_for_scopes_by_school(world):
    mine = _report(world)
    services.submit_report(school_id=world["b"].id, what_happened=WHAT)

    assert services.reports_for(world["staff_a"]) == [mine]
    assert len(services.reports_for(world["district"])) == 2
    assert services.reports_for(world["admin"]) == []


def test_change_status_walks_the_workflow_and_audits(world):
    report = _report(world)
    staff = world["staff_a"]

    services.change_status(user=staff, report=report, status=ReportStatus.VERIFYING)
    services.change_status(
        user=staff,
        report=report,
        status=ReportStatus.FORWARDED,
        forwarded_to="111",
        note="Đã báo tổng đài 111.",
    )

    trail = services.read_log(report)
    assert report.status == ReportStatus.FORWARDED
    assert report.forwarded_to == "111"
    assert [(e.before["status"], e.after["status"]) for e in trail] == [
        ("received", "verifying"),
        ("verifying", "forwarded"),
    ]
    assert trail[1].reason is None
    assert trail[1].after["note_added"] is True
    assert "Đã báo tổng đài 111." in report.staff_note


def test_change_status_forward_needs_target(world):
    report = _report(world)

    with pytest.raises(ValidationFailed):
        services.change_status(
            user=world["staff_a"], report=report, status=ReportStatus.FORWARDED, note="x"
        )


def test_change_status_handled_needs_note(world):
    report = _report(world)

    with pytest.raises(ValidationFailed):
        services.change_status(user=world["staff_a"], report=report, status=ReportStatus.HANDLED)


def test_change_status_backwards_refused(world):
    report = _report(world)
    services.change_status(user=world["staff_a"], report=report, status=ReportStatus.VERIFYING)

    with pytest.raises(Conflict):
        services.change_status(user=world["staff_a"], report=report, status=ReportStatus.RECEIVED)


def test_change_status_other_school_refused(world):
    report = _report(world)

    with pytest.raises(Forbidden):
        services.change_status(user=world["staff_b"], report=report, status=ReportStatus.VERIFYING)


# --- routes --------------------------------------------------------------------------------


def test_teaching_page_public(client):
    response = client.get("/safety/")

    assert response.status_code == 200
    assert "111" in response.get_data(as_text=True)


def test_teaching_page_post_not_allowed(client):
    assert client.post("/safety/").status_code == 405


def test_student_pages_show_help_lines_and_school_hotline(world, client, login):
    login(world["student_a"])

    body = client.get("/").get_data(as_text=True)

    assert 'data-testid="safety-corner"' in body
    assert "tel:111" in body and "tel:113" in body
    assert "024 1111 2222" in body


def test_non_student_pages_have_no_safety_corner(world, client, login):
    login(world["organizer"])

    body = client.get("/").get_data(as_text=True)

    assert 'data-testid="safety-corner"' not in body


def test_report_form_anonymous_visitor_files_report(world, client, db):
    form = client.get("/safety/report")
    response = client.post(
        "/safety/report",
        data={"school_id": world["a"].id, "what_happened": WHAT, "anonymous": "y"},
    )

    assert form.status_code == 200
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/safety/report/received")
    received = client.get("/safety/report/received").get_data(as_text=True)
    report = db.session.scalar(sa.select(SafetyReport))
    assert report.reference in received
    assert report.reporter_id is None


def test_report_received_without_report_redirects(client):
    response = client.get("/safety/report/received")

    assert response.status_code == 302


def test_report_form_rate_limited(world, client, app):
    data = {"school_id": world["a"].id, "what_happened": WHAT, "anonymous": "y"}
    limit = int(app.config["SAFETY_REPORT_LIMIT"].split()[0])
    statuses = [client.post("/safety/report", data=data).status_code for _ in range(limit + 1)]

    assert statuses == [302] * limit + [429]


def test_inbox_allowed_for_designated_staff(world, client, login):
    _report(world)
    login(world["staff_a"])

    response = client.get("/safety/reports")

    assert response.status_code == 200


@pytest.mark.parametrize("who", ["admin", "organizer", "coord_a", "judge"])
def test_inbox_forbidden_for_others(world, client, login, who):
    login(world[who])

    assert client.get("/safety/reports").status_code == 403


def test_inbox_anonymous_redirected_to_sign_in(client):
    assert client.get("/safety/reports").status_code == 302


def test_show_report_allowed_and_logged(world, client, login, db):
    report = _report(world)
    login(world["staff_a"])

    response = client.get(f"/safety/reports/{report.id}")

    assert response.status_code == 200
    assert WHAT in response.get_data(as_text=True)
    assert [e.action for e in services.read_log(report)] == ["safety.read"]


def test_show_report_other_school_staff_not_found(world, client, login):
    report = _report(world)
    login(world["staff_b"])

    assert client.get(f"/safety/reports/{report.id}").status_code == 404
    assert services.read_log(report) == []


def test_change_status_route_allowed(world, client, login):
    report = _report(world)
    login(world["staff_a"])

    response = client.post(f"/safety/reports/{report.id}/status", data={"status": "verifying"})

    assert response.status_code == 302
    assert report.status == ReportStatus.VERIFYING


def test_change_status_route_forbidden_for_organizer(world, client, login):
    report = _report(world)
    login(world["organizer"])

    response = client.post(f"/safety/reports/{report.id}/status", data={"status": "verifying"})

    assert response.status_code == 403
    assert report.status == ReportStatus.RECEIVED


def test_api_submit_safety_report_anonymous(world, client, db):
    response = client.post(
        "/api/v1/safety/reports", json={"school_id": world["a"].id, "what_happened": WHAT}
    )

    assert response.status_code == 201
    assert response.get_json()["status"] == "received"
    assert db.session.scalar(sa.select(sa.func.count(SafetyReport.id))) == 1


def test_api_submit_safety_report_invalid_body_stores_nothing(client, db):
    response = client.post("/api/v1/safety/reports", json={"what_happened": "x"})

    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(SafetyReport.id))) == 0


@pytest.mark.parametrize("school_id", [2**31, 6273253618426350068039680, 0, -1])
def test_api_submit_safety_report_school_id_out_of_range_is_a_400(client, db, school_id):
    """Found by the API fuzz test on PostgreSQL: an id past a database integer was a 500."""
    response = client.post(
        "/api/v1/safety/reports", json={"school_id": school_id, "what_happened": WHAT}
    )

    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(SafetyReport.id))) == 0


def test_api_submit_safety_report_rate_limited(world, client, app):
    body = {"school_id": world["a"].id, "what_happened": WHAT}
    limit = int(app.config["SAFETY_REPORT_LIMIT"].split()[0])
    statuses = [
        client.post("/api/v1/safety/reports", json=body).status_code for _ in range(limit + 1)
    ]

    assert statuses[-1] == 429
    assert statuses[:-1] == [201] * limit
