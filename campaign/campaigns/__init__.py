"""Campaigns: the container organizers launch, with dated phases and a public landing page."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from campaign.campaigns import api, services, views
from core import api as core_api
from core.web import NavItem, add_home_section, add_nav, add_public_section


def init_app(app: Flask) -> None:
    """Register the campaign pages, the API, navigation, the home page's list and the demo."""

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
            group="manage",
            match=("campaign.manage", "campaign.edit"),
        ),
    )
    add_home_section(app, "organizer", "campaign/campaigns/_home_organizer.html", order=10)
    add_public_section(
        app,
        "campaign/campaigns/_public_home.html",
        lambda: {"campaigns": services.public_campaigns()},
    )
