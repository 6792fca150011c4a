"""The demo campaign."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from campaign.campaigns.models import Campaign, CampaignStatus
from core.clock import local_today
from core.extensions import db

DEMO_SLUG = "van-hoa-ung-xu-tren-khong-gian-mang"


def seed_campaign(*, now: datetime) -> None:
    """The published demo campaign for this school year."""
    if db.session.scalar(sa.select(Campaign).where(Campaign.slug == DEMO_SLUG)):
        return
    today: date = local_today(now, "Asia/Ho_Chi_Minh")
    start_year = today.year if today.month >= 8 else today.year - 1
    db.session.add(
        Campaign(
            slug=DEMO_SLUG,
            title=f"Xây dựng văn hóa ứng xử trên không gian mạng năm học {start_year}–{start_year + 1}",
            description=(
                "Thực hiện Kế hoạch xây dựng văn hóa ứng xử trên không gian mạng của ngành Giáo dục "
                "và Đào tạo Gia Lâm: cuộc thi trực tuyến tìm hiểu pháp luật, cuộc thi viết về những "
                "hành động đẹp trên không gian mạng và phong trào thi đua \u201cMạng xanh\u201d trong "
                "mọi nhà trường."
            ),
            starts_on=date(start_year, 9, 5),
            ends_on=date(start_year + 1, 5, 31),
            status=CampaignStatus.PUBLISHED,
            published_at=now - timedelta(days=30),
        )
    )
