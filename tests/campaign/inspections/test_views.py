import io
from datetime import date

import pytest

from campaign.greennet.models import ActivityStatus
from campaign.inspections import services
from campaign.inspections.models import Inspection, InspectionKind, InspectionStatus, Rating
from core.audit import history
from core.extensions import db
from tests.campaign.greennet.conftest import png_bytes


@pytest.fixture
def planned(gn):
    return services.plan_inspection(
        actor=gn["organizer"],
        movement=gn["movement"],
        school=gn["a"],
        kind=InspectionKind.REGULAR,
        starts_on=date(2027, 3, 10),
        ends_on=date(2027, 3, 11),
        team="Phạm Văn Hải - Chuyên viên, Trưởng đoàn",
        scope="Hồ sơ minh chứng",
    )


def _finding(inspection, code):
    return next(f for f in inspection.findings if f.criterion.code == code)


def test_organizer_plans_an_inspection_with_the_criteria_as_checklist(client, login, gn):
    login(gn["organizer"])

    form = client.get("/inspections/new")
    response = client.post(
        "/inspections/new",
        data={
            "movement_id": gn["movement"].id,
            "school_id": gn["b"].id,
            "kind": "surprise",
            "starts_on": "2027-04-02",
            "ends_on": "2027-04-02",
            "team": "Phạm Văn Hải - Trưởng đoàn\nĐỗ Thị Lan - Chuyên viên",
            "scope": "Hồ sơ phong trào",
            "school_representatives": "Vũ Minh Tâm - Hiệu trưởng",
        },
    )

    assert form.status_code == 200
    assert response.status_code == 302
    inspection = db.session.query(Inspection).one()
    assert (inspection.kind, inspection.school_id) == (InspectionKind.SURPRISE, gn["b"].id)
    assert [f.criterion.code for f in inspection.findings] == ["1", "2", "3"]
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Hội nghị, chuyên đề sử dụng Internet an toàn" in text
    assert "Đỗ Thị Lan - Chuyên viên" in text
    assert "/documents/bien-ban-kiem-tra/draft?inspection_id=" in text


def test_plan_refuses_an_end_before_the_start(client, login, gn):
    login(gn["organizer"])

    response = client.post(
        "/inspections/new",
        data={
            "movement_id": gn["movement"].id,
            "school_id": gn["a"].id,
            "kind": "regular",
            "starts_on": "2027-04-02",
            "ends_on": "2027-04-01",
            "team": "Phạm Văn Hải",
        },
    )

    assert response.status_code == 200
    assert db.session.query(Inspection).count() == 0


def test_organizer_records_a_finding_with_a_photo_and_concludes(client, login, gn, planned):
    login(gn["organizer"])
    first = _finding(planned, "1")

    saved = client.post(
        f"/inspections/findings/{first.id}",
        data={f"f{first.id}-rating": "partly", f"f{first.id}-note": "Thiếu ảnh hội trường"},
    )
    photo = client.post(
        f"/inspections/findings/{first.id}/photos",
        data={f"p{first.id}-file": (io.BytesIO(png_bytes(exif=True)), "hoi-truong.png")},
        content_type="multipart/form-data",
    )
    for finding in planned.findings[1:]:
        client.post(f"/inspections/findings/{finding.id}", data={f"f{finding.id}-rating": "met"})
    concluded = client.post(
        f"/inspections/{planned.id}/conclude", data={"conclusion": "Cơ bản đạt yêu cầu."}
    )

    assert (saved.status_code, photo.status_code, concluded.status_code) == (302, 302, 302)
    db.session.refresh(planned)
    assert (first.rating, first.note) == (Rating.PARTLY, "Thiếu ảnh hội trường")
    assert len(first.photos) == 1
    served = client.get(f"/inspections/photos/{first.photos[0].id}")
    assert served.status_code == 200
    assert served.mimetype in ("image/png", "image/jpeg")
    assert b"Exif" not in served.get_data()
    assert planned.status == InspectionStatus.CONCLUDED
    assert planned.conclusion == "Cơ bản đạt yêu cầu."


def test_conclude_refused_while_a_criterion_is_unrated(client, login, gn, planned):
    login(gn["organizer"])

    response = client.post(f"/inspections/{planned.id}/conclude", data={"conclusion": "Đạt."})

    assert response.status_code == 302
    db.session.refresh(planned)
    assert planned.status == InspectionStatus.PLANNED


def test_a_finding_adjusts_a_verified_score_audited(client, login, gn, planned, submitted):
    from campaign.greennet import services as greennet

    activity = submitted(criterion="c3", score=10.0)
    greennet.approve_activity(actor=gn["organizer"], activity=activity)
    finding = _finding(planned, "3")
    login(gn["organizer"])

    page = client.get(f"/inspections/{planned.id}")
    response = client.post(
        f"/inspections/findings/{finding.id}/act",
        data={
            f"a{finding.id}-action": "adjust",
            f"a{finding.id}-activity_id": activity.id,
            f"a{finding.id}-points": "6",
            f"a{finding.id}-comment": "Ảnh minh chứng không đúng buổi chuyên đề.",
        },
    )

    assert "Tập huấn an toàn thông tin" in page.get_data(as_text=True)
    assert response.status_code == 302
    db.session.refresh(activity)
    assert (activity.status, activity.awarded_points) == (ActivityStatus.APPROVED, 6.0)
    assert finding.activity_id == activity.id
    assert [e.action for e in history("activity", activity.id)][-1] == "greennet.activity.adjust"


def test_a_finding_returns_an_activity(client, login, gn, planned, submitted):
    activity = submitted(criterion="c3", score=10.0)
    finding = _finding(planned, "3")
    login(gn["organizer"])

    response = client.post(
        f"/inspections/findings/{finding.id}/act",
        data={
            f"a{finding.id}-action": "return",
            f"a{finding.id}-activity_id": activity.id,
            f"a{finding.id}-comment": "Bổ sung danh sách giáo viên dự tập huấn.",
            f"a{finding.id}-deadline": "2100-01-31",
        },
    )

    assert response.status_code == 302
    db.session.refresh(activity)
    assert activity.status == ActivityStatus.RETURNED
    assert activity.return_deadline == date(2100, 1, 31)
    assert finding.activity_id == activity.id


def test_inspection_changes_forbidden_to_the_schools_coordinator(client, login, gn, planned):
    finding = planned.findings[0]
    login(gn["coord_a"])

    answers = [
        client.get("/inspections/new").status_code,
        client.post(f"/inspections/findings/{finding.id}", data={}).status_code,
        client.post(f"/inspections/findings/{finding.id}/photos", data={}).status_code,
        client.post(f"/inspections/findings/{finding.id}/act", data={}).status_code,
        client.post(f"/inspections/{planned.id}/conclude", data={}).status_code,
    ]

    assert answers == [403] * 5
    assert finding.rating is None


def _concluded(gn, planned):
    for finding in planned.findings:
        services.record_finding(
            actor=gn["organizer"], finding=finding, rating="met", note="Đủ hồ sơ"
        )
    photo = services.add_finding_photo(
        actor=gn["organizer"], finding=planned.findings[0], data=png_bytes(), filename="a.png"
    )
    services.conclude(actor=gn["organizer"], inspection=planned, conclusion="Cơ bản đạt.")
    return photo


def test_coordinator_reads_the_inspections_of_their_own_school(client, login, gn, planned):
    photo = _concluded(gn, planned)
    login(gn["coord_a"])

    listing = client.get("/inspections")
    page = client.get(f"/inspections/{planned.id}")
    served = client.get(f"/inspections/photos/{photo.id}")
    minutes = client.get(
        f"/api/v1/documents/bien-ban-kiem-tra?format=docx&inspection_id={planned.id}"
    )

    assert (listing.status_code, page.status_code, served.status_code) == (200, 200, 200)
    assert f"/inspections/{planned.id}" in listing.get_data(as_text=True)
    assert "/inspections/new" not in listing.get_data(as_text=True)
    html = page.get_data(as_text=True)
    assert "Đủ hồ sơ" in html
    assert "Cơ bản đạt." in html
    assert "/conclude" not in html
    assert f"/inspections/findings/{planned.findings[0].id}" not in html
    assert f"inspection_id={planned.id}" in html
    assert minutes.status_code == 200
    assert minutes.mimetype.endswith("wordprocessingml.document")


def test_coordinator_sees_no_form_on_a_planned_inspection(client, login, gn, planned):
    login(gn["coord_a"])

    html = client.get(f"/inspections/{planned.id}").get_data(as_text=True)

    assert "/conclude" not in html
    assert f"/inspections/findings/{planned.findings[0].id}" not in html


def test_inspections_of_another_school_forbidden_to_a_coordinator(client, login, gn, planned):
    photo = _concluded(gn, planned)
    login(gn["coord_b"])

    listing = client.get("/inspections")
    answers = [
        client.get(f"/inspections/{planned.id}").status_code,
        client.get(f"/inspections/photos/{photo.id}").status_code,
        client.get(
            f"/api/v1/documents/bien-ban-kiem-tra?format=docx&inspection_id={planned.id}"
        ).status_code,
    ]

    assert answers == [403] * 3
    assert listing.status_code == 200
    assert f"/inspections/{planned.id}" not in listing.get_data(as_text=True)


def test_inspection_list_forbidden_to_a_student(client, login, make, planned):
    login(make.student())

    assert client.get("/inspections").status_code == 403


def test_inspection_list_for_the_organizer(client, login, gn, planned):
    login(gn["organizer"])

    response = client.get("/inspections")

    assert response.status_code == 200
    assert f"/inspections/{planned.id}" in response.get_data(as_text=True)


def test_inspection_pages_redirect_anonymous_to_login(client, planned):
    assert client.get(f"/inspections/{planned.id}").status_code == 302
