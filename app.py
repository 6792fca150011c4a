"""The composition root: the one place the kernel, the domains and the demo come together.

``core`` is the kernel and imports no domain; ``contests`` and ``campaign`` plug into it from their
own ``init_app`` (blueprints, navigation, home sections, jobs, notification kinds); ``demo`` seeds
the demo district on top of everything. Only this module imports them all.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy.orm
from flask import Flask
from flask_babel import force_locale, get_translations
from werkzeug.middleware.proxy_fix import ProxyFix

import campaign
import contests
import core.accounts
import core.api
import core.auth
import core.devserver
import core.notifications
import core.organisations
import core.scheduler
import core.schools
import demo
from contests.quiz import boardapp, saveapp
from core import assets, extensions, i18n, security, storage, transaction, web
from core.config import PROJECT_ROOT, Config, config_from_env
from core.db import forget_connections_after_fork, is_sqlite, ping_when_idle, tune_sqlite
from core.errors import register_error_handlers
from core.flaskapp import App


def create_app(config: Config | dict | None = None) -> Flask:
    """Create and configure the application."""
    app = App(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_relative_config=False,
    )
    if config is None:
        config = config_from_env()
    if isinstance(config, dict):
        app.config.update(config)
    else:
        app.config.from_object(config)
    app.instance_path = app.config.get("INSTANCE_PATH", app.instance_path)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.setdefault(
        "BABEL_TRANSLATION_DIRECTORIES",
        ";".join(str(p) for p in sorted((PROJECT_ROOT / "translations").glob("*")) if p.is_dir()),
    )
    extensions.db.init_app(app)
    with app.app_context():
        forget_connections_after_fork(extensions.db.engine)
        if is_sqlite(extensions.db.engine):
            tune_sqlite(extensions.db.engine)
        else:
            # A server connection can go stale (a SQLite file handle cannot): pooled connections
            # that sat idle are pinged before use, busy ones are not (core.db.ping_when_idle).
            ping_when_idle(extensions.db.engine)
    extensions.migrate.init_app(
        app,
        extensions.db,
        directory=str(PROJECT_ROOT / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    extensions.csrf.init_app(app)
    extensions.limiter.init_app(app)
    extensions.compress.init_app(app)
    # First, so its before_request runs before any other hook can answer.
    transaction.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    web.init_app(app)
    storage.init_app(app)
    assets.init_app(app)

    core.api.init_app(app)
    core.auth.init_app(app)
    core.accounts.init_app(app)
    core.schools.init_app(app)
    core.organisations.init_app(app)
    core.notifications.init_app(app)
    contests.init_app(app)
    campaign.init_app(app)
    core.scheduler.init_app(app)
    core.devserver.init_app(app)
    demo.init_app(app)
    # Registered last: flask-smorest installs its own HTTP error handler, ours must win.
    register_error_handlers(app)
    # The hottest requests are served by small applications of their own (core.mounts): reads of
    # a released leaderboard (contests.quiz.boardapp) and, outermost, answer saves that bring an
    # attempt token (contests.quiz.saveapp). Every other request reaches this one unchanged.
    boardapp.mount(app)
    saveapp.mount(app)
    if app.config.get("PROXY_COUNT"):
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    return app


def warm_up(app: Flask) -> None:
    """Load now what each request would otherwise load on first use: mappers, catalogs, pages.

    gunicorn calls this in the master before it forks the workers (deploy/gunicorn.conf.py), so
    the workers share one copy instead of building their own on their first requests.
    """
    sqlalchemy.orm.configure_mappers()
    with app.test_request_context():
        for code in app.config["LANGUAGES"]:
            with force_locale(code):
                get_translations()
    for name in app.jinja_loader.list_templates():
        app.jinja_env.get_template(name)
