"""Every kernel route: one request by someone allowed, one by someone refused."""

import io

import pytest

from core.accounts.models import Role


@pytest.fixture
def world(make, db):
    school = make.school("THCS-A")
    other = make.school("THCS-B")
    klass = make.school_class(school, "8A1")
    other_class = make.school_class(other, "8A1")
    return {
        "school": school,
        "other": other,
        "class": klass,
        "other_class": other_class,
        "admin": make.admin(),
        "organizer": make.organizer(),
        "coordinator": make.coordinator(school),
        "student": make.student(klass),
        "target": make.user("target"),
    }


def test_schools_index_admin_allowed_student_forbidden(client, login, world):
    login(world["admin"])
    assert client.get("/admin/schools").status_code == 200
    login(world["student"])
    assert client.get("/admin/schools").status_code == 403


def test_school_edit_admin_allowed_organizer_forbidden(client, login, world):
    school = world["school"]
    login(world["admin"])
    response = client.post(
        f"/admin/schools/{school.id}/edit",
        data={"code": "THCS-A", "name": "Trường THCS A mới", "level": "THCS"},
    )
    assert response.status_code == 302
    assert school.name == "Trường THCS A mới"
    login(world["organizer"])
    assert client.get(f"/admin/schools/{school.id}/edit").status_code == 403


def test_school_new_admin_allowed_anonymous_redirected(client, login, world):
    response = client.get("/admin/schools/new")
    assert response.status_code == 302 and "/login" in response.location
    login(world["admin"])
    response = client.post(
        "/admin/schools/new", data={"code": "mn-x", "name": "Trường Mầm non X", "level": "MN"}
    )
    assert response.status_code == 302


def test_school_new_duplicate_code_shows_message_beside_field(client, login, world):
    login(world["admin"])

    response = client.post(
        "/admin/schools/new", data={"code": "THCS-A", "name": "Trùng", "level": "THCS"}
    )

    body = response.get_data(as_text=True)
    assert 'id="code-error"' in body and "Đã có trường khác dùng mã THCS-A." in body


def test_school_show_own_coordinator_allowed_other_school_forbidden(client, login, world):
    login(world["coordinator"])
    assert client.get(f"/schools/{world['school'].id}").status_code == 200
    assert client.get(f"/schools/{world['other'].id}").status_code == 403


def test_add_class_own_coordinator_allowed_other_forbidden(client, login, world):
    login(world["coordinator"])
    ok = client.post(f"/schools/{world['school'].id}/classes", data={"name": "9a2"})
    assert ok.status_code == 302
    assert "9A2" in [c.name for c in world["school"].classes]
    assert (
        client.post(f"/schools/{world['other'].id}/classes", data={"name": "9A2"}).status_code
        == 403
    )


def test_users_admin_allowed_coordinator_forbidden(client, login, world):
    login(world["admin"])
    body = client.get("/admin/users?q=target").get_data(as_text=True)
    assert "target" in body
    login(world["coordinator"])
    assert client.get("/admin/users").status_code == 403


def test_new_user_admin_creates_with_temporary_password(client, login, world):
    login(world["admin"])
    response = client.post(
        "/admin/users/new", data={"username": "gv.hoa", "full_name": "Lê Thị Hoa", "school_id": "0"}
    )
    assert response.status_code == 302
    login(world["organizer"])
    assert (
        client.post("/admin/users/new", data={"username": "x1", "full_name": "X"}).status_code
        == 403
    )


def test_edit_user_admin_allowed_student_forbidden(client, login, world):
    target = world["target"]
    login(world["admin"])
    assert client.get(f"/admin/users/{target.id}").status_code == 200
    response = client.post(
        f"/admin/users/{target.id}",
        data={"username": "target", "full_name": "Tên Mới", "school_id": "0"},
    )
    assert response.status_code == 302 and target.full_name == "Tên Mới"
    login(world["student"])
    assert client.get(f"/admin/users/{target.id}").status_code == 403


def test_grant_and_revoke_role_admin_allowed_coordinator_forbidden(client, login, world):
    target = world["target"]
    login(world["admin"])
    client.post(f"/admin/users/{target.id}/roles", data={"role": "judge", "school_id": "0"})
    assert target.roles == {Role.JUDGE}
    assignment = target.role_assignments[0]
    login(world["coordinator"])
    assert (
        client.post(
            f"/admin/users/{target.id}/roles", data={"role": "admin", "school_id": "0"}
        ).status_code
        == 403
    )
    assert client.post(f"/admin/users/{target.id}/roles/{assignment.id}/revoke").status_code == 403
    login(world["admin"])
    client.post(f"/admin/users/{target.id}/roles/{assignment.id}/revoke")
    assert target.roles == set()


def test_reset_password_admin_allowed_organizer_forbidden(client, login, world):
    target = world["target"]
    login(world["admin"])
    response = client.post(f"/admin/users/{target.id}/reset-password", follow_redirects=True)
    assert "Mật khẩu tạm mới của target" in response.get_data(as_text=True)
    login(world["organizer"])
    assert client.post(f"/admin/users/{target.id}/reset-password").status_code == 403


def test_set_active_admin_allowed_student_forbidden(client, login, world):
    target = world["target"]
    login(world["admin"])
    client.post(f"/admin/users/{target.id}/active", data={"active": "0"})
    assert target.active is False
    login(world["student"])
    assert client.post(f"/admin/users/{target.id}/active", data={"active": "1"}).status_code == 403


def test_class_roster_own_coordinator_allowed_other_forbidden(client, login, world):
    login(world["coordinator"])
    body = client.get(f"/schools/{world['school'].id}/classes/{world['class'].id}").get_data(
        as_text=True
    )
    assert world["student"].full_name in body
    assert (
        client.get(f"/schools/{world['other'].id}/classes/{world['other_class'].id}").status_code
        == 403
    )
    # A class id of another school under one's own school is not found, not leaked.
    assert (
        client.get(f"/schools/{world['school'].id}/classes/{world['other_class'].id}").status_code
        == 404
    )


def test_slips_own_coordinator_allowed_student_forbidden(client, login, world):
    login(world["coordinator"])
    response = client.post(f"/schools/{world['school'].id}/classes/{world['class'].id}/slips.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    login(world["student"])
    assert (
        client.post(
            f"/schools/{world['school'].id}/classes/{world['class'].id}/slips.pdf"
        ).status_code
        == 403
    )


def test_roster_template_coordinator_allowed_other_school_forbidden(client, login, world):
    from openpyxl import load_workbook

    login(world["coordinator"])
    response = client.get(f"/schools/{world['school'].id}/roster/template.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in sheet[1]] == [
        "Mã học sinh",
        "Họ và tên",
        "Ngày sinh",
        "Lớp",
        "Giới tính",
    ]
    assert client.get(f"/schools/{world['other'].id}/roster/template.xlsx").status_code == 403


def test_import_roster_page_coordinator_allowed_other_forbidden(client, login, world):
    login(world["coordinator"])
    assert client.get(f"/schools/{world['school'].id}/roster/import").status_code == 200
    assert client.get(f"/schools/{world['other'].id}/roster/import").status_code == 403


def test_import_roster_json_report_for_bad_file(client, login, world):
    login(world["coordinator"])
    data = "Mã học sinh,Họ và tên,Ngày sinh,Lớp\nHS1,,01/01/2012,8A1\n".encode()

    response = client.post(
        f"/schools/{world['school'].id}/roster/import",
        data={"file": (io.BytesIO(data), "ds.csv")},
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 400
    assert response.get_json()["errors"] == [
        {"row": 2, "column": "Họ và tên", "message": "Thiếu họ và tên."}
    ]


def test_import_roster_html_report_for_good_file(client, login, world):
    login(world["coordinator"])
    data = "Mã học sinh,Họ và tên,Ngày sinh,Lớp\nHS1,Ngô Bảo Anh,01/01/2012,8A1\n".encode()

    response = client.post(
        f"/schools/{world['school'].id}/roster/import", data={"file": (io.BytesIO(data), "ds.csv")}
    )

    assert response.status_code == 200
    assert 'data-testid="import-ok"' in response.get_data(as_text=True)


def test_import_roster_wrong_extension_refused_beside_field(client, login, world):
    login(world["coordinator"])

    response = client.post(
        f"/schools/{world['school'].id}/roster/import", data={"file": (io.BytesIO(b"x"), "ds.pdf")}
    )

    assert response.status_code == 400
    assert "Chỉ nhập được tệp .xlsx hoặc .csv." in response.get_data(as_text=True)


def test_change_password_page_signed_in_allowed(client, login, world):
    login(world["student"])
    assert client.get("/account/password").status_code == 200


def test_me_signed_in_allowed_anonymous_refused(client, login, world):
    assert client.get("/api/v1/me").status_code == 401
    login(world["student"])
    assert client.get("/api/v1/me").get_json()["roles"] == ["student"]


def test_my_school_coordinator_redirected_student_forbidden(client, login, world):
    login(world["coordinator"])
    assert client.get("/my-school").location == f"/schools/{world['school'].id}"
    login(world["student"])
    assert client.get("/my-school").status_code == 403


def test_audit_log_admin_allowed_organizer_forbidden(client, login, world):
    from core import audit

    audit.record(
        actor=world["admin"], action="roster.import", obj=world["school"], after={"rows": 3}
    )
    login(world["admin"])
    body = client.get("/admin/audit?action=roster").get_data(as_text=True)
    assert "roster.import" in body and '{"rows": 3}' in body
    login(world["organizer"])
    assert client.get("/admin/audit").status_code == 403
