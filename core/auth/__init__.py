"""Authentication: sessions, sign-in pages and API, forced password changes."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core import api as core_api
from core.accounts.signals import sessions_must_end
from core.auth import api as auth_api
from core.auth import sessions, views
from core.auth.models import LoginSession  # noqa: F401  (registers the table)
from core.errors import error_response, wants_json
from core.extensions import login_manager
from core.scheduler import Job, register_job

#: Endpoints a user who must change their password may still reach.
_OPEN_WHILE_CHANGING = {"auth.change_password", "auth.logout", "static", "core.set_language"}


def _end_sessions(user, *, now=None) -> None:
    sessions.revoke_all(user=user, now=now)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    # A password set or reset, or a disabled account, ends the account's sessions.
    sessions_must_end.connect(_end_sessions)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    # The session cookie names a LoginSession ("<user id>:<session id>"): the loader checks it is
    # live in the query that loads the user and their roles.
    login_manager.user_loader(sessions.load_user)
    # No session: a remember-me cookie may restore one (its token is replaced on use).
    login_manager.request_loader(sessions.load_user_from_remember_cookie)
    app.after_request(sessions.set_remember_cookie)

    @login_manager.unauthorized_handler
    def _unauthorized():
        if wants_json():
            return error_response(401, code="unauthorized")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    @app.before_request
    def _force_password_change():
        # The path first: an API request (an answer save by its token) loads no user here.
        if (
            not request.path.startswith("/api/")
            and current_user.is_authenticated
            and current_user.must_change_password
            and request.endpoint not in _OPEN_WHILE_CHANGING
        ):
            return redirect(url_for("auth.change_password"))
        return None

    app.register_blueprint(views.bp)
    core_api.register(app, auth_api.blp)
    register_job(
        app,
        Job("prune-login-sessions", "core.auth.jobs:prune_login_sessions", timedelta(minutes=10)),
    )
