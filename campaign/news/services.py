"""News rules: writing, cleaning and publishing posts, and reading the latest.

Organizers write the district's news. A school's coordinators write their school's news; when
the campaign a post is about requires it (``Campaign.news_needs_approval``), publishing sends the
post to the organizers, and it is shown only once one of them approves it. Student names of the
school are masked ("Nguyễn V. A.") in everything a school's post shows the public.
"""

from __future__ import annotations

from datetime import datetime

import nh3
import sqlalchemy as sa
from flask_babel import gettext as _
from markdown_it import MarkdownIt

from campaign.campaigns.models import Campaign
from campaign.campaigns.services import slugify
from campaign.news.models import NewsPost
from contests.quiz.leaderboards.ranking import mask_name
from core import audit
from core.accounts.models import User
from core.clock import utcnow
from core.errors import Conflict, ValidationFailed
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


def mask_students(text: str, *, school_id: int) -> str:
    """Replace the full names of the school's students in ``text`` by their masked form."""
    names = db.session.scalars(
        sa.select(User.full_name).where(User.school_id == school_id, User.is_active_student)
    )
    for name in sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True):
        if name in text:
            text = text.replace(name, mask_name(name))
    return text


def save_news(
    *,
    actor,
    post: NewsPost | None,
    title: str,
    body_markdown: str,
    campaign_id: int | None = None,
    publish: bool = False,
    image: bytes | None = None,
    school_id: int | None = None,
    now: datetime | None = None,
) -> NewsPost:
    """Create or edit a news post (a school's when ``school_id`` is given).

    A school's post about a campaign that requires approval is not published by its author: it
    waits (``pending_since``) until an organizer approves it, and an edit sends it back to wait.
    Publishing the first time notifies nobody by itself.
    """
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
    post.school_id = school_id
    post.body_markdown = body_markdown or ""
    post.body_html = render_markdown(post.body_markdown)
    if school_id is not None:
        post.title = mask_students(post.title, school_id=school_id)
        post.body_html = mask_students(post.body_html, school_id=school_id)
    if image:
        cleaned = clean_image(image, max_bytes=NEWS_IMAGE_MAX_BYTES, max_side=1600)
        old = post.image_key
        post.image_key = storage().save(cleaned.data, prefix="news", suffix=cleaned.suffix)
        if old:
            storage().delete(old)
    campaign = db.session.get(Campaign, campaign_id) if campaign_id else None
    if publish and school_id is not None and campaign is not None and campaign.news_needs_approval:
        post.published_at = None
        post.approved_by_id = None
        post.pending_since = now
    elif publish:
        post.published_at = post.published_at or now
        post.pending_since = None
    else:
        post.published_at = None
        post.pending_since = None
    db.session.flush()
    audit.record(
        actor=actor,
        action="news.create" if created else "news.update",
        obj=post,
        after={
            "title": post.title,
            "published": post.published_at is not None,
            "pending": post.pending_since is not None,
        },
        now=now,
    )
    return post


def approve_news(*, actor, post: NewsPost, now: datetime | None = None) -> NewsPost:
    """Publish a school's post that waits for approval."""
    now = now or utcnow()
    if post.pending_since is None:
        raise Conflict(_("This news post is not waiting for approval."))
    post.published_at = now
    post.pending_since = None
    post.approved_by_id = actor.id
    db.session.flush()
    audit.record(actor=actor, action="news.approve", obj=post, now=now)
    return post


def latest_news(
    *, campaign_id: int | None = None, school_id: int | None = None, limit: int = 10
) -> list[NewsPost]:
    """Published posts, newest first (of one campaign, or one school, when given)."""
    query = (
        sa.select(NewsPost)
        .where(NewsPost.published_at.is_not(None))
        .order_by(NewsPost.published_at.desc(), NewsPost.id.desc())
        .limit(limit)
    )
    if campaign_id is not None:
        query = query.where(NewsPost.campaign_id == campaign_id)
    if school_id is not None:
        query = query.where(NewsPost.school_id == school_id)
    return list(db.session.scalars(query))


def school_news(school_id: int) -> list[NewsPost]:
    """A school's posts, drafts and waiting ones included, newest first."""
    return list(
        db.session.scalars(
            sa.select(NewsPost)
            .where(NewsPost.school_id == school_id)
            .order_by(NewsPost.created_at.desc(), NewsPost.id.desc())
        )
    )


def pending_news() -> list[NewsPost]:
    """Schools' posts waiting for an organizer's approval, oldest first."""
    return list(
        db.session.scalars(
            sa.select(NewsPost)
            .where(NewsPost.pending_since.is_not(None))
            .order_by(NewsPost.pending_since, NewsPost.id)
        )
    )


def all_news() -> list[NewsPost]:
    return list(
        db.session.scalars(
            sa.select(NewsPost).order_by(NewsPost.created_at.desc(), NewsPost.id.desc())
        )
    )
