"""Signed-in sessions that can be ended: one LoginSession row per sign-in.

The Flask session cookie names its row through Flask-Login's alternative id,
``"<user id>:<login session id>"`` (``User.get_id``), so the user loader checks on every request,
in the same query that loads the user and their roles, that the session is live. Logout revokes
the row; a password change, an administrator's reset and disabling the account revoke every row
of the account. The rows live in the database, so every app server sees the same state.

Remember-me is a random token per sign-in (``secrets``), kept as its sha256 on the row, sent in
its own cookie and replaced by a new one each time it restores a session (Flask-Login's
``request_loader``). Flask-Login's own remember cookie (``<user id>|HMAC``) is never set.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, g, has_request_context, request, session
from flask_login import UserMixin, current_user, login_user
from sqlalchemy.orm import joinedload

from core.accounts.models import User
from core.auth.models import LoginSession
from core.clock import utcnow
from core.extensions import db

#: The signed-in user with their roles and the session's expiry, in one query (it runs on every
#: signed-in request: answer saves are the hottest path). No row: the session was revoked,
#: deleted, or belongs to someone else.
_USER_WITH_SESSION = (
    sa.select(User, LoginSession.expires_at)
    .join(LoginSession, LoginSession.user_id == User.id)
    .options(joinedload(User.role_assignments))
    .where(
        User.id == sa.bindparam("user_id"),
        LoginSession.id == sa.bindparam("session_id"),
        LoginSession.revoked_at.is_(None),
    )
)


def current_login_session_id() -> int | None:
    """The LoginSession.id of the current request's signed-in session (None if anonymous)."""
    if not has_request_context() or not current_user.is_authenticated:
        return None
    return g.get("login_session_id")


def live_session_clause(session_id, user_id, *, now=None):
    """SQLAlchemy boolean clause: LoginSession row `session_id` belongs to `user_id` and is not revoked.

    ``session_id`` and ``user_id`` may be values, bind parameters or columns. With ``now`` (a
    value or a bind parameter) the session must also not have expired; without it, an expired
    session ends when the scheduler's prune job deletes its row (within its interval).
    """
    conditions = [
        LoginSession.id == session_id,
        LoginSession.user_id == user_id,
        LoginSession.revoked_at.is_(None),
    ]
    if now is not None:
        conditions.append(LoginSession.expires_at > now)
    return sa.exists().where(*conditions)


def token_digest(token: str) -> str:
    """sha256 hex of a remember-me token (random, 256 bits: no salt or slow hash needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _remember_duration() -> timedelta:
    return current_app.config["REMEMBER_COOKIE_DURATION"]


# --- the rows ---------------------------------------------------------------------------------


def start(
    *,
    user: User,
    remember: bool = False,
    user_agent: str | None = None,
    lifetime: timedelta | None = None,
    now: datetime | None = None,
) -> tuple[LoginSession, str | None]:
    """Record a new signed-in session of ``user``; return it and its remember-me token (or None).

    It lasts ``lifetime`` (default: the session cookie's, PERMANENT_SESSION_LIFETIME), or the
    remember-me duration when ``remember``.
    """
    now = now or utcnow()
    token = secrets.token_urlsafe(32) if remember else None
    if lifetime is None:
        lifetime = _remember_duration() if remember else current_app.permanent_session_lifetime
    row = LoginSession(
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
        remember_token_hash=token_digest(token) if token else None,
        user_agent=(user_agent or "")[:200] or None,
    )
    db.session.add(row)
    db.session.flush()
    return row, token


def revoke(*, session_id: int, now: datetime | None = None) -> int:
    """End one session and its remember-me login; return how many rows changed (0 or 1)."""
    return _revoke(LoginSession.id == session_id, now=now)


def revoke_all(*, user: User, keep: int | None = None, now: datetime | None = None) -> int:
    """End every session and remember-me login of ``user`` (but ``keep``); return how many."""
    condition = LoginSession.user_id == user.id
    if keep is not None:
        condition = sa.and_(condition, LoginSession.id != keep)
    return _revoke(condition, now=now)


def _revoke(condition, *, now: datetime | None) -> int:
    result = db.session.execute(
        sa.update(LoginSession)
        .where(condition, LoginSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow(), remember_token_hash=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def count_others(*, user: User, session_id: int | None, now: datetime | None = None) -> int:
    """How many other live sessions ``user`` has (other devices, remembered or not)."""
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(LoginSession)
        .where(
            LoginSession.user_id == user.id,
            LoginSession.id != (session_id or 0),
            LoginSession.revoked_at.is_(None),
            LoginSession.expires_at > (now or utcnow()),
        )
    )


def prune(*, now: datetime) -> int:
    """Delete sessions that have expired, and revoked ones older than the retention (idempotent)."""
    kept_until = now - current_app.config["LOGIN_SESSION_RETENTION"]
    result = db.session.execute(
        sa.delete(LoginSession)
        .where(
            sa.or_(
                LoginSession.expires_at <= now,
                LoginSession.revoked_at <= kept_until,
            )
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def rotate_remember_token(
    *, token: str, now: datetime | None = None
) -> tuple[int, int, str] | None:
    """Exchange a live remember-me token for a new one; return (session id, user id, new token).

    One guarded UPDATE: of two requests presenting the same token, only one gets the new one.
    The session's expiry moves to a full remember-me duration from now. None if the token is
    unknown, replaced, revoked or expired.
    """
    now = now or utcnow()
    new = secrets.token_urlsafe(32)
    row = db.session.execute(
        sa.update(LoginSession)
        .where(
            LoginSession.remember_token_hash == token_digest(token),
            LoginSession.revoked_at.is_(None),
            LoginSession.expires_at > now,
        )
        .values(
            remember_token_hash=token_digest(new),
            last_seen_at=now,
            expires_at=now + _remember_duration(),
        )
        .returning(LoginSession.id, LoginSession.user_id)
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        return None
    return row.id, row.user_id, new


# --- the request ------------------------------------------------------------------------------


def alternative_id(user_id: int, session_id: int) -> str:
    """What Flask-Login keeps in the session cookie as the user's id."""
    return f"{user_id}:{session_id}"


def load_user(value: str) -> User | None:
    """Flask-Login's user loader: the user of a live session named by ``value``, or None."""
    user_part, _, session_part = value.partition(":")
    if not (user_part.isdigit() and session_part.isdigit()):
        return None  # a cookie from before sessions were stored, or a forged one
    found = (
        db.session.execute(
            _USER_WITH_SESSION, {"user_id": int(user_part), "session_id": int(session_part)}
        )
        .unique()
        .first()
    )
    if found is None:
        return None
    user, expires_at = found
    if expires_at <= utcnow() or not user.active:
        return None
    g.login_session_id = int(session_part)
    user.login_session_id = int(session_part)
    return user


class Reader(UserMixin):
    """A signed-in user as a page that only shows things reads them: who, which class and
    school; no roles, no ORM object (:func:`load_reader`). ``along``: what the statement that
    loaded the reader read alongside (a row, or None)."""

    def __init__(self, row, login_session_id: int, along=None):
        self.id, self.full_name, self.class_id, self.school_id = row[: len(_READER_COLUMNS)]
        self.login_session_id = login_session_id
        self.along = along

    def get_id(self) -> str:
        return alternative_id(self.id, self.login_session_id)


#: What a reader is, if their session is live and their account active: the user loader's rules
#: (:data:`_USER_WITH_SESSION`, :func:`load_user`) in one Core statement.
_READER_COLUMNS = (User.id, User.full_name, User.class_id, User.school_id)
_READER = (
    sa.select(*_READER_COLUMNS)
    .join(LoginSession, LoginSession.user_id == User.id)
    .where(
        User.id == sa.bindparam("user_id"),
        User.active.is_(True),
        LoginSession.id == sa.bindparam("session_id"),
        LoginSession.revoked_at.is_(None),
        LoginSession.expires_at > sa.bindparam("now", type_=LoginSession.expires_at.type),
    )
)


def reader_statement(along: sa.Select | None = None) -> sa.Select:
    """:func:`load_reader`'s statement; with ``along`` (a select of one row at most), that row's
    columns too, outer-joined: one round trip for the reader and what the request reads next."""
    if along is None:
        return _READER
    found = along.subquery("along")
    return _READER.add_columns(*found.c).outerjoin(found, sa.true())


def load_reader(
    value: str, connection: sa.Connection, statement: sa.Select = _READER, **params
) -> Reader | None:
    """A user loader for reads only: the :class:`Reader` of a live session named by ``value``
    (the alternative id :func:`load_user` takes), or None where :func:`load_user` gives None.
    One statement on ``connection``: ``statement`` from :func:`reader_statement`, whose
    ``along`` part binds ``params``; its row is the reader's ``along`` (None if it found none)."""
    user_part, _, session_part = value.partition(":")
    if not (user_part.isdigit() and session_part.isdigit()):
        return None
    session_id = int(session_part)
    params |= {"user_id": int(user_part), "session_id": session_id, "now": utcnow()}
    row = connection.execute(statement, params).first()
    if row is None:
        return None
    along = row[len(_READER_COLUMNS) :]
    return Reader(row, session_id, along if along and along[0] is not None else None)


def begin(user: User, *, remember: bool = False) -> str | None:
    """Sign ``user`` in on this request with a new session; return the remember-me token, if any.

    The Flask session starts afresh (nothing of the anonymous session carries over: no session
    fixation) and so does the CSRF token, which Flask-WTF keeps in it.
    """
    row, token = start(user=user, remember=remember, user_agent=request.user_agent.string)
    _sign_in(user, row.id)
    if token is not None:
        g.remember_cookie = token
    return token


def _sign_in(user: User, session_id: int, *, fresh: bool = True) -> None:
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    user.login_session_id = session_id
    g.login_session_id = session_id
    login_user(user, fresh=fresh)


def end() -> None:
    """Revoke the current request's session (logout); its remember-me cookie is cleared."""
    session_id = current_login_session_id()
    if session_id is not None:
        revoke(session_id=session_id)
    g.remember_cookie = ""


def load_user_from_remember_cookie(_request) -> User | None:
    """Flask-Login's request loader: restore a session from its remember-me cookie.

    The token is exchanged for a new one (set on the response), committed at once so that the
    new cookie is never sent for a change that did not happen.
    """
    token = request.cookies.get(current_app.config["REMEMBER_ME_COOKIE_NAME"])
    if not token:
        return None
    rotated = rotate_remember_token(token=token)
    if rotated is None:
        return None
    session_id, user_id, new_token = rotated
    db.session.commit()
    found = db.session.execute(_USER_WITH_SESSION, {"user_id": user_id, "session_id": session_id})
    found = found.unique().first()
    if found is None or not found[0].active:
        return None
    user = found[0]
    # Not "fresh", as Flask-Login marks a session its own remember cookie restored.
    _sign_in(user, session_id, fresh=False)
    g.remember_cookie = new_token
    return user


def set_remember_cookie(response):
    """after_request: send the remember-me cookie this request issued, or clear it."""
    token = g.pop("remember_cookie", None)
    if token is None:
        return response
    config = current_app.config
    name = config["REMEMBER_ME_COOKIE_NAME"]
    if token == "":
        if name in request.cookies:
            response.delete_cookie(name, path="/")
        return response
    response.set_cookie(
        name,
        token,
        max_age=int(config["REMEMBER_COOKIE_DURATION"].total_seconds()),
        path="/",
        secure=config["REMEMBER_COOKIE_SECURE"],
        httponly=True,
        samesite=config["REMEMBER_COOKIE_SAMESITE"],
    )
    return response
