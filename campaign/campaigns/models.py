"""Campaigns: the container organizers launch, which contests, movements and news hang on."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.extensions import db


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"


class Campaign(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: Storage key of the banner image (re-encoded, metadata stripped).
    banner_key: Mapped[str | None] = mapped_column(sa.String(200))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    status: Mapped[CampaignStatus] = mapped_column(
        sa.Enum(CampaignStatus, native_enum=False, length=12), default=CampaignStatus.DRAFT
    )
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    #: A school's news about the campaign waits for an organizer's approval before it is shown.
    news_needs_approval: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    created_by = relationship("User")

    phases: Mapped[list[CampaignPhase]] = relationship(
        back_populates="campaign",
        order_by="(CampaignPhase.starts_on, CampaignPhase.id)",
        cascade="all, delete-orphan",
    )

    def current_phase(self, today: date) -> CampaignPhase | None:
        """The phase running on ``today``, else the last one that has started."""
        started = [p for p in self.phases if p.starts_on <= today]
        running = [p for p in started if today <= p.ends_on]
        if running:
            return running[-1]
        return started[-1] if started else None

    @property
    def is_public(self) -> bool:
        return self.status in (CampaignStatus.PUBLISHED, CampaignStatus.CLOSED)


class PhaseKind(enum.StrEnum):
    LAUNCH = "launch"
    CONTESTS = "contests"
    MIDTERM = "midterm"
    FINAL = "final"


class CampaignPhase(db.Model):
    """A dated stage of a campaign: launch, contests, mid-term review (sơ kết), final review."""

    __tablename__ = "campaign_phase"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[PhaseKind] = mapped_column(sa.Enum(PhaseKind, native_enum=False, length=12))
    title: Mapped[str] = mapped_column(sa.String(200))
    starts_on: Mapped[date]
    ends_on: Mapped[date]

    campaign: Mapped[Campaign] = relationship(back_populates="phases")
