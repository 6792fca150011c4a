"""Official documents (.docx and PDF, NĐ 30/2020 layout) drafted from the movement's and the
contests' data: reports, award decisions and proposals, inspection minutes, result notices."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.web import NavItem, add_nav


def init_app(app: Flask) -> None:
    from campaign.documents import api, views
    from core import api as core_api

    app.register_blueprint(views.bp)
    core_api.register(app, api.blp)
    add_nav(
        app,
        NavItem(
            "documents.index",
            _l("Documents"),
            roles=("admin", "organizer"),
            order=33,
            group="manage",
            match=("documents.index", "documents.draft"),
        ),
    )
