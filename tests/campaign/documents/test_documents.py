import io
import zipfile
from datetime import date

import pytest
from pypdf import PdfReader

from campaign.documents import services
from campaign.documents.subjects import KINDS, resolve
from campaign.greennet.models import ActivityStatus
from campaign.inspections import services as inspections
from campaign.inspections.models import InspectionKind, Rating
from core.audit import history
from core.errors import Conflict
from core.organisations import services as organisations
from core.storage import storage
from tests.campaign.documents.conftest import docx_text, milestone, pdf_text, squeeze
from tests.campaign.greennet.conftest import png_bytes
from tests.images import metadata_in

URL = "/api/v1/documents/{kind}"


def _save(gn, subject, number=12, **kw):
    return services.save_draft(
        actor=gn["organizer"],
        subject=subject,
        subject_line=kw.pop("subject_line", ""),
        sections=kw.pop("sections", services.draft_for(subject).sections),
        recipients=kw.pop("recipients", "- Các trường THCS;\n- Lưu: VT."),
        number=number,
        issued_on=kw.pop("issued_on", date(2027, 5, 25)),
    )


@pytest.fixture
def inspection(locked_final, submitted):
    gn = locked_final
    planned = inspections.plan_inspection(
        actor=gn["organizer"],
        movement=gn["movement"],
        school=gn["b"],
        kind=InspectionKind.SURPRISE,
        starts_on=date(2027, 4, 2),
        ends_on=date(2027, 4, 2),
        team="Phạm Văn Hải - Chuyên viên, Trưởng đoàn\nĐỗ Thị Lan - Chuyên viên",
        school_representatives="Vũ Minh Tâm - Hiệu trưởng",
        scope="Hồ sơ và minh chứng phong trào",
    )
    for finding in planned.findings:
        inspections.record_finding(
            actor=gn["organizer"], finding=finding, rating=Rating.MET, note="Đủ hồ sơ"
        )
    inspections.conclude(actor=gn["organizer"], inspection=planned, conclusion="Đạt yêu cầu.")
    return planned


def _subjects(gn, contest, inspection):
    movement = gn["movement"]
    return [
        resolve(KINDS["bao-cao-tong-ket"], movement_id=movement.id),
        resolve(KINDS["bao-cao-tong-ket"], movement_id=movement.id, school_id=gn["a"].id),
        resolve(KINDS["quyet-dinh-khen-thuong"], movement_id=movement.id),
        resolve(KINDS["to-trinh-khen-thuong"], movement_id=movement.id),
        resolve(KINDS["quyet-dinh-khen-thuong"], contest_id=contest.id),
        resolve(KINDS["thong-bao-ket-qua"], contest_id=contest.id),
        resolve(KINDS["bien-ban-kiem-tra"], inspection_id=inspection.id),
    ]


def test_every_kind_renders_heading_number_date_recipients_and_signer(
    locked_final, contest, inspection
):
    gn = locked_final
    for subject in _subjects(gn, contest, inspection):
        _save(gn, subject)
        docx = services.render(subject, "docx")
        document, text = docx_text(docx)
        heading = document.tables[0]
        left = heading.cell(0, 0).text
        right = heading.cell(0, 1).text

        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in right, subject.kind.slug
        assert "Độc lập - Tự do - Hạnh phúc" in right
        assert f"Số: 12/{subject.kind.abbreviation}-" in left or (
            subject.what == "school" and "Số: 12/BC" in left
        )
        if subject.what != "school":
            assert left.startswith("UBND HUYỆN GIA LÂM\nPHÒNG GIÁO DỤC VÀ ĐÀO TẠO\n")
            assert "Gia Lâm, ngày 25 tháng 5 năm 2027" in right
        else:
            assert "THCS A" in left.upper() or gn["a"].name.upper() in left
        if subject.kind.slug == "bien-ban-kiem-tra":
            assert "TRƯỞNG ĐOÀN KIỂM TRA" in text and "Phạm Văn Hải" in text
            assert "ĐẠI DIỆN NHÀ TRƯỜNG" in text and "Vũ Minh Tâm" in text
        else:
            assert "Nơi nhận:" in text
            assert "- Lưu: VT." in text
        if subject.what not in ("school", "inspection"):
            assert "TRƯỞNG PHÒNG" in text and "Nguyễn Thị Bình" in text
        pdf = services.render(subject, "pdf")
        assert squeeze(pdf_text(pdf)) == squeeze(text), subject.kind.slug


def test_district_report_drafts_figures_and_narrative(locked_final):
    gn = locked_final
    subject = resolve(KINDS["bao-cao-tong-ket"], movement_id=gn["movement"].id)

    draft = services.draft_for(subject)
    _, text = docx_text(services.render(subject, "docx"))

    assert draft.id is None
    assert draft.sections["achievements"] == (
        "Đã có 1 hoạt động được thẩm định với 0 lượt người tham gia."
    )
    assert "Tổng kết Phong trào Mạng xanh 2026–2027 năm học 2026-2027" in text
    assert "Tập huấn cán bộ, giáo viên" in text  # verified activities by criterion
    assert "Kỳ tổng kết" in text and "Kỳ sơ kết" in text  # comparison with the milestone before


def test_saved_draft_keeps_number_and_edited_section(locked_final):
    gn = locked_final
    subject = resolve(KINDS["bao-cao-tong-ket"], movement_id=gn["movement"].id)
    sections = dict(services.draft_for(subject).sections, causes="Thiếu kinh phí tập huấn.")

    _save(gn, subject, number=31, sections=sections)
    _save(gn, subject, number=31, sections=sections, recipients="- Lưu: VT.")

    draft = services.stored_draft(subject)
    _, text = docx_text(services.render(subject, "docx"))
    assert draft.number == 31
    assert draft.sections["causes"] == "Thiếu kinh phí tập huấn."
    assert "Thiếu kinh phí tập huấn." in text
    assert "Số: 31/BC-PGDĐT" in text
    assert [e.action for e in history("document_draft", draft.id)] == [
        "document.save",
        "document.save",
    ]


def test_award_decision_refused_before_the_milestone_is_locked(gn, office):
    subject = resolve(KINDS["quyet-dinh-khen-thuong"], movement_id=gn["movement"].id)

    with pytest.raises(Conflict):
        services.render(subject, "docx")


def test_award_decision_lists_schools_by_tier(locked_final):
    gn = locked_final
    subject = resolve(KINDS["quyet-dinh-khen-thuong"], movement_id=gn["movement"].id)

    _, text = docx_text(services.render(subject, "docx"))

    assert "DANH SÁCH TẬP THỂ, CÁ NHÂN ĐƯỢC KHEN THƯỞNG" in text
    assert "QUYẾT ĐỊNH:" in text and "Điều 1." in text and "Điều 3." in text


def test_inspection_finding_returns_an_activity_through_verification(locked_final, submitted):
    gn = locked_final
    planned = inspections.plan_inspection(
        actor=gn["organizer"],
        movement=gn["movement"],
        school=gn["b"],
        kind=InspectionKind.REGULAR,
        starts_on=date(2027, 4, 2),
        ends_on=date(2027, 4, 3),
        team="Phạm Văn Hải - Trưởng đoàn",
    )
    services_gn = __import__("campaign.greennet.services", fromlist=["reopen_assessment"])
    services_gn.reopen_assessment(
        actor=gn["organizer"], movement=gn["movement"], school=gn["b"], reason="Kiểm tra"
    )
    activity = submitted(school="b", score=20.0)
    finding = next(f for f in planned.findings if f.criterion_id == gn["c3"].id)

    inspections.return_from_finding(
        actor=gn["organizer"],
        finding=finding,
        activity=activity,
        reason="Thiếu danh sách người tham gia",
        deadline=date(2027, 4, 20),
    )

    assert [f.criterion.code for f in planned.findings] == ["1", "2", "3"]
    assert activity.status == ActivityStatus.RETURNED
    assert finding.activity_id == activity.id
    assert "greennet.activity.return" in [e.action for e in history("activity", activity.id)]


def test_inspection_photo_is_reencoded(inspection):
    from tests.campaign.greennet.conftest import png_bytes

    finding = inspection.findings[0]
    inspection.status = inspection.status.PLANNED

    photo = inspections.add_finding_photo(
        actor=None, finding=finding, data=png_bytes(exif=True), filename="a.jpg"
    )

    assert photo.storage_key.startswith("inspections")
    stored = storage().read(photo.storage_key)
    assert photo.size == len(stored) > 0
    assert png_bytes(exif=True) != stored
    assert metadata_in(stored) == []  # the camera's EXIF is gone


# API ----------------------------------------------------------------------------------------


def test_api_district_report_for_organizer(client, login, locked_final):
    gn = locked_final
    login(gn["organizer"])

    response = client.get(
        URL.format(kind="bao-cao-tong-ket"),
        query_string={"format": "pdf", "movement_id": gn["movement"].id},
    )

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")


def test_api_district_report_forbidden_to_a_coordinator(client, login, locked_final):
    gn = locked_final
    login(gn["coord_a"])

    response = client.get(
        URL.format(kind="bao-cao-tong-ket"),
        query_string={"format": "docx", "movement_id": gn["movement"].id},
    )

    assert response.status_code == 403


def test_api_school_report_for_its_coordinator_only(client, login, locked_final):
    gn = locked_final
    query = {"format": "docx", "movement_id": gn["movement"].id, "school_id": gn["a"].id}
    login(gn["coord_a"])
    own = client.get(URL.format(kind="bao-cao-tong-ket"), query_string=query)
    login(gn["coord_b"])
    other = client.get(URL.format(kind="bao-cao-tong-ket"), query_string=query)

    assert own.status_code == 200
    assert own.data[:2] == b"PK"
    assert other.status_code == 403


def test_api_unknown_kind_is_404(client, login, locked_final):
    login(locked_final["organizer"])

    response = client.get(
        URL.format(kind="cong-van"),
        query_string={"format": "pdf", "movement_id": locked_final["movement"].id},
    )

    assert response.status_code == 404


def test_api_award_decision_before_lock_is_409(client, login, gn, office):
    login(gn["organizer"])

    response = client.get(
        URL.format(kind="quyet-dinh-khen-thuong"),
        query_string={"format": "docx", "movement_id": gn["movement"].id, "milestone": "tong_ket"},
    )

    assert response.status_code == 409


def test_api_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    operation = spec["paths"]["/api/v1/documents/{kind}"]["get"]
    assert operation["operationId"] == "downloadOfficialDocument"
    names = {p["name"] for p in operation["parameters"]}
    assert {
        "format",
        "movement_id",
        "school_id",
        "milestone",
        "contest_id",
        "inspection_id",
    } <= names


# Pages --------------------------------------------------------------------------------------


def test_draft_page_saves_number_for_organizer(client, login, locked_final):
    gn = locked_final
    login(gn["organizer"])
    url = f"/documents/bao-cao-tong-ket/draft?movement_id={gn['movement'].id}"

    page = client.get(url)
    response = client.post(
        url,
        data={
            "subject_line": "Tổng kết phong trào",
            "number": "45",
            "issued_on": "2027-05-25",
            "section_achievements": "Các trường tích cực.",
            "recipients": "- Lưu: VT.",
        },
    )

    subject = resolve(KINDS["bao-cao-tong-ket"], movement_id=gn["movement"].id)
    assert page.status_code == 200
    assert response.status_code == 302
    assert services.stored_draft(subject).number == 45


def test_draft_page_forbidden_to_a_coordinator(client, login, locked_final):
    gn = locked_final
    login(gn["coord_a"])

    response = client.get(f"/documents/bao-cao-tong-ket/draft?movement_id={gn['movement'].id}")

    assert response.status_code == 403


def test_documents_index_for_organizer_only(client, login, gn):
    login(gn["organizer"])
    allowed = client.get("/documents")
    login(gn["coord_a"])
    forbidden = client.get("/documents")

    assert allowed.status_code == 200
    assert forbidden.status_code == 403


def test_milestone_lock_is_per_school(gn, office):
    from campaign.documents.subjects import milestone_locked
    from campaign.greennet import services as greennet

    greennet.lock_assessment(
        actor=gn["organizer"],
        movement=gn["movement"],
        school=gn["a"],
        milestone=milestone(gn["movement"], "midterm"),
    )

    assert milestone_locked(gn["movement"], "so_ket", gn["a"]) is True
    assert milestone_locked(gn["movement"], "so_ket", gn["b"]) is False
    assert milestone_locked(gn["movement"], "so_ket") is False


def _image_parts(docx: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        return [name for name in archive.namelist() if name.startswith("word/media/")]


def test_issuer_logo_drawn_at_the_top_left_of_the_heading(locked_final, office):
    gn = locked_final
    organisations.set_logo(actor=gn["organizer"], organisation=office, data=png_bytes())
    subject = resolve(KINDS["bao-cao-tong-ket"], movement_id=gn["movement"].id)

    docx = services.render(subject, "docx")
    pdf = PdfReader(io.BytesIO(services.render(subject, "pdf")))

    document, _ = docx_text(docx)
    left = document.tables[0].cell(0, 0)
    assert len(_image_parts(docx)) == 1
    assert len(left.paragraphs[0]._p.xpath(".//pic:pic")) == 1
    assert left.text.startswith("\nUBND HUYỆN GIA LÂM\nPHÒNG GIÁO DỤC VÀ ĐÀO TẠO\n")
    assert len(pdf.pages[0].images) == 1


def test_no_logo_no_image_in_the_heading(locked_final):
    subject = resolve(KINDS["bao-cao-tong-ket"], movement_id=locked_final["movement"].id)

    docx = services.render(subject, "docx")
    pdf = PdfReader(io.BytesIO(services.render(subject, "pdf")))

    assert _image_parts(docx) == []
    assert len(pdf.pages[0].images) == 0
