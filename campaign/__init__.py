"""Campaigns and what hangs on them outside the contests."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from flask_babel import lazy_gettext as _l

from core.web import NavItem, add_nav


def init_app(app: Flask) -> None:
    from campaign import api, services, views
    from core import api as core_api
    from core.demo import register_seeder

    app.register_blueprint(views.bp)
    core_api.register(app, api.blp)
    add_nav(
        app,
        NavItem(
            "campaign.index",
            _l("Campaigns"),
            order=10,
            public=True,
            match=("campaign.index", "campaign.show"),
        ),
    )
    add_nav(
        app,
        NavItem(
            "campaign.manage",
            _l("Manage campaigns"),
            roles=("admin", "organizer"),
            order=20,
            match=("campaign.manage", "campaign.edit"),
        ),
    )
    add_nav(
        app,
        NavItem(
            "campaign.news_index",
            _l("News"),
            order=12,
            public=True,
            match=("campaign.news_index", "campaign.news"),
        ),
    )
    add_nav(
        app,
        NavItem(
            "campaign.manage_news",
            _l("Manage news"),
            roles=("admin", "organizer"),
            order=21,
            match=("campaign.manage_news", "campaign.edit_news"),
        ),
    )

    @app.context_processor
    def _notifications():
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            return {"notification_count": services.unread_count(current_user)}
        return {}

    # Contests tell people about rounds and results without importing campaign (see DESIGN.md):
    # current_app.extensions["mangxanh.notify"](user_ids=..., kind="round_opened", params=...).
    app.extensions["mangxanh.notify"] = services.notify
    app.extensions["mangxanh.public_home"] = lambda: {"campaigns": services.public_campaigns()}
    register_seeder(app, 10, seed_campaign)

    from campaign import greennet, safety

    safety.init_app(app)
    greennet.init_app(app)


DEMO_SLUG = "van-hoa-ung-xu-tren-khong-gian-mang"


def seed_campaign(*, now: datetime) -> None:
    """The published demo campaign for this school year."""
    from campaign.models import Campaign, CampaignStatus
    from core.clock import local_today
    from core.extensions import db

    if db.session.scalar(sa.select(Campaign).where(Campaign.slug == DEMO_SLUG)):
        return
    today: date = local_today(now)
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
