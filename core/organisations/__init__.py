"""Issuing bodies (education offices, people's committees, the Youth Union, schools) as data."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.web import NavItem, add_nav


def init_app(app: Flask) -> None:
    from core.organisations import views

    app.register_blueprint(views.bp)
    add_nav(
        app,
        NavItem(
            "organisations.index",
            _l("Organisations"),
            roles=("admin", "organizer"),
            order=81,
            group="manage",
            match=("organisations.index", "organisations.edit"),
        ),
    )
