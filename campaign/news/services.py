"""News rules: writing, cleaning and publishing posts, and reading the latest."""

from __future__ import annotations

from datetime import datetime

import nh3
import sqlalchemy as sa
from flask_babel import gettext as _

from campaign.campaigns.services import slugify
from campaign.news.models import NewsPost
from core import audit
from core.clock import utcnow
from core.errors import ValidationFailed
from core.extensions import db
from core.storage import storage
from core.uploads import clean_image

NEWS_TAGS = {
    "p",
    "br",
    "hr",
    "h2",
    "h3",
    "h4",
    "strong",
    "em",
    "b",
    "i",
    "u",
    "s",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "img",
    "code",
    "pre",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
NEWS_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
}
NEWS_IMAGE_MAX_BYTES = 5 * 1024 * 1024


def render_markdown(text: str) -> str:
    """Turn an organizer's Markdown into safe HTML: raw HTML is escaped, then nh3 cleans it."""
    from markdown_it import MarkdownIt

    html = (
        MarkdownIt("commonmark", {"html": False, "linkify": False})
        .enable("table")
        .render(text or "")
    )
    return nh3.clean(
        html,
        tags=NEWS_TAGS,
        attributes=NEWS_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def save_news(
    *,
    actor,
    post: NewsPost | None,
    title: str,
    body_markdown: str,
    campaign_id: int | None = None,
    publish: bool = False,
    image: bytes | None = None,
    now: datetime | None = None,
) -> NewsPost:
    """Create or edit a news post; publishing the first time notifies nobody by itself."""
    now = now or utcnow()
    title = (title or "").strip()
    if not title:
        raise ValidationFailed(_("The title is missing."), field="title")
    created = post is None
    if created:
        base = slugify(title) or "tin"
        slug, n = base, 1
        while db.session.scalar(sa.select(NewsPost.id).where(NewsPost.slug == slug)):
            n += 1
            slug = f"{base}-{n}"[:100]
        post = NewsPost(slug=slug, author_id=getattr(actor, "id", None), created_at=now)
        db.session.add(post)
    post.title = title
    post.campaign_id = campaign_id
    post.body_markdown = body_markdown or ""
    post.body_html = render_markdown(post.body_markdown)
    if image:
        cleaned = clean_image(image, max_bytes=NEWS_IMAGE_MAX_BYTES, max_side=1600)
        old = post.image_key
        post.image_key = storage().save(cleaned.data, prefix="news", suffix=cleaned.suffix)
        if old:
            storage().delete(old)
    if publish and post.published_at is None:
        post.published_at = now
    if not publish:
        post.published_at = None
    db.session.flush()
    audit.record(
        actor=actor,
        action="news.create" if created else "news.update",
        obj=post,
        after={"title": post.title, "published": post.published_at is not None},
        now=now,
    )
    return post


def latest_news(*, campaign_id: int | None = None, limit: int = 10) -> list[NewsPost]:
    """Published posts, newest first (of one campaign when given)."""
    query = (
        sa.select(NewsPost)
        .where(NewsPost.published_at.is_not(None))
        .order_by(NewsPost.published_at.desc(), NewsPost.id.desc())
        .limit(limit)
    )
    if campaign_id is not None:
        query = query.where(NewsPost.campaign_id == campaign_id)
    return list(db.session.scalars(query))


def all_news() -> list[NewsPost]:
    return list(
        db.session.scalars(
            sa.select(NewsPost).order_by(NewsPost.created_at.desc(), NewsPost.id.desc())
        )
    )
