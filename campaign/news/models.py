"""News posts by organizers or by a school's coordinators, optionally about one campaign."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.extensions import db


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
    #: Null while a draft (or while waiting for approval).
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    #: A school's news (written by its coordinators); None: the district's.
    school_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("school.id", ondelete="CASCADE"), index=True
    )
    #: Set while a school's post waits for an organizer's approval (its campaign requires it).
    pending_since: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    campaign = relationship("Campaign")
    school = relationship("School")
    author = relationship("User", foreign_keys=[author_id])
    approved_by = relationship("User", foreign_keys=[approved_by_id])
