"""A document's draft: the organizer's text, number and date, kept between exports."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.extensions import db


class DocumentDraft(db.Model):
    """One official document of one subject (a movement's report, a contest's decision…)."""

    __tablename__ = "document_draft"
    __table_args__ = (sa.UniqueConstraint("kind", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The kind's slug, e.g. "bao-cao-tong-ket".
    kind: Mapped[str] = mapped_column(sa.String(40))
    #: What the document is about, e.g. "movement:3:school:7:tong_ket" or "inspection:2".
    scope: Mapped[str] = mapped_column(sa.String(120))
    #: Assigned by the organizer; empty until then (the number line keeps room for it).
    number: Mapped[int | None]
    issued_on: Mapped[date | None]
    subject: Mapped[str] = mapped_column(sa.Text, default="")
    #: Editable narrative sections by name (achievements, shortcomings, causes, next tasks…).
    sections: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: One recipient a line, the "Nơi nhận" list.
    recipients: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
