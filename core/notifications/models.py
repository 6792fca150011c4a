"""The in-app notification: one message to one user, rendered from its kind when read."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.extensions import db


class Notification(db.Model):
    """An in-app message to one user; the text is rendered from ``kind`` in the reader's language."""

    __tablename__ = "notification"
    __table_args__ = (sa.UniqueConstraint("user_id", "dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    url: Mapped[str | None] = mapped_column(sa.String(300))
    #: Makes a job's notification idempotent ("deadline:activity:12"); null for one-offs.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None]
    #: Set when the e-mail copy was sent (only when MAIL_SERVER is configured).
    emailed_at: Mapped[datetime | None]

    user = relationship("User")
