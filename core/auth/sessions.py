"""Which signed-in session a request belongs to, and whether a session is still live."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g, has_request_context
from flask_login import current_user

from core.auth.models import LoginSession


def current_login_session_id() -> int | None:
    """The LoginSession.id of the current request's signed-in session (None if anonymous)."""
    if not has_request_context() or not current_user.is_authenticated:
        return None
    return g.get("login_session_id")


def live_session_clause(session_id, user_id, *, now=None):
    """SQLAlchemy boolean clause: LoginSession row `session_id` belongs to `user_id` and is not revoked.

    ``session_id`` and ``user_id`` may be values, bind parameters or columns. With ``now`` (a
    value or a bind parameter) the session must also not have expired; without it, expired rows
    are ended by the scheduler's prune job, which deletes them.
    """
    conditions = [
        LoginSession.id == session_id,
        LoginSession.user_id == user_id,
        LoginSession.revoked_at.is_(None),
    ]
    if now is not None:
        conditions.append(LoginSession.expires_at > now)
    return sa.exists().where(*conditions)
