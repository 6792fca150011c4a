"""District, schools and classes."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from core.web import NavItem, add_nav


def init_app(app: Flask) -> None:
    from core.schools import views

    app.register_blueprint(views.bp)
    add_nav(
        app,
        NavItem(
            "schools.index", _l("Schools"), roles=("admin", "organizer"), order=80, group="manage"
        ),
    )
    add_nav(
        app,
        NavItem(
            "schools.mine",
            _l("My school"),
            roles=("coordinator",),
            order=30,
            group="school",
            match=("schools.show", "accounts.class_roster", "accounts.import_roster"),
        ),
    )
