"""The safety corner: help lines on every student page, teaching, confidential reports."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from campaign.safety import api, views
from campaign.safety.services import help_lines
from core import api as core_api
from core.accounts.models import Role
from core.notifications.services import register_kind
from core.web import NavItem, add_nav, add_page_footer, is_public_page


def init_app(app: Flask) -> None:

    # Per browser session and device; the address ceiling is one a whole school cannot reach.
    app.config.setdefault("SAFETY_REPORT_LIMIT", "5 per hour")
    app.config.setdefault("SAFETY_REPORT_ADDRESS_LIMIT", "60 per hour")
    app.config.setdefault("SAFETY_FOLLOW_UP_LIMIT", "20 per hour")
    app.config.setdefault("SAFETY_FOLLOW_UP_ADDRESS_LIMIT", "300 per hour")
    register_kind(
        app,
        "safety_report_received",
        _l("A new confidential safety report was received (%(reference)s)."),
    )
    register_kind(
        app,
        "safety_report_follow_up",
        _l("The reporter added to safety report %(reference)s."),
    )
    app.register_blueprint(views.bp)
    core_api.register(app, api.blp)
    add_nav(
        app,
        NavItem(
            "safety.index",
            _l("Get help"),
            order=90,
            public=True,
            match=(
                "safety.index",
                "safety.report",
                "safety.received",
                "safety.follow_up",
                "safety.follow_up_message",
            ),
        ),
    )
    add_nav(
        app,
        NavItem(
            "safety.inbox",
            _l("Safety reports"),
            roles=("safeguarding",),
            order=91,
            match=("safety.inbox", "safety.show"),
        ),
    )

    @app.context_processor
    def _safety_corner():
        # Students see the help lines on every page (Luật Trẻ em 2016; QĐ 88/QĐ-BTTTT). A page
        # shared by everyone (a released leaderboard) shows everyone the national lines.
        if is_public_page():
            return {"safety_corner": help_lines(None)}
        if current_user and current_user.is_authenticated and current_user.has_role(Role.STUDENT):
            return {"safety_corner": help_lines(current_user)}
        return {"safety_corner": None}

    add_page_footer(app, "campaign/safety/_corner.html")
