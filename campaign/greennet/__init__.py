"""The green network movement (phong trào thi đua "Mạng xanh")."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.web import NavItem, add_nav


def init_app(app: Flask) -> None:
    from campaign.greennet import api, views
    from campaign.greennet.demo import seed_greennet
    from campaign.services import add_content_provider
    from core import api as core_api
    from core.demo import register_seeder

    app.register_blueprint(views.bp)
    core_api.register(app, api.blp)
    add_nav(
        app,
        NavItem(
            "greennet.standings",
            _l("Green network"),
            order=30,
            public=True,
            match=("greennet.standings",),
        ),
    )
    add_nav(
        app,
        NavItem(
            "greennet.mine",
            _l("My school's movement"),
            roles=("coordinator",),
            order=31,
            match=(
                "greennet.mine",
                "greennet.school",
                "greennet.activity",
                "greennet.new_activity",
                "greennet.edit_activity",
            ),
        ),
    )
    add_nav(
        app,
        NavItem(
            "greennet.manage",
            _l("Movement"),
            roles=("admin", "organizer"),
            order=32,
            match=(
                "greennet.manage",
                "greennet.settings",
                "greennet.dashboard",
                "greennet.verification",
            ),
        ),
    )
    add_content_provider(app, _campaign_contents)
    register_seeder(app, 50, seed_greennet)


def _campaign_contents(campaign) -> list[dict]:
    import sqlalchemy as sa
    from flask import url_for

    from campaign.greennet.models import Movement
    from core.extensions import db

    return [
        {
            "title": m.title,
            "url": url_for("greennet.standings"),
            "kind": _l("Emulation movement"),
            "opens_at": None,
            "closes_at": None,
        }
        for m in db.session.scalars(sa.select(Movement).where(Movement.campaign_id == campaign.id))
    ]
