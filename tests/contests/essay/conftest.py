"""Factories for writing-contest tests: a campaign, a contest, rounds around T0, entries."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from PIL import Image

from campaign.campaigns.models import Campaign, CampaignStatus
from contests.essay import services
from contests.essay.models import EssayContest, EssayRound
from core.extensions import db
from tests.conftest import T0

LOREM = "Em đã giúp bạn báo cáo một tài khoản giả mạo trên mạng xã hội hôm qua. "


def words(n: int) -> str:
    """Return Vietnamese text of exactly ``n`` words."""
    base = LOREM.split()
    return " ".join(base[i % len(base)] for i in range(n))


@pytest.fixture
def contest(db):
    campaign = Campaign(
        slug="chien-dich-thu",
        title="Chiến dịch thử",
        starts_on=date(2026, 9, 5),
        ends_on=date(2027, 5, 31),
        status=CampaignStatus.PUBLISHED,
    )
    db.session.add(campaign)
    db.session.flush()
    item = EssayContest(campaign_id=campaign.id, title="Viết về hành động đẹp")
    db.session.add(item)
    db.session.flush()
    return item


@pytest.fixture
def make_round(contest):
    def _make(**kw) -> EssayRound:
        values = {
            "contest": contest,
            "stage": 1,
            "name": "Vòng trường",
            "theme": "Hành động đẹp trên mạng",
            "prompt": "Kể lại một hành động đẹp.",
            "opens_at": T0 - timedelta(days=1),
            "closes_at": T0 + timedelta(hours=2),
            "min_words": 10,
            "max_words": 100,
            "max_photos": 2,
            "allow_withdraw": True,
        }
        values.update(kw)
        item = EssayRound(**values)
        db.session.add(item)
        db.session.flush()
        return item

    return _make


@pytest.fixture
def open_round(make_round):
    return make_round()


@pytest.fixture
def student(make):
    return make.student(full_name="Nguyễn Thị Mai")


@pytest.fixture
def entry(open_round, student):
    return services.start_entry(round_=open_round, student=student, now=T0)


@pytest.fixture
def make_entry(make, make_round):
    """An entry with text, in any state, for another student."""

    def _make(round_, student=None, *, n_words=50, submit=True, body=None, title="Bài viết"):
        student = student or make.student()
        item = services.start_entry(round_=round_, student=student, now=round_.opens_at)
        services.save_draft(
            entry=item, title=title, body=body or words(n_words), seq=1, now=round_.opens_at
        )
        if submit:
            services.submit_entry(entry=item, now=round_.opens_at)
        return item

    return _make


def image_bytes(fmt: str = "JPEG", size=(64, 48), exif=None) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (30, 120, 60))
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(out, format=fmt, **kwargs)
    return out.getvalue()


def gps_exif() -> bytes:
    """EXIF with a GPS position (a home in Gia Lâm) and a camera owner."""
    exif = Image.Exif()
    exif[0x013B] = "Nguyen Thi Mai"  # Artist
    gps = {1: "N", 2: (21.0, 1.0, 30.5), 3: "E", 4: (105.0, 56.0, 10.2)}
    exif[0x8825] = gps
    return exif.tobytes()


@pytest.fixture(autouse=True)
def _request_context(app):
    """Services translate their messages; give them a request (and so a locale)."""
    with app.test_request_context():
        yield
