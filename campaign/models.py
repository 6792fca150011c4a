"""Campaigns: the container organizers launch, which contests and movements hang on."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.routing import BuildError

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


class NewsPost(db.Model):
    """A news item by organizers; Markdown source, cleaned HTML kept beside it."""

    __tablename__ = "news_post"
    __table_args__ = (sa.UniqueConstraint("slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaign.id", ondelete="SET NULL"), index=True
    )
    slug: Mapped[str] = mapped_column(sa.String(100))
    title: Mapped[str] = mapped_column(sa.String(200))
    body_markdown: Mapped[str] = mapped_column(sa.Text, default="")
    #: Rendered from ``body_markdown`` and cleaned with nh3 when saved.
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    #: Storage key of the cover image (re-encoded, metadata stripped).
    image_key: Mapped[str | None] = mapped_column(sa.String(200))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Null while a draft.
    published_at: Mapped[datetime | None] = mapped_column(index=True)

    campaign = relationship("Campaign")
    author = relationship("User")


class Notification(db.Model):
    """An in-app message to one user; the text is rendered from ``kind`` in the reader's language."""

    __table_args__ = (sa.UniqueConstraint("user_id", "dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: The page it leads to, as an endpoint and its values; the URL is built when it is read.
    endpoint: Mapped[str | None] = mapped_column(sa.String(80))
    endpoint_values: Mapped[dict | None] = mapped_column(sa.JSON)
    #: Only on notifications written before endpoints were stored (a path on this site).
    url: Mapped[str | None] = mapped_column(sa.String(300))
    #: Makes a job's notification idempotent ("deadline:activity:12"); null for one-offs.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None]
    #: Set when the e-mail copy was sent (only when MAIL_SERVER is configured).
    emailed_at: Mapped[datetime | None]

    user = relationship("User")

    @property
    def link(self) -> str | None:
        """The path the notification leads to (None if its page no longer exists)."""
        if self.endpoint:
            try:
                return url_for(self.endpoint, **(self.endpoint_values or {}))
            except BuildError:
                return None
        if self.url and self.url.startswith("/") and not self.url.startswith("//"):
            return self.url
        return None
