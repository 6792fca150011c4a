"""A school's news (issue 17): coordinators publish for their own school, a campaign may require
an organizer's approval, the campaign page and the Atom feeds show it, student names masked."""

from __future__ import annotations

from datetime import date, timedelta
from xml.etree import ElementTree

import pytest

from campaign.campaigns.models import Campaign, CampaignStatus
from campaign.news import services as news
from core.errors import Conflict
from tests.conftest import T0

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def campaign(db):
    item = Campaign(
        slug="mx",
        title="Mạng Xanh 2026–2027",
        starts_on=date(2026, 9, 5),
        ends_on=date(2027, 5, 31),
        status=CampaignStatus.PUBLISHED,
    )
    db.session.add(item)
    db.session.flush()
    return item


@pytest.fixture
def school(make):
    return make.school("A")


def _post(actor, school, campaign, *, title="Tin trường A", body="Nội dung", publish=True):
    return news.save_news(
        actor=actor,
        post=None,
        title=title,
        body_markdown=body,
        campaign_id=campaign.id if campaign else None,
        publish=publish,
        school_id=school.id,
        now=T0,
    )


def entries(response) -> list[tuple[str, str]]:
    root = ElementTree.fromstring(response.data)
    return [
        (e.find(f"{ATOM}title").text, e.find(f"{ATOM}author/{ATOM}name").text)
        for e in root.findall(f"{ATOM}entry")
    ]


# --- services ------------------------------------------------------------------------------------


def test_school_post_is_published_at_once_without_approval(make, school, campaign):
    post = _post(make.coordinator(school), school, campaign)

    assert (post.published_at, post.pending_since, post.school_id) == (T0, None, school.id)


def test_school_post_waits_when_the_campaign_requires_approval(make, school, campaign):
    campaign.news_needs_approval = True

    post = _post(make.coordinator(school), school, campaign)

    assert (post.published_at, post.pending_since) == (None, T0)
    assert news.pending_news() == [post]
    assert news.latest_news(campaign_id=campaign.id) == []


def test_approve_publishes_a_waiting_post(make, school, campaign):
    campaign.news_needs_approval = True
    post = _post(make.coordinator(school), school, campaign)
    organizer = make.organizer()

    news.approve_news(actor=organizer, post=post, now=T0 + timedelta(hours=1))

    assert (post.published_at, post.pending_since, post.approved_by_id) == (
        T0 + timedelta(hours=1),
        None,
        organizer.id,
    )
    assert news.latest_news(school_id=school.id) == [post]


def test_approve_refuses_a_post_that_is_not_waiting(make, school, campaign):
    post = _post(make.coordinator(school), school, campaign)

    with pytest.raises(Conflict):
        news.approve_news(actor=make.organizer(), post=post)


def test_school_post_masks_the_school_students_names(make, school, campaign):
    make.student(make.school_class(school), full_name="Nguyễn Văn An")

    post = _post(
        make.coordinator(school),
        school,
        campaign,
        title="Chúc mừng Nguyễn Văn An",
        body="Em **Nguyễn Văn An** lớp 8A đạt giải.",
    )

    assert post.title == "Chúc mừng Nguyễn V. A."
    assert "Nguyễn Văn An" not in post.body_html
    assert "Nguyễn V. A." in post.body_html


# --- routes --------------------------------------------------------------------------------------


def test_coordinator_writes_school_news(client, login, make, school, campaign):
    login(make.coordinator(school))

    response = client.post(
        f"/schools/{school.id}/news/new",
        data={
            "title": "Ngày hội",
            "campaign_id": campaign.id,
            "body_markdown": "Vui",
            "publish": "y",
        },
    )

    post = news.school_news(school.id)[0]
    assert response.status_code == 302
    assert (post.title, post.school_id, post.published_at is not None) == (
        "Ngày hội",
        school.id,
        True,
    )


def test_coordinator_of_another_school_cannot_write_its_news(client, login, make, school):
    login(make.coordinator(make.school("B")))

    assert client.get(f"/schools/{school.id}/news").status_code == 403
    assert client.get(f"/schools/{school.id}/news/new").status_code == 403
    assert client.post(f"/schools/{school.id}/news/new", data={"title": "x"}).status_code == 403
    assert news.school_news(school.id) == []


def test_coordinator_cannot_edit_another_school_post_through_own_school(
    client, login, make, school, campaign
):
    other = make.school("B")
    post = _post(make.coordinator(other), other, campaign)
    login(make.coordinator(school))

    assert client.get(f"/schools/{school.id}/news/{post.slug}/edit").status_code == 404


def test_school_news_list_for_its_coordinator(client, login, make, school, campaign):
    _post(make.coordinator(school), school, campaign, title="Tin riêng")
    login(make.coordinator(school))

    response = client.get(f"/schools/{school.id}/news")

    assert response.status_code == 200
    assert "Tin riêng" in response.get_data(as_text=True)


def test_my_school_news_redirects_a_coordinator(client, login, make, school):
    login(make.coordinator(school))

    response = client.get("/my-school/news")

    assert response.headers["Location"].endswith(f"/schools/{school.id}/news")


def test_my_school_news_forbidden_for_a_student(client, login, make, school):
    login(make.student(make.school_class(school)))

    assert client.get("/my-school/news").status_code == 403


def test_organizer_approves_a_waiting_post(client, login, make, school, campaign):
    campaign.news_needs_approval = True
    post = _post(make.coordinator(school), school, campaign)
    login(make.organizer())

    page = client.get("/manage/news").get_data(as_text=True)
    response = client.post(f"/manage/news/{post.slug}/approve")

    assert "Tin trường A" in page
    assert response.status_code == 302
    assert post.published_at is not None


def test_coordinator_cannot_approve(client, login, make, school, campaign):
    campaign.news_needs_approval = True
    post = _post(make.coordinator(school), school, campaign)
    login(make.coordinator(school))

    assert client.post(f"/manage/news/{post.slug}/approve").status_code == 403
    assert post.published_at is None


def test_campaign_page_and_feed_show_the_school_news(client, make, school, campaign):
    _post(make.coordinator(school), school, campaign, title="Tin trường A")

    page = client.get("/campaigns/mx").get_data(as_text=True)
    feed = client.get("/campaigns/mx/news.atom")

    assert "Tin trường A" in page
    assert feed.status_code == 200
    assert feed.mimetype == "application/atom+xml"
    assert entries(feed) == [("Tin trường A", school.name)]


def test_campaign_feed_leaves_out_waiting_posts(client, make, school, campaign):
    campaign.news_needs_approval = True
    _post(make.coordinator(school), school, campaign)

    assert entries(client.get("/campaigns/mx/news.atom")) == []


def test_campaign_feed_of_a_draft_campaign_is_not_found(client, db, campaign):
    campaign.status = CampaignStatus.DRAFT
    db.session.flush()

    assert client.get("/campaigns/mx/news.atom").status_code == 404


def test_school_feed_lists_the_school_published_news_newest_first(client, make, school, campaign):
    coordinator = make.coordinator(school)
    first = _post(coordinator, school, campaign, title="Tin một")
    second = _post(coordinator, school, None, title="Tin hai")
    second.published_at = first.published_at + timedelta(days=1)
    _post(coordinator, school, campaign, title="Bản nháp", publish=False)
    other = make.school("B")
    _post(make.coordinator(other), other, campaign, title="Tin trường B")

    response = client.get(f"/schools/{school.id}/news.atom")

    assert response.status_code == 200
    assert [title for title, _author in entries(response)] == ["Tin hai", "Tin một"]


def test_school_feed_of_an_unknown_school_is_not_found(client, db):
    assert client.get("/schools/999999/news.atom").status_code == 404


def test_feed_masks_student_names(client, make, school, campaign):
    make.student(make.school_class(school), full_name="Trần Thị Bình")
    _post(make.coordinator(school), school, campaign, body="Chúc mừng Trần Thị Bình.")

    body = client.get(f"/schools/{school.id}/news.atom").get_data(as_text=True)

    assert "Trần Thị Bình" not in body
    assert "Trần T. B." in body


def test_organizer_sets_the_approval_setting(client, login, make, campaign):
    login(make.organizer())

    client.post(
        "/manage/campaigns/mx/edit",
        data={
            "title": campaign.title,
            "slug": "mx",
            "starts_on": "2026-09-05",
            "ends_on": "2027-05-31",
            "news_needs_approval": "y",
        },
    )

    assert campaign.news_needs_approval is True


def test_organizer_edit_keeps_a_post_school(client, login, make, school, campaign):
    post = _post(make.coordinator(school), school, campaign)
    login(make.organizer())

    client.post(
        f"/manage/news/{post.slug}/edit",
        data={"title": "Sửa", "campaign_id": campaign.id, "publish": "y"},
    )

    assert (post.title, post.school_id) == ("Sửa", school.id)
