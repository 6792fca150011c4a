"""Confidential safety reports: what a child, parent or teacher tells the school's safeguarding staff."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.extensions import db


class ReportStatus(enum.StrEnum):
    RECEIVED = "received"
    VERIFYING = "verifying"
    HANDLED = "handled"
    FORWARDED = "forwarded"


#: Where a report may be passed on to (NĐ 56/2017, Điều 25).
FORWARD_TARGETS = ("111", "police", "commune")


class SafetyReport(db.Model):
    """One confidential report. Only the school's designated staff and the district see it."""

    __tablename__ = "safety_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Short code shown to the reporter so they can refer to the report by phone.
    reference: Mapped[str] = mapped_column(sa.String(12), unique=True)
    school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("school.id"), index=True)
    what_happened: Mapped[str] = mapped_column(sa.Text)
    where: Mapped[str] = mapped_column(sa.String(500), default="")
    when: Mapped[str] = mapped_column(sa.String(200), default="")
    who_affected: Mapped[str] = mapped_column(sa.String(500), default="")
    contact: Mapped[str | None] = mapped_column(sa.String(300))
    #: Null when the reporter chose to stay anonymous or was not signed in.
    reporter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    status: Mapped[ReportStatus] = mapped_column(
        sa.Enum(ReportStatus, native_enum=False, length=12), default=ReportStatus.RECEIVED
    )
    #: "111", "police" or "commune" when forwarded.
    forwarded_to: Mapped[str | None] = mapped_column(sa.String(20))
    staff_note: Mapped[str] = mapped_column(sa.Text, default="")
    #: argon2id hash of the secret phrase given to the reporter for anonymous follow-up.
    secret_hash: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    school = relationship("School")
    reporter = relationship("User")
    messages: Mapped[list[SafetyReportMessage]] = relationship(
        back_populates="report",
        order_by="SafetyReportMessage.id",
        cascade="all, delete-orphan",
    )

    @property
    def is_open(self) -> bool:
        return self.status in (ReportStatus.RECEIVED, ReportStatus.VERIFYING)


class MessageAuthor(enum.StrEnum):
    REPORTER = "reporter"
    STAFF = "staff"


class SafetyReportMessage(db.Model):
    """A follow-up message: a staff reply, or what the reporter added with the secret phrase."""

    __tablename__ = "safety_report_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        sa.ForeignKey("safety_report.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[MessageAuthor] = mapped_column(
        sa.Enum(MessageAuthor, native_enum=False, length=10)
    )
    #: The staff member who replied (null for the reporter's messages).
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    report: Mapped[SafetyReport] = relationship(back_populates="messages")
