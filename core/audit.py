"""Append-only audit log: who changed what, when, from what to what."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.extensions import db


class AuditEntry(db.Model):
    """One recorded action. Rows are only ever inserted (an ORM guard refuses updates)."""

    __tablename__ = "audit_entry"
    __table_args__ = (sa.Index("ix_audit_entry_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    #: A dotted verb, e.g. "role.grant", "roster.import", "slips.download".
    action: Mapped[str] = mapped_column(sa.String(60))
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[str | None] = mapped_column(sa.String(40))
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    reason: Mapped[str | None] = mapped_column(sa.Text)

    actor = relationship("User")


@sa.event.listens_for(AuditEntry, "before_update")
def _refuse_update(mapper, connection, target):
    raise RuntimeError("audit entries are append-only")


@sa.event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise RuntimeError("audit entries are append-only")


def record(
    *,
    actor,
    action: str,
    obj: Any = None,
    object_type: str | None = None,
    object_id: Any = None,
    before: dict | None = None,
    after: dict | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Append an audit entry for ``obj`` (or an explicit type and id); the caller commits."""
    if obj is not None:
        object_type = object_type or obj.__class__.__tablename__
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
    entry = AuditEntry(
        at=now or utcnow(),
        actor_id=getattr(actor, "id", actor),
        action=action,
        object_type=object_type or "unknown",
        object_id=None if object_id is None else str(object_id),
        before=before,
        after=after,
        reason=reason,
    )
    db.session.add(entry)
    return entry


def history(object_type: str, object_id: Any) -> list[AuditEntry]:
    """Return the audit trail of one object, oldest first."""
    return list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.object_type == object_type, AuditEntry.object_id == str(object_id))
            .order_by(AuditEntry.at, AuditEntry.id)
        )
    )
