"""Inspections (kiểm tra định kỳ / đột xuất) of a school's movement: plan, checklist drawn
from the criteria, findings with photos, and the link to verification. The minutes are an
official document (``campaign.documents``, kind ``bien-ban-kiem-tra``)."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.web import NavItem, add_nav


def init_app(app: Flask) -> None:
    from campaign.inspections import views

    app.register_blueprint(views.bp)
    add_nav(
        app,
        NavItem(
            "inspections.index",
            _l("Inspections"),
            roles=("admin", "organizer"),
            order=34,
            group="manage",
            match=("inspections.index", "inspections.plan", "inspections.show"),
        ),
    )
