"""News pages: the public list and posts, Atom feeds; organizers write, edit, publish and approve;
a school's coordinators write their school's news."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from campaign.campaigns import services as campaigns
from campaign.campaigns.models import Campaign
from campaign.news import services
from campaign.news.feeds import atom_feed
from campaign.news.forms import NewsForm
from campaign.news.models import NewsPost
from campaign.news.permissions import can_manage_news
from core.accounts.models import Role
from core.accounts.permissions import can_manage_school, require, roles_required
from core.clock import utcnow
from core.extensions import db
from core.schools.models import School
from core.storage import storage
from core.transaction import domain_errors

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
    """Organizers' list of news posts, drafts included, and the schools' posts to approve."""
    return render_template(
        "campaign/news/manage.html", posts=services.all_news(), pending=services.pending_news()
    )


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
        with domain_errors(form, "image"):
            post = services.save_news(
                actor=current_user,
                post=post,
                title=form.title.data,
                body_markdown=form.body_markdown.data or "",
                campaign_id=form.campaign_id.data or None,
                publish=form.publish.data,
                image=form.image.data.read() if form.image.data else None,
                school_id=post.school_id if post else None,
            )
            flash(_("The news post has been saved."), "success")
            return redirect(url_for("news.manage"))
    return render_template("campaign/news/edit.html", form=form, post=post)


@bp.route("/manage/news/<slug>/approve", methods=["POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def approve(slug: str):
    """Publish a school's post that waits for approval."""
    post = get_post(slug)
    services.approve_news(actor=current_user, post=post)
    flash(_("The news post is published."), "success")
    return redirect(url_for("news.manage"))


# --- a school's news, by its coordinators --------------------------------------------------------


@bp.route("/my-school/news")
@roles_required(Role.COORDINATOR)
def mine():
    """The news of the coordinator's (first) school."""
    school_ids = sorted(current_user.school_ids_for(Role.COORDINATOR))
    if not school_ids:
        abort(404)
    return redirect(url_for("news.school_index", school_id=school_ids[0]))


@bp.route("/schools/<int:school_id>/news")
@login_required
def school_index(school_id: int):
    """A school's posts, drafts and those waiting for approval included."""
    school = db.get_or_404(School, school_id)
    require(can_manage_school(current_user, school))
    return render_template(
        "campaign/news/school_index.html", school=school, posts=services.school_news(school.id)
    )


@bp.route("/schools/<int:school_id>/news/new", methods=["GET", "POST"])
@bp.route("/schools/<int:school_id>/news/<slug>/edit", methods=["GET", "POST"])
@login_required
def school_edit(school_id: int, slug: str | None = None):
    """Write or edit one of the school's posts (published at once, or sent for approval)."""
    school = db.get_or_404(School, school_id)
    require(can_manage_school(current_user, school))
    post = get_post(slug) if slug else None
    if post is not None and post.school_id != school.id:
        abort(404)
    form = NewsForm(obj=post)
    form.campaign_id.choices = [SelectChoice(0, _("No campaign"))] + [
        SelectChoice(c.id, c.title) for c in campaigns.public_campaigns()
    ]
    if not form.is_submitted() and post is not None:
        form.publish.data = post.published_at is not None or post.pending_since is not None
        form.campaign_id.data = post.campaign_id or 0
    if form.validate_on_submit():
        with domain_errors(form, "image"):
            post = services.save_news(
                actor=current_user,
                post=post,
                title=form.title.data,
                body_markdown=form.body_markdown.data or "",
                campaign_id=form.campaign_id.data or None,
                publish=form.publish.data,
                image=form.image.data.read() if form.image.data else None,
                school_id=school.id,
            )
            if post.pending_since is not None:
                flash(_("The news post is waiting for the organizers' approval."), "info")
            else:
                flash(_("The news post has been saved."), "success")
            return redirect(url_for("news.school_index", school_id=school.id))
    return render_template("campaign/news/edit.html", form=form, post=post, school=school)


# --- Atom feeds ----------------------------------------------------------------------------------


def _feed(*, feed_id: str, title: str, page_url: str, feed_url: str, posts) -> Response:
    body = atom_feed(
        feed_id=feed_id,
        title=title,
        page_url=page_url,
        feed_url=feed_url,
        posts=posts,
        post_url=lambda post: url_for("news.show", slug=post.slug, _external=True),
        district=_("Mạng Xanh"),
        language=str(get_locale() or "vi"),
        now=utcnow(),
    )
    response = Response(body, mimetype="application/atom+xml")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.route("/campaigns/<slug>/news.atom")
def campaign_feed(slug: str):
    """The campaign's published news as an Atom feed."""
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.slug == slug))
    if campaign is None or not campaign.is_public:
        abort(404)
    return _feed(
        feed_id=url_for("news.campaign_feed", slug=slug, _external=True),
        title=campaign.title,
        page_url=url_for("campaign.show", slug=slug, _external=True),
        feed_url=url_for("news.campaign_feed", slug=slug, _external=True),
        posts=services.latest_news(campaign_id=campaign.id, limit=30),
    )


@bp.route("/schools/<int:school_id>/news.atom")
def school_feed(school_id: int):
    """A school's published news as an Atom feed (for the school's own website)."""
    school = db.get_or_404(School, school_id)
    return _feed(
        feed_id=url_for("news.school_feed", school_id=school.id, _external=True),
        title=school.name,
        page_url=url_for("news.index", _external=True),
        feed_url=url_for("news.school_feed", school_id=school.id, _external=True),
        posts=services.latest_news(school_id=school.id, limit=30),
    )
