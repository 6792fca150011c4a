"""News: posts by organizers, on their own or about a campaign."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from campaign.campaigns.services import add_page_context
from campaign.news import services, views
from core.notifications.services import register_kind
from core.web import NavItem, add_nav


def init_app(app: Flask) -> None:
    """Register the news pages, navigation, the news notification and the campaign page's news."""

    app.register_blueprint(views.bp)
    add_nav(
        app,
        NavItem("news.index", _l("News"), order=12, public=True, match=("news.index", "news.show")),
    )
    add_nav(
        app,
        NavItem(
            "news.manage",
            _l("Manage news"),
            roles=("admin", "organizer"),
            order=21,
            group="manage",
            match=("news.manage", "news.edit"),
        ),
    )
    add_nav(
        app,
        NavItem(
            "news.mine",
            _l("School news"),
            roles=("coordinator",),
            order=31,
            group="school",
            match=("news.school_index", "news.school_edit"),
        ),
    )
    register_kind(app, "news_published", _l("News: %(title)s"))
    add_page_context(
        app,
        lambda campaign, now: {"news": services.latest_news(campaign_id=campaign.id, limit=4)},
    )
