"""News pages: the public list and posts; organizers write, edit and publish."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from campaign.campaigns import services as campaigns
from campaign.news import services
from campaign.news.forms import NewsForm
from campaign.news.models import NewsPost
from campaign.news.permissions import can_manage_news
from core.accounts.models import Role
from core.accounts.permissions import roles_required
from core.errors import DomainError, show_beside_field
from core.extensions import db
from core.storage import storage

bp = Blueprint("news", __name__)


def get_post(slug: str) -> NewsPost:
    post = db.session.scalar(sa.select(NewsPost).where(NewsPost.slug == slug))
    if post is None:
        abort(404)
    return post


@bp.route("/news")
def index():
    """Published news, newest first."""
    return render_template("campaign/news/index.html", posts=services.latest_news(limit=50))


@bp.route("/news/<slug>")
def show(slug: str):
    """One published news post (drafts only for organizers)."""
    post = get_post(slug)
    if post.published_at is None and not can_manage_news(current_user):
        abort(404)
    return render_template("campaign/news/show.html", post=post)


@bp.route("/news/<slug>/image")
def image(slug: str):
    """A news post's cover image."""
    post = get_post(slug)
    if not post.image_key or (post.published_at is None and not can_manage_news(current_user)):
        abort(404)
    mimetype = "image/png" if post.image_key.endswith(".png") else "image/jpeg"
    return storage().send(post.image_key, mimetype=mimetype)


@bp.route("/manage/news")
@roles_required(Role.ADMIN, Role.ORGANIZER)
def manage():
    """Organizers' list of news posts, drafts included."""
    return render_template("campaign/news/manage.html", posts=services.all_news())


@bp.route("/manage/news/new", methods=["GET", "POST"])
@bp.route("/manage/news/<slug>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def edit(slug: str | None = None):
    """Write or edit a news post."""
    post = get_post(slug) if slug else None
    form = NewsForm(obj=post)
    form.campaign_id.choices = [SelectChoice(0, _("No campaign"))] + [
        SelectChoice(c.id, c.title) for c in campaigns.all_campaigns()
    ]
    if not form.is_submitted() and post is not None:
        form.publish.data = post.published_at is not None
        form.campaign_id.data = post.campaign_id or 0
    if form.validate_on_submit():
        try:
            post = services.save_news(
                actor=current_user,
                post=post,
                title=form.title.data,
                body_markdown=form.body_markdown.data or "",
                campaign_id=form.campaign_id.data or None,
                publish=form.publish.data,
                image=form.image.data.read() if form.image.data else None,
            )
        except DomainError as error:
            db.session.rollback()
            show_beside_field(form, error, "image")
        else:
            db.session.commit()
            flash(_("The news post has been saved."), "success")
            return redirect(url_for("news.manage"))
    return render_template("campaign/news/edit.html", form=form, post=post)
