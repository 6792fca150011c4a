"""Per class, who took each quiz round and submitted each essay (issue 17), and exports in the
reader's language."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from openpyxl import load_workbook

from campaign.campaigns import school_participation
from campaign.campaigns.models import Campaign
from contests.essay import services as essay
from contests.essay.models import EssayContest, EssayRound
from contests.quiz import exports
from contests.quiz import services as quiz
from contests.quiz.models import QuizRound
from tests.conftest import T0
from tests.contests.quiz.factories import QuizFactory

TEXT = " ".join(["Em đã giúp bạn báo cáo một tài khoản giả mạo trên mạng."] * 3)


@pytest.fixture
def setup(db, make):
    factory = QuizFactory(make)
    round_ = factory.round(title="Vòng 1")
    campaign = db.session.get(Campaign, round_.contest.campaign_id)
    contest = EssayContest(campaign_id=campaign.id, title="Viết")
    db.session.add(contest)
    db.session.flush()
    essay_round = EssayRound(
        contest=contest,
        stage=1,
        name="Vòng trường",
        theme="Hành động đẹp",
        prompt="Kể lại.",
        opens_at=T0 - timedelta(days=1),
        closes_at=T0 + timedelta(days=1),
        min_words=5,
        max_words=200,
        max_photos=0,
        allow_withdraw=True,
    )
    db.session.add(essay_round)
    db.session.flush()
    school = make.school("A")
    class_a = make.school_class(school, name="8A")
    class_b = make.school_class(school, name="8B")
    an = make.student(class_a, full_name="Nguyễn Văn An")
    binh = make.student(class_a, full_name="Trần Thị Bình")
    cuong = make.student(class_b, full_name="Lê Văn Cường")
    attempt, _created = quiz.start_attempt(round_=round_, user=an, now=T0)
    quiz.submit_attempt(attempt=attempt, now=T0 + timedelta(minutes=5))
    quiz.start_attempt(round_=round_, user=binh, now=T0)  # started, never submitted
    entry = essay.start_entry(round_=essay_round, student=cuong, now=essay_round.opens_at)
    essay.save_draft(entry=entry, title="Bài", body=TEXT, seq=1, now=essay_round.opens_at)
    essay.submit_entry(entry=entry, now=essay_round.opens_at + timedelta(hours=1))
    return {"campaign": campaign, "school": school}


def test_class_participation_marks_who_took_and_submitted(setup):
    data = school_participation.class_participation(setup["campaign"], setup["school"])

    assert [
        (block.name, [(s.name, s.quiz, s.essay) for s in block.students])
        for block in data["classes"]
    ] == [
        ("8A", [("Nguyễn Văn An", [True], [False]), ("Trần Thị Bình", [False], [False])]),
        ("8B", [("Lê Văn Cường", [False], [True])]),
    ]
    assert [(b.quiz_counts, b.essay_counts) for b in data["classes"]] == [([1], [0]), ([0], [1])]


def test_coordinator_sees_own_school_by_class(client, login, make, setup):
    login(make.coordinator(setup["school"]))
    slug, school_id = setup["campaign"].slug, setup["school"].id

    response = client.get(f"/campaigns/{slug}/schools/{school_id}/participation")

    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nguyễn Văn An" in text and "Lê Văn Cường" in text


def test_coordinator_of_another_school_is_forbidden(client, login, make, setup):
    login(make.coordinator(make.school("B")))
    slug, school_id = setup["campaign"].slug, setup["school"].id

    assert client.get(f"/campaigns/{slug}/schools/{school_id}/participation").status_code == 403
    assert (
        client.get(f"/campaigns/{slug}/schools/{school_id}/participation.xlsx").status_code == 403
    )


def test_student_is_forbidden(client, login, make, setup):
    login(make.student(make.school_class(setup["school"])))
    slug, school_id = setup["campaign"].slug, setup["school"].id

    assert client.get(f"/campaigns/{slug}/schools/{school_id}/participation").status_code == 403


def test_class_participation_xlsx_in_vietnamese(client, login, make, setup):
    login(make.coordinator(setup["school"]))
    slug, school_id = setup["campaign"].slug, setup["school"].id

    response = client.get(f"/campaigns/{slug}/schools/{school_id}/participation.xlsx")

    book = load_workbook(io.BytesIO(response.data))
    rows = list(book["Học sinh"].iter_rows(values_only=True))
    assert response.status_code == 200
    assert book.sheetnames == ["Học sinh", "Theo lớp"]
    assert rows[0][:2] == ("Lớp", "Học sinh")
    assert rows[1] == ("8A", "Nguyễn Văn An", "Có", None)
    assert list(book["Theo lớp"].iter_rows(min_row=2, values_only=True)) == [
        ("8A", 2, 1, 0),
        ("8B", 1, 0, 1),
    ]


def test_class_participation_xlsx_follows_english(client, login, make, setup):
    coordinator = make.coordinator(setup["school"])
    coordinator.locale = "en"
    login(coordinator)
    slug, school_id = setup["campaign"].slug, setup["school"].id

    response = client.get(f"/campaigns/{slug}/schools/{school_id}/participation.xlsx")

    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Students", "By class"]
    assert list(book["Students"].iter_rows(values_only=True))[1][:3] == (
        "8A",
        "Nguyễn Văn An",
        "Yes",
    )


def test_participation_xlsx_follows_english(client, login, make, setup):
    organizer = make.organizer()
    organizer.locale = "en"
    login(organizer)

    response = client.get(f"/campaigns/{setup['campaign'].slug}/participation.xlsx")

    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["By school", "By level"]
    assert next(book["By school"].iter_rows(values_only=True))[:3] == (
        "School code",
        "School",
        "Level",
    )


def test_quiz_results_xlsx_follows_english(app, db, setup):
    round_ = db.session.scalars(sa.select(QuizRound)).one()
    with app.test_request_context():
        with force_locale("en"):
            english = load_workbook(io.BytesIO(exports.results_bytes(round_)))
        with force_locale("vi"):
            vietnamese = load_workbook(io.BytesIO(exports.results_bytes(round_)))

    assert english.sheetnames == ["Results"]
    assert next(english["Results"].iter_rows(values_only=True))[:2] == ("Full name", "Username")
    assert vietnamese.sheetnames == ["Kết quả"]
    assert next(vietnamese["Kết quả"].iter_rows(values_only=True))[:2] == (
        "Họ và tên",
        "Tên đăng nhập",
    )
