"""Computed criteria equal what the contest data says (real contest packages, no fakes)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from campaign.campaigns import participation
from campaign.campaigns import services as campaign_services
from campaign.campaigns.models import Campaign, CampaignStatus
from campaign.greennet import services
from contests.essay import services as essay
from contests.essay.models import EssayContest, EssayRound
from core.schools.models import SchoolLevel
from tests.conftest import T0

TEXT = " ".join(["Em đã giúp bạn báo cáo một tài khoản giả mạo trên mạng."] * 3)


@pytest.fixture
def essay_round(db, gn):
    campaign = Campaign(
        slug="mx-thu",
        title="Chiến dịch thử",
        starts_on=date(2026, 9, 5),
        ends_on=date(2027, 5, 31),
        status=CampaignStatus.PUBLISHED,
    )
    db.session.add(campaign)
    db.session.flush()
    contest = EssayContest(campaign_id=campaign.id, title="Viết về hành động đẹp")
    db.session.add(contest)
    db.session.flush()
    item = EssayRound(
        contest=contest,
        stage=1,
        name="Vòng trường",
        theme="Hành động đẹp",
        prompt="Kể lại một hành động đẹp.",
        opens_at=T0 - timedelta(days=1),
        closes_at=T0 + timedelta(days=1),
        min_words=5,
        max_words=200,
        max_photos=0,
        allow_withdraw=True,
    )
    db.session.add(item)
    db.session.flush()
    return campaign, item


def _entry(round_, student, *, submit=True):
    entry = essay.start_entry(round_=round_, student=student, now=round_.opens_at)
    essay.save_draft(entry=entry, title="Bài viết", body=TEXT, seq=1, now=round_.opens_at)
    if submit:
        essay.submit_entry(entry=entry, now=round_.opens_at + timedelta(hours=1))
    return entry


def test_essay_metric_is_wired_to_the_essay_package():
    assert participation.CONTEST_SOURCES["essay_entries"] is essay.entries_by_school
    assert (
        participation.contest_counts("essay_entries", since=T0 - timedelta(days=1), until=T0) == {}
    )


def test_computed_criteria_equal_what_the_contest_data_says(gn, make, essay_round):
    _campaign, round_ = essay_round
    class_a, class_b = make.school_class(gn["a"]), make.school_class(gn["b"])
    for _ in range(2):
        _entry(round_, make.student(class_a))
    _entry(round_, make.student(class_a), submit=False)  # a draft does not count
    _entry(round_, make.student(class_b))
    services.add_criterion(
        actor=gn["organizer"],
        movement=gn["movement"],
        level=SchoolLevel.THCS,
        code="E",
        title="Bài dự thi viết",
        max_points=6,
        computed=True,
        metric="essay_entries",
        max_count=4,
    )
    since, until = services.period(gn["movement"])

    said = essay.entries_by_school(since=since, until=until)
    rows = {s.school.code: s for s in services.standings(gn["movement"])}

    a = next(c for c in rows["A"].criteria if c.criterion.code == "E")
    b = next(c for c in rows["B"].criteria if c.criterion.code == "E")
    assert said == {gn["a"].id: 2, gn["b"].id: 1}
    assert (a.value, a.points) == (2.0, 3.0)
    assert (b.value, b.points) == (1.0, 1.5)


def test_participation_counts_essay_entries(gn, make, essay_round):
    campaign, round_ = essay_round
    class_a = make.school_class(gn["a"])
    students = [make.student(class_a) for _ in range(4)]
    _entry(round_, students[0])

    data = participation.participation(campaign)

    row = next(r for r in data["rows"] if r["school"].id == gn["a"].id)
    assert (row["eligible"], row["essay"], row["essay_rate"]) == (4, 1, 25.0)


def test_quiz_metric_is_wired_to_the_quiz_package():
    from contests.quiz import services as quiz

    assert participation.CONTEST_SOURCES["quiz_participants"] is quiz.participants_by_school
    assert (
        participation.contest_counts("quiz_participants", since=T0 - timedelta(days=1), until=T0)
        == {}
    )


def test_quiz_participation_criterion_equals_what_the_quiz_data_says(gn, make):
    from contests.quiz import services as quiz
    from tests.contests.quiz.factories import QuizFactory

    round_ = QuizFactory(make).round(count=2)
    class_a, class_b = make.school_class(gn["a"]), make.school_class(gn["b"])
    takers = [make.student(class_a) for _ in range(3)]
    make.student(class_a)  # eligible, never started
    unfinished = make.student(class_b)
    make.student(class_b)
    for student in takers:
        attempt, _created = quiz.start_attempt(round_=round_, user=student, now=T0)
        quiz.submit_attempt(attempt=attempt, now=T0 + timedelta(minutes=5))
    quiz.start_attempt(round_=round_, user=unfinished, now=T0)  # started, not submitted
    services.add_criterion(
        actor=gn["organizer"],
        movement=gn["movement"],
        level=SchoolLevel.THCS,
        code="Q",
        title="Tỉ lệ học sinh thi tìm hiểu pháp luật",
        max_points=10,
        computed=True,
        metric="quiz_participation_rate",
    )
    since, until = services.period(gn["movement"])

    said = quiz.participants_by_school(since=since, until=until)
    rows = {s.school.code: s for s in services.standings(gn["movement"])}

    a = next(c for c in rows["A"].criteria if c.criterion.code == "Q")
    b = next(c for c in rows["B"].criteria if c.criterion.code == "Q")
    assert said == {gn["a"].id: 3}
    assert (a.value, a.points) == (0.75, 7.5)
    assert (b.value, b.points) == (0.0, 0.0)


def test_landing_page_lists_open_rounds_with_countdowns(client, gn, make, essay_round, frozen):
    from tests.contests.quiz.factories import QuizFactory

    campaign, _essay_open = essay_round
    factory = QuizFactory(make)
    contest = factory.contest()
    contest.campaign_id = campaign.id
    factory.round(
        contest, title="Vòng 1", opens_at=T0 + timedelta(days=3), closes_at=T0 + timedelta(days=4)
    )
    factory.round(
        contest, title="Vòng cũ", opens_at=T0 - timedelta(days=9), closes_at=T0 - timedelta(days=8)
    )

    rounds = campaign_services.rounds_now(campaign, now=T0)
    body = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)

    assert [r["title"].split(" — ")[1] for r in rounds] == ["Vòng trường", "Vòng 1"]
    section = body.split('data-testid="rounds-now"')[1].split("</ul>")[0]
    assert section.count("data-countdown=") == 2
    assert "Vòng cũ" not in section
