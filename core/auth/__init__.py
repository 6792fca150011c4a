"""Authentication: sessions, sign-in pages and API, forced password changes."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload

from core.accounts.models import User
from core.auth.models import LoginSession  # noqa: F401  (registers the table)
from core.errors import error_response, wants_json
from core.extensions import db, login_manager

#: The signed-in user with their roles in one query (runs on every request: answer saves are the
#: hottest path). Built once; SQLAlchemy caches its compiled form.
_USER_WITH_ROLES = (
    sa.select(User)
    .options(joinedload(User.role_assignments))
    .where(User.id == sa.bindparam("user_id"))
)

#: Endpoints a user who must change their password may still reach.
_OPEN_WHILE_CHANGING = {"auth.change_password", "auth.logout", "static", "core.set_language"}


def init_app(app: Flask) -> None:
    from core import api
    from core.auth import api as auth_api
    from core.auth import views

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load_user(user_id: str):
        if not user_id.isdigit():
            return None
        # Already in this session (tests, or a loader that ran before): no query, as get() does.
        user = db.session.identity_map.get(db.session.identity_key(User, int(user_id)))
        if user is None:
            user = db.session.scalars(_USER_WITH_ROLES, {"user_id": int(user_id)}).unique().first()
        return user if user is not None and user.active else None

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
    api.register(app, auth_api.blp)
