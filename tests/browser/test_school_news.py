"""Browser journey (issue 17): a coordinator publishes the school's news; with the campaign's
approval setting an organizer approves it; it appears on the campaign page and in the feeds."""

from __future__ import annotations

import uuid
from datetime import date
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def news_world(live_server):
    """A published campaign that requires approval, a school and its coordinator."""
    from campaign.campaigns.models import Campaign, CampaignStatus
    from core.accounts import services as accounts
    from core.accounts.models import Role, RoleAssignment, User
    from core.extensions import db
    from core.schools.models import District, School, SchoolLevel

    tag = uuid.uuid4().hex[:6]
    with live_server.app.test_request_context():
        district = db.session.scalar(sa.select(District))
        school = School(
            district=district,
            code=f"TN-{tag}",
            name=f"Trường THCS Tin {tag}",
            level=SchoolLevel.THCS,
        )
        db.session.add(school)
        db.session.flush()
        coordinator = User(
            username=f"tin-{tag}",
            full_name="Phạm Thị Điều Phối",
            password_hash=accounts.hash_password("demo1234"),
            school_id=school.id,
        )
        coordinator.role_assignments = [RoleAssignment(role=Role.COORDINATOR, school_id=school.id)]
        campaign = Campaign(
            slug=f"tin-{tag}",
            title=f"Chiến dịch tin {tag}",
            starts_on=date(2026, 9, 5),
            ends_on=date(2027, 5, 31),
            status=CampaignStatus.PUBLISHED,
            news_needs_approval=True,
        )
        db.session.add_all([coordinator, campaign])
        db.session.commit()
        ids = {
            "school": school.id,
            "school_name": school.name,
            "coordinator": coordinator.username,
            "campaign": campaign.slug,
            "campaign_title": campaign.title,
        }
        db.session.remove()
    return ids


def _titles(page, url) -> list[str]:
    response = page.request.get(url)
    assert response.status == 200
    root = ElementTree.fromstring(response.body())
    return [e.find(f"{ATOM}title").text for e in root.findall(f"{ATOM}entry")]


def test_coordinator_publishes_school_news_organizer_approves_it_shows_on_page_and_feeds(
    live_server, browser, page, news_world
):
    world = news_world
    title = f"Hội thi an toàn mạng {world['school']}"
    campaign_feed = live_server(f"/campaigns/{world['campaign']}/news.atom")
    school_feed = live_server(f"/schools/{world['school']}/news.atom")

    # The coordinator writes the school's news about the campaign and publishes it.
    sign_in(page, live_server, world["coordinator"])
    page.goto(live_server("/my-school/news"))
    page.get_by_role("link", name="Viết tin mới").click()
    page.get_by_label("Tiêu đề").fill(title)
    page.get_by_label("Chiến dịch").select_option(label=world["campaign_title"])
    page.get_by_label("Nội dung").fill("Học sinh khối 8 tham gia hội thi.")
    page.get_by_label("Đã công bố").check()
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_text("Tin đang chờ ban tổ chức duyệt.")).to_be_visible()
    expect(page.get_by_text("Chờ duyệt")).to_be_visible()
    assert title not in _titles(page, campaign_feed)

    # An organizer approves it.
    organizer = browser.new_context(locale="vi-VN").new_page()
    sign_in(organizer, live_server, "organizer")
    organizer.goto(live_server("/manage/news"))
    pending = organizer.get_by_role("listitem").filter(has_text=title).first
    pending.get_by_role("button", name="Duyệt và đăng").click()
    expect(organizer.get_by_text("Tin đã được đăng.")).to_be_visible()

    # Everyone sees it on the campaign page and in both feeds.
    visitor = browser.new_context(locale="vi-VN").new_page()
    visitor.goto(live_server(f"/campaigns/{world['campaign']}"))
    expect(visitor.get_by_role("link", name=title)).to_be_visible()
    expect(visitor.get_by_text(world["school_name"])).to_be_visible()
    assert _titles(visitor, campaign_feed) == [title]
    assert _titles(visitor, school_feed) == [title]
