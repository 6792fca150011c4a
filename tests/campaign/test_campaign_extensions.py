import io
from datetime import date

import pytest
from openpyxl import load_workbook

from campaign.campaigns import participation, services
from campaign.campaigns.models import Campaign, CampaignStatus, PhaseKind
from campaign.news import services as news
from core.errors import ValidationFailed


@pytest.fixture
def campaign(db, make):
    item = Campaign(
        slug="mx",
        title="Mạng Xanh 2026–2027",
        description="",
        starts_on=date(2026, 9, 5),
        ends_on=date(2027, 5, 31),
        status=CampaignStatus.PUBLISHED,
    )
    db.session.add(item)
    db.session.flush()
    return item


# --- phases ---------------------------------------------------------------------------------


def test_current_phase_is_the_running_one(campaign, make):
    organizer = make.organizer()
    for kind, start, end in [
        (PhaseKind.LAUNCH, date(2026, 9, 5), date(2026, 9, 30)),
        (PhaseKind.CONTESTS, date(2026, 10, 1), date(2026, 12, 31)),
        (PhaseKind.MIDTERM, date(2027, 1, 5), date(2027, 1, 20)),
    ]:
        services.add_phase(
            actor=organizer,
            campaign=campaign,
            kind=kind,
            title=kind.value,
            starts_on=start,
            ends_on=end,
        )

    assert campaign.current_phase(date(2026, 11, 30)).kind == PhaseKind.CONTESTS
    assert campaign.current_phase(date(2027, 1, 2)).kind == PhaseKind.CONTESTS
    assert campaign.current_phase(date(2027, 1, 5)).kind == PhaseKind.MIDTERM
    assert campaign.current_phase(date(2026, 9, 1)) is None


def test_phase_outside_campaign_refused(campaign, make):
    with pytest.raises(ValidationFailed):
        services.add_phase(
            actor=make.organizer(),
            campaign=campaign,
            kind=PhaseKind.FINAL,
            title="x",
            starts_on=date(2027, 5, 20),
            ends_on=date(2027, 6, 10),
        )


def test_phases_page_allowed_for_organizer(client, login, make, campaign):
    login(make.organizer())

    page = client.get("/manage/campaigns/mx/phases")
    response = client.post(
        "/manage/campaigns/mx/phases",
        data={
            "kind": "launch",
            "title": "Phát động",
            "starts_on": "2026-09-05",
            "ends_on": "2026-09-30",
        },
    )

    assert page.status_code == 200
    assert response.status_code == 302
    assert [p.title for p in campaign.phases] == ["Phát động"]


def test_phases_page_forbidden_for_coordinator(client, login, make, campaign):
    login(make.coordinator(make.school()))

    assert client.get("/manage/campaigns/mx/phases").status_code == 403


def test_delete_phase_route(client, login, make, campaign):
    organizer = make.organizer()
    phase = services.add_phase(
        actor=organizer,
        campaign=campaign,
        kind=PhaseKind.LAUNCH,
        title="x",
        starts_on=date(2026, 9, 5),
        ends_on=date(2026, 9, 6),
    )
    login(organizer)

    response = client.post(f"/manage/campaigns/mx/phases/{phase.id}/delete")

    assert response.status_code == 302
    assert campaign.phases == []


def test_delete_phase_forbidden_for_student(client, login, make, campaign):
    phase = services.add_phase(
        actor=None,
        campaign=campaign,
        kind=PhaseKind.LAUNCH,
        title="x",
        starts_on=date(2026, 9, 5),
        ends_on=date(2026, 9, 6),
    )
    login(make.student())

    assert client.post(f"/manage/campaigns/mx/phases/{phase.id}/delete").status_code == 403


# --- landing page --------------------------------------------------------------------------


def test_landing_page_shows_current_phase_news_and_participation(client, campaign, make, frozen):
    services.add_phase(
        actor=None,
        campaign=campaign,
        kind=PhaseKind.CONTESTS,
        title="Thi đua",
        starts_on=date(2026, 10, 1),
        ends_on=date(2026, 12, 31),
    )
    news.save_news(
        actor=None,
        post=None,
        title="Khai mạc",
        body_markdown="Xin chào",
        campaign_id=campaign.id,
        publish=True,
    )
    school = make.school("A", name="Trường THCS Thử")
    make.student(make.school_class(school))

    body = client.get("/campaigns/mx").get_data(as_text=True)

    assert 'data-testid="current-phase"' in body
    assert "Thi đua" in body.split('data-testid="current-phase"')[1][:200]
    assert "Khai mạc" in body
    assert "Trường THCS Thử" in body.split('data-testid="participation"')[1]


# --- news --------------------------------------------------------------------------------


def test_markdown_is_cleaned():
    html = news.render_markdown(
        "# Tiêu đề\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) "
        "![ảnh](https://a.vn/p.jpg) **đậm**"
    )

    assert "<script>" not in html
    assert 'href="javascript' not in html
    assert '<img src="https://a.vn/p.jpg" alt="ảnh">' in html
    assert "<strong>đậm</strong>" in html


def test_news_slug_unique(make):
    first = news.save_news(actor=None, post=None, title="Tin mới", body_markdown="")
    second = news.save_news(actor=None, post=None, title="Tin mới", body_markdown="")

    assert (first.slug, second.slug) == ("tin-moi", "tin-moi-2")


def test_news_public_when_published(client, make):
    news.save_news(actor=None, post=None, title="Tin", body_markdown="**A**", publish=True)

    response = client.get("/news/tin")

    assert response.status_code == 200
    assert "<strong>A</strong>" in response.get_data(as_text=True)


def test_news_draft_hidden_from_public(client, make):
    news.save_news(actor=None, post=None, title="Nháp", body_markdown="x", publish=False)

    assert client.get("/news/nhap").status_code == 404
    assert "Nháp" not in client.get("/news").get_data(as_text=True)


def test_news_image_route(client, make):
    from tests.campaign.greennet.conftest import png_bytes

    news.save_news(
        actor=None, post=None, title="Ảnh", body_markdown="", publish=True, image=png_bytes()
    )

    assert client.get("/news/anh/image").status_code == 200


def test_news_image_draft_hidden(client, make):
    from tests.campaign.greennet.conftest import png_bytes

    news.save_news(actor=None, post=None, title="Ảnh", body_markdown="", image=png_bytes())

    assert client.get("/news/anh/image").status_code == 404


def test_manage_news_allowed_for_organizer(client, login, make):
    login(make.organizer())

    page = client.get("/manage/news")
    form = client.get("/manage/news/new")
    response = client.post(
        "/manage/news/new",
        data={"title": "Tin", "body_markdown": "x", "campaign_id": "0", "publish": "y"},
    )

    assert (page.status_code, form.status_code, response.status_code) == (200, 200, 302)
    assert [p.title for p in news.latest_news()] == ["Tin"]


def test_edit_news_route(client, login, make):
    organizer = make.organizer()
    news.save_news(actor=organizer, post=None, title="Tin", body_markdown="x")
    login(organizer)

    response = client.post("/manage/news/tin/edit", data={"title": "Tin sửa", "campaign_id": "0"})

    assert response.status_code == 302
    assert news.all_news()[0].title == "Tin sửa"


@pytest.mark.parametrize("path", ["/manage/news", "/manage/news/new"])
def test_manage_news_forbidden_for_coordinator(client, login, make, path):
    login(make.coordinator(make.school()))

    assert client.get(path).status_code == 403


def test_news_index_public(client):
    assert client.get("/news").status_code == 200


def test_news_index_post_not_allowed(client):
    assert client.post("/news").status_code == 405


# --- participation -------------------------------------------------------------------------------


def test_participation_from_contest_functions(campaign, make, monkeypatch):
    school = make.school("A")
    cls = make.school_class(school)
    for _ in range(4):
        make.student(cls)
    monkeypatch.setitem(
        participation.CONTEST_SOURCES,
        "quiz_participants",
        lambda *, since, until: {school.id: 3},
    )
    monkeypatch.setitem(participation.CONTEST_SOURCES, "essay_entries", lambda *, since, until: {})

    data = participation.participation(campaign)

    row = next(r for r in data["rows"] if r["school"].code == "A")
    assert (row["eligible"], row["quiz"], row["quiz_rate"], row["essay_rate"]) == (4, 3, 75.0, 0.0)
    thcs = next(level for level in data["levels"] if level["level"].value == "THCS")
    assert (thcs["eligible"], thcs["quiz"], thcs["quiz_rate"]) == (4, 3, 75.0)


def test_participation_xlsx_for_organizer(client, login, make, campaign):
    school = make.school("A")
    make.student(make.school_class(school))
    login(make.organizer())

    response = client.get("/campaigns/mx/participation.xlsx")

    sheet = load_workbook(io.BytesIO(response.data))["Theo trường"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert response.status_code == 200
    assert rows[0][0:4] == ("A", school.name, "THCS", 1)


def test_participation_xlsx_forbidden_for_coordinator(client, login, make, campaign):
    login(make.coordinator(make.school()))

    assert client.get("/campaigns/mx/participation.xlsx").status_code == 403
