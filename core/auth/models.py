"""Signed-in sessions, stored so that they can be ended."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.extensions import db


class LoginSession(db.Model):
    """One sign-in on one device: live until it is revoked or expires.

    The session cookie names the row (Flask-Login's alternative id ``"<user id>:<row id>"``); a
    remember-me cookie carries a random token whose sha256 is kept here and replaced each time it
    is used. Revoking the row ends both the cookie session and its remember-me login, on every
    app server at once.
    """

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When the session last signed in: created, or restored by its remember-me token.
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: After this the session is dead (the scheduler deletes it); pushed back by remember-me.
    expires_at: Mapped[datetime] = mapped_column(index=True)
    #: NULL while the session is live.
    revoked_at: Mapped[datetime | None] = mapped_column(index=True)
    #: sha256 hex of the current remember-me token, if the user asked to stay signed in.
    remember_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    user_agent: Mapped[str | None] = mapped_column(sa.String(200))

    def __repr__(self) -> str:
        return f"<LoginSession {self.id} user={self.user_id}>"
