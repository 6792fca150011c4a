"""Campaign pages: public list and page; organizers create, edit, publish and close."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from campaign.campaigns import participation, services
from campaign.campaigns.forms import CampaignForm, PhaseForm
from campaign.campaigns.models import Campaign, CampaignPhase, CampaignStatus, PhaseKind
from campaign.campaigns.permissions import can_view_campaign
from core.accounts.models import Role
from core.accounts.permissions import roles_required
from core.clock import local_today, utcnow
from core.errors import DomainError, show_beside_field
from core.extensions import db
from core.spreadsheets import XLSX_MIME
from core.storage import storage

bp = Blueprint("campaign", __name__)


def get_campaign(slug: str) -> Campaign:
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        abort(404)
    return campaign


@bp.route("/campaigns")
def index():
    """Public list of campaigns."""
    return render_template("campaign/campaigns/index.html", campaigns=services.public_campaigns())


@bp.route("/campaigns/<slug>")
def show(slug: str):
    """A campaign's public page with what it contains."""
    campaign = get_campaign(slug)
    if not can_view_campaign(current_user, campaign):
        abort(404)
    now = utcnow()
    return render_template(
        "campaign/campaigns/show.html",
        campaign=campaign,
        contents=services.campaign_contents(campaign),
        today=local_today(now),
        now=now,
        rounds=services.rounds_now(campaign, now=now),
        participation=participation.participation(campaign),
        **services.page_context(campaign, now=now),
    )


@bp.route("/campaigns/<slug>/banner")
def banner(slug: str):
    """The campaign's banner image."""
    campaign = get_campaign(slug)
    if not can_view_campaign(current_user, campaign) or not campaign.banner_key:
        abort(404)
    mimetype = "image/png" if campaign.banner_key.endswith(".png") else "image/jpeg"
    return storage().send(campaign.banner_key, mimetype=mimetype)


@bp.route("/manage/campaigns")
@roles_required(Role.ADMIN, Role.ORGANIZER)
def manage():
    """Organizers' list of all campaigns, drafts included."""
    return render_template("campaign/campaigns/manage.html", campaigns=services.all_campaigns())


@bp.route("/manage/campaigns/new", methods=["GET", "POST"])
@bp.route("/manage/campaigns/<slug>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def edit(slug: str | None = None):
    """Create or edit a campaign."""
    campaign = get_campaign(slug) if slug else None
    form = CampaignForm(obj=campaign)
    if form.validate_on_submit():
        try:
            campaign = services.save_campaign(
                actor=current_user,
                campaign=campaign,
                title=form.title.data,
                slug=form.slug.data,
                description=form.description.data or "",
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
                banner=form.banner.data.read() if form.banner.data else None,
            )
        except DomainError as error:
            db.session.rollback()
            show_beside_field(form, error, "title")
        else:
            db.session.commit()
            flash(_("The campaign has been saved."), "success")
            return redirect(url_for("campaign.manage"))
    return render_template("campaign/campaigns/edit.html", form=form, campaign=campaign)


@bp.route("/manage/campaigns/<slug>/<any(publish, close):action>", methods=["POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def change_status(slug: str, action: str):
    """Publish a draft or close a published campaign."""
    campaign = get_campaign(slug)
    status = CampaignStatus.PUBLISHED if action == "publish" else CampaignStatus.CLOSED
    try:
        services.set_status(actor=current_user, campaign=campaign, status=status)
    except DomainError as error:
        flash(error.message, "warning")
    else:
        db.session.commit()
        flash(
            _("The campaign is published.")
            if action == "publish"
            else _("The campaign is closed."),
            "success",
        )
    return redirect(url_for("campaign.manage"))


# --- landing page pieces ------------------------------------------------------------------------


@bp.route("/campaigns/<slug>/participation.xlsx")
@roles_required(Role.ADMIN, Role.ORGANIZER)
def participation_xlsx(slug: str):
    """Participation by school and level as a workbook."""
    campaign = get_campaign(slug)
    return Response(
        participation.participation_xlsx(campaign),
        mimetype=XLSX_MIME,
        headers={
            "Content-Disposition": f'attachment; filename="tham-gia-{campaign.slug}.xlsx"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.route("/manage/campaigns/<slug>/phases", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def phases(slug: str):
    """A campaign's dated phases; add one."""
    campaign = get_campaign(slug)
    form = PhaseForm()
    if form.validate_on_submit():
        try:
            services.add_phase(
                actor=current_user,
                campaign=campaign,
                kind=PhaseKind(form.kind.data),
                title=form.title.data,
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
            )
        except DomainError as error:
            db.session.rollback()
            show_beside_field(form, error, "title")
        else:
            db.session.commit()
            flash(_("The phase has been added."), "success")
            return redirect(url_for("campaign.phases", slug=slug))
    return render_template(
        "campaign/campaigns/phases.html", campaign=campaign, form=form, today=local_today()
    )


@bp.route("/manage/campaigns/<slug>/phases/<int:phase_id>/delete", methods=["POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def delete_phase(slug: str, phase_id: int):
    """Remove a phase."""
    campaign = get_campaign(slug)
    phase = db.session.get(CampaignPhase, phase_id)
    if phase is None or phase.campaign_id != campaign.id:
        abort(404)
    services.delete_phase(actor=current_user, phase=phase)
    db.session.commit()
    flash(_("The phase has been removed."), "success")
    return redirect(url_for("campaign.phases", slug=slug))
