"""Atom feeds of published news, per campaign and per school, for school websites to embed.

Written with feedgen (no hand-built XML). An entry carries the post's cleaned HTML, in which a
school's student names are already masked, and names the school or the district as its author,
never a person.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from feedgen.feed import FeedGenerator

from campaign.news.models import NewsPost


def atom_feed(
    *,
    feed_id: str,
    title: str,
    page_url: str,
    feed_url: str,
    posts: list[NewsPost],
    post_url: Callable[[NewsPost], str],
    district: str,
    language: str,
    now: datetime,
) -> bytes:
    """An Atom document listing ``posts`` (newest first), each linking to its page."""
    feed = FeedGenerator()
    feed.id(feed_id)
    feed.title(title)
    feed.link(href=page_url, rel="alternate")
    feed.link(href=feed_url, rel="self")
    feed.language(language)
    feed.author({"name": district})
    feed.updated(max((p.published_at for p in posts), default=now))
    for post in reversed(posts):  # feedgen puts the last entry added first
        entry = feed.add_entry()
        url = post_url(post)
        entry.id(url)
        entry.title(post.title)
        entry.link(href=url, rel="alternate")
        entry.published(post.published_at)
        entry.updated(post.published_at)
        entry.author({"name": post.school.name if post.school else district})
        entry.content(post.body_html or "", type="html")
    return feed.atom_str(pretty=True)
