import io
from datetime import date

import pytest
from PIL import Image

from campaign.campaigns import services
from campaign.campaigns.models import Campaign, CampaignStatus
from core.audit import history
from core.errors import Conflict, ValidationFailed
from tests.conftest import T0


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), "green")
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (21.0, 1.0, 30.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def make_campaign(db, slug="tuan-le", status=CampaignStatus.DRAFT, **kw):
    campaign = Campaign(
        slug=slug,
        title=kw.pop("title", "Tuần lễ Mạng Xanh"),
        starts_on=date(2026, 11, 1),
        ends_on=date(2027, 5, 31),
        status=status,
        **kw,
    )
    db.session.add(campaign)
    db.session.flush()
    return campaign


def test_slugify_handles_vietnamese():
    assert services.slugify("Tuần lễ Đọc sách & Mạng Xanh!") == "tuan-le-doc-sach-mang-xanh"


def test_save_campaign_creates_with_slug_and_audit(make, db):
    organizer = make.organizer()

    campaign = services.save_campaign(
        actor=organizer,
        campaign=None,
        title="Ngày hội Mạng Xanh",
        slug="",
        description="Mô tả",
        starts_on=date(2026, 12, 1),
        ends_on=date(2026, 12, 31),
        now=T0,
    )

    assert campaign.slug == "ngay-hoi-mang-xanh"
    assert campaign.status == CampaignStatus.DRAFT
    assert [e.action for e in history("campaign", campaign.id)] == ["campaign.create"]


def test_save_campaign_refuses_reversed_dates_and_taken_slug(make, db):
    make_campaign(db, slug="da-co")

    with pytest.raises(ValidationFailed):
        services.save_campaign(
            actor=None,
            campaign=None,
            title="X",
            slug="x",
            description="",
            starts_on=date(2026, 12, 2),
            ends_on=date(2026, 12, 1),
        )
    with pytest.raises(Conflict):
        services.save_campaign(
            actor=None,
            campaign=None,
            title="Đã có",
            slug="da-co",
            description="",
            starts_on=date(2026, 12, 1),
            ends_on=date(2026, 12, 2),
        )


def test_banner_is_reencoded_without_gps(app, make, db):
    from core.storage import storage

    campaign = services.save_campaign(
        actor=None,
        campaign=None,
        title="Có ảnh",
        slug="co-anh",
        description="",
        starts_on=date(2026, 12, 1),
        ends_on=date(2026, 12, 2),
        banner=jpeg_with_gps(),
    )

    stored = Image.open(io.BytesIO(storage().read(campaign.banner_key)))
    assert stored.format == "JPEG"
    assert dict(stored.getexif()) == {}


def test_banner_that_is_not_an_image_is_refused_and_nothing_stored(app, make, db):
    with pytest.raises(ValidationFailed):
        services.save_campaign(
            actor=None,
            campaign=None,
            title="Hỏng",
            slug="hong",
            description="",
            starts_on=date(2026, 12, 1),
            ends_on=date(2026, 12, 2),
            banner=b"GIF89a not really",
        )


def test_status_moves_forward_only(make, db):
    campaign = make_campaign(db)

    services.set_status(actor=None, campaign=campaign, status=CampaignStatus.PUBLISHED, now=T0)
    with pytest.raises(Conflict):
        services.set_status(actor=None, campaign=campaign, status=CampaignStatus.PUBLISHED, now=T0)
    services.set_status(actor=None, campaign=campaign, status=CampaignStatus.CLOSED, now=T0)

    assert campaign.published_at == T0
    assert [e.action for e in history("campaign", campaign.id)] == [
        "campaign.published",
        "campaign.closed",
    ]


def test_public_pages_show_published_hide_drafts(client, db):
    make_campaign(db, slug="cong-bo", status=CampaignStatus.PUBLISHED, title="Đã công bố")
    make_campaign(db, slug="nhap", title="Bản nháp")

    listing = client.get("/campaigns").get_data(as_text=True)

    assert "Đã công bố" in listing and "Bản nháp" not in listing
    assert client.get("/campaigns/cong-bo").status_code == 200
    assert client.get("/campaigns/nhap").status_code == 404


def test_organizer_sees_draft_page(client, make, login, db):
    make_campaign(db, slug="nhap")
    login(make.organizer())

    assert client.get("/campaigns/nhap").status_code == 200


def test_manage_organizer_allowed_coordinator_forbidden(client, make, login, db):
    login(make.organizer())
    assert client.get("/manage/campaigns").status_code == 200
    login(make.coordinator(make.school()))
    assert client.get("/manage/campaigns").status_code == 403


def test_create_campaign_via_form_organizer_allowed_student_forbidden(client, make, login, db):
    login(make.organizer())
    response = client.post(
        "/manage/campaigns/new",
        data={
            "title": "Tháng hành động",
            "slug": "",
            "description": "",
            "starts_on": "2026-12-01",
            "ends_on": "2026-12-31",
        },
    )
    assert response.status_code == 302
    login(make.student())
    assert client.get("/manage/campaigns/new").status_code == 403


def test_edit_campaign_reversed_dates_show_message_beside_field(client, make, login, db):
    make_campaign(db, slug="sua")
    login(make.organizer())

    response = client.post(
        "/manage/campaigns/sua/edit",
        data={"title": "Sửa", "slug": "sua", "starts_on": "2026-12-31", "ends_on": "2026-12-01"},
    )

    body = response.get_data(as_text=True)
    assert 'id="ends_on-error"' in body and "Ngày kết thúc không được trước ngày bắt đầu." in body


def test_publish_organizer_allowed_judge_forbidden(client, make, login, db):
    from core.accounts.models import Role

    campaign = make_campaign(db, slug="xuat-ban")
    login(make.user(None, Role.JUDGE))
    assert client.post("/manage/campaigns/xuat-ban/publish").status_code == 403
    login(make.organizer())
    client.post("/manage/campaigns/xuat-ban/publish")
    assert campaign.status == CampaignStatus.PUBLISHED
    client.post("/manage/campaigns/xuat-ban/close")
    assert campaign.status == CampaignStatus.CLOSED


def test_banner_served_for_public_campaign_hidden_for_draft(client, app, db):
    public = make_campaign(db, slug="co-banner", status=CampaignStatus.PUBLISHED)
    draft = make_campaign(db, slug="nhap-banner")
    services.save_campaign(
        actor=None,
        campaign=public,
        title="A",
        slug="co-banner",
        description="",
        starts_on=date(2026, 12, 1),
        ends_on=date(2026, 12, 2),
        banner=jpeg_with_gps(),
    )
    services.save_campaign(
        actor=None,
        campaign=draft,
        title="B",
        slug="nhap-banner",
        description="",
        starts_on=date(2026, 12, 1),
        ends_on=date(2026, 12, 2),
        banner=jpeg_with_gps(),
    )

    ok = client.get("/campaigns/co-banner/banner")

    assert ok.status_code == 200 and ok.mimetype == "image/jpeg"
    assert client.get("/campaigns/nhap-banner/banner").status_code == 404
