from datetime import date

import pytest

from campaign.campaigns.models import Campaign, CampaignStatus
from campaign.documents import services
from campaign.documents.subjects import KINDS, resolve
from campaign.greennet import services as greennet
from contests.quiz.models import LeaderboardEntry, LeaderboardSnapshot, QuizContest
from core.extensions import db
from core.organisations import services as organisations
from core.organisations.models import IssuerLink, OrganisationKind
from core.schools.models import SchoolLevel
from tests.campaign.documents.conftest import docx_text, milestone, pdf_text, squeeze
from tests.conftest import T0

URL = "/api/v1/documents/{kind}"


@pytest.fixture
def quiz_contest(db, make, office):
    """A quiz contest whose final ranking is taken: two students of 8A1 and one of 9A2 on top."""
    campaign = Campaign(
        slug="mx-thi-hieu-biet",
        title="Chiến dịch",
        starts_on=date(2026, 9, 5),
        ends_on=date(2027, 5, 31),
        status=CampaignStatus.PUBLISHED,
    )
    db.session.add(campaign)
    db.session.flush()
    contest = QuizContest(campaign_id=campaign.id, title="Cuộc thi tìm hiểu pháp luật trên mạng")
    db.session.add(contest)
    db.session.flush()
    school = make.school("Q")
    a81, a92 = make.school_class(school, "8A1"), make.school_class(school, "9A2")
    students = [
        make.student(a81, full_name="Lê Minh An"),
        make.student(a92, full_name="Trần Bảo Châu"),
        make.student(a81, full_name="Phạm Gia Huy"),
        make.student(a92, full_name="Ngô Thu Hà"),
    ]
    snapshot = LeaderboardSnapshot(contest_id=contest.id, computed_at=T0, entrants=4, final=True)
    db.session.add(snapshot)
    db.session.flush()
    for rank, student in enumerate(students, 1):
        db.session.add(
            LeaderboardEntry(
                snapshot_id=snapshot.id,
                scope="student",
                ref_id=student.id,
                rank=rank,
                school_id=school.id,
                class_id=student.class_id,
                score=10 - rank,
            )
        )
    db.session.flush()
    return contest


def test_quiz_contest_award_decision_lists_students_and_classes_with_prizes(quiz_contest):
    subject = resolve(KINDS["quyet-dinh-khen-thuong"], quiz_contest_id=quiz_contest.id)

    _, text = docx_text(services.render(subject, "docx"))

    assert subject.scope == f"quiz_contest:{quiz_contest.id}"
    assert "Cuộc thi tìm hiểu pháp luật trên mạng" in text
    assert "Lê Minh An8A1" in text and "Giải Nhất" in text
    assert "Phạm Gia Huy8A1" in text and "Giải Ba" in text
    assert "Ngô Thu Hà" not in text  # the fourth rank has no prize
    assert "C. TẬP THỂ LỚP CÓ HỌC SINH ĐẠT GIẢI" in text
    pdf = services.render(subject, "pdf")
    assert squeeze(pdf_text(pdf)) == squeeze(text)


def test_quiz_contest_classes_ranked_by_prizes(quiz_contest):
    from campaign.documents.awards import _award_rows

    subject = resolve(KINDS["thong-bao-ket-qua"], quiz_contest_id=quiz_contest.id)

    _, students, classes = _award_rows(subject)

    assert [row[1] for row in students] == ["Lê Minh An", "Trần Bảo Châu", "Phạm Gia Huy"]
    assert [(row[1], row[3]) for row in classes] == [("8A1", "2"), ("9A2", "1")]


def test_quiz_contest_not_final_without_a_final_ranking(db, quiz_contest):
    db.session.query(LeaderboardSnapshot).update({"final": False})
    subject = resolve(KINDS["thong-bao-ket-qua"], quiz_contest_id=quiz_contest.id)

    with pytest.raises(services.NotFinal):
        services.render(subject, "docx")


def test_api_quiz_contest_by_its_own_id(client, login, gn, quiz_contest):
    login(gn["organizer"])

    response = client.get(
        URL.format(kind="thong-bao-ket-qua"),
        query_string={"format": "docx", "quiz_contest_id": quiz_contest.id},
    )
    _, text = docx_text(response.data)

    assert response.status_code == 200
    assert "Kết quả Cuộc thi tìm hiểu pháp luật trên mạng" in text


def test_api_quiz_contest_id_is_not_an_essay_contest_id(client, login, gn, quiz_contest):
    login(gn["organizer"])

    response = client.get(
        URL.format(kind="thong-bao-ket-qua"),
        query_string={"format": "docx", "contest_id": quiz_contest.id},
    )

    assert response.status_code == 404  # no essay contest has that id


def test_api_both_contest_ids_is_refused(client, login, gn, quiz_contest):
    login(gn["organizer"])

    response = client.get(
        URL.format(kind="thong-bao-ket-qua"),
        query_string={"format": "docx", "contest_id": 1, "quiz_contest_id": quiz_contest.id},
    )

    assert response.status_code == 400


def test_api_quiz_contest_forbidden_to_a_coordinator(client, login, gn, quiz_contest):
    login(gn["coord_a"])

    response = client.get(
        URL.format(kind="thong-bao-ket-qua"),
        query_string={"format": "pdf", "quiz_contest_id": quiz_contest.id},
    )

    assert response.status_code == 403


def test_openapi_documents_quiz_contest_id(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    operation = spec["paths"]["/api/v1/documents/{kind}"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert "quiz_contest_id" in names
    assert "numbered apart" in operation["description"]


# The sơ kết compares with the previous school year's tổng kết -----------------------------


def _lock(movement, kind, organizer):
    greennet.lock_all(actor=organizer, movement=movement, milestone=milestone(movement, kind))


def test_midterm_report_says_when_there_is_no_previous_final(gn, office):
    _lock(gn["movement"], "midterm", gn["organizer"])
    subject = resolve(KINDS["bao-cao-so-ket"], movement_id=gn["movement"].id)

    _, text = docx_text(services.render(subject, "docx"))

    assert "Năm học trước chưa có kết quả tổng kết để so sánh." in text


def test_midterm_report_compares_with_the_previous_years_final(gn, office):
    previous = greennet.create_movement(
        actor=gn["organizer"], school_year="2025-2026", title="Phong trào 2025–2026"
    )
    greennet.add_criterion(
        actor=gn["organizer"],
        movement=previous,
        level=SchoolLevel.THCS,
        code="1",
        title="Tập huấn",
        max_points=10,
    )
    _lock(previous, "final", gn["organizer"])
    _lock(gn["movement"], "midterm", gn["organizer"])
    district = resolve(KINDS["bao-cao-so-ket"], movement_id=gn["movement"].id)
    school = resolve(KINDS["bao-cao-so-ket"], movement_id=gn["movement"].id, school_id=gn["a"].id)

    _, district_text = docx_text(services.render(district, "docx"))
    _, school_text = docx_text(services.render(school, "docx"))

    assert "Tổng kết năm học 2025-2026" in district_text
    assert "chưa có kết quả tổng kết" not in district_text
    assert "Tổng kết năm học 2025-2026: xếp loại Chưa đạt." in school_text


# Issuing bodies of a campaign, a movement, a contest ----------------------------------------


def test_issuers_page_names_the_bodies_that_head_the_documents(client, login, locked_final):
    gn = locked_final
    union = organisations.save_organisation(
        actor=gn["organizer"],
        kind=OrganisationKind.YOUTH_UNION,
        name="Đoàn TNCS Hồ Chí Minh",
        parent_name="Đoàn xã Gia Lâm",
        place_name="Gia Lâm",
        symbol="ĐTN",
        signer_title="Bí thư",
        signer_name="Hoàng Văn Nam",
    )
    login(gn["organizer"])
    url = f"/documents/issuers/movement/{gn['movement'].id}"

    page = client.get(url)
    response = client.post(url, data={"signer": union.id, "co_issuer_1": 0, "co_issuer_2": 0})

    assert page.status_code == 200
    assert "Phòng Giáo dục và Đào tạo" in page.get_data(as_text=True)  # the default, said
    assert response.status_code == 302
    links = db.session.query(IssuerLink).filter_by(subject_type="movement").all()
    assert [(link.organisation_id, link.position) for link in links] == [(union.id, 0)]
    subject = resolve(KINDS["quyet-dinh-khen-thuong"], movement_id=gn["movement"].id)
    document, _ = docx_text(services.render(subject, "docx"))
    assert document.tables[0].cell(0, 0).text.startswith("ĐOÀN XÃ GIA LÂM\nĐOÀN TNCS HỒ CHÍ MINH")
    assert "/QĐ-ĐTN" in document.tables[0].cell(0, 0).text


def test_campaign_issuer_heads_a_contest_without_its_own(client, login, gn, quiz_contest):
    committee = organisations.save_organisation(
        actor=gn["organizer"],
        kind=OrganisationKind.PEOPLES_COMMITTEE,
        name="Ủy ban nhân dân xã Gia Lâm",
        symbol="UBND",
    )
    login(gn["organizer"])

    response = client.post(
        f"/documents/issuers/campaign/{quiz_contest.campaign_id}",
        data={"signer": committee.id, "co_issuer_1": 0, "co_issuer_2": 0},
    )
    subject = resolve(KINDS["thong-bao-ket-qua"], quiz_contest_id=quiz_contest.id)
    document, _ = docx_text(services.render(subject, "docx"))

    assert response.status_code == 302
    assert "ỦY BAN NHÂN DÂN XÃ GIA LÂM" in document.tables[0].cell(0, 0).text


def test_issuers_page_forbidden_to_a_coordinator(client, login, gn):
    login(gn["coord_a"])
    url = f"/documents/issuers/movement/{gn['movement'].id}"

    assert client.get(url).status_code == 403
    assert client.post(url, data={"signer": 1}).status_code == 403
    assert db.session.query(IssuerLink).count() == 0


def test_issuers_page_unknown_subject_is_404(client, login, gn):
    login(gn["organizer"])

    assert client.get("/documents/issuers/quiz_contest/999999").status_code == 404
    assert client.get("/documents/issuers/news/1").status_code == 404


def test_ids_past_a_database_integer_are_refused_not_crashed(client, login, gn):
    login(gn["organizer"])
    huge = 2**31

    api = client.get(
        URL.format(kind="thong-bao-ket-qua"),
        query_string={"format": "pdf", "quiz_contest_id": huge},
    )
    page = client.get(f"/documents/bao-cao-tong-ket/draft?movement_id={huge}")

    assert (api.status_code, page.status_code) == (400, 404)
