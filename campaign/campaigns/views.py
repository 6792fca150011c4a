"""Campaign pages: public list and page; organizers create, edit, publish and close."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from campaign.campaigns import participation, school_participation, services
from campaign.campaigns.forms import CampaignForm, PhaseForm
from campaign.campaigns.models import Campaign, CampaignPhase, CampaignStatus, PhaseKind
from campaign.campaigns.permissions import can_view_campaign
from core.accounts.models import Role
from core.accounts.permissions import can_view_school, require, roles_required
from core.clock import local_today, utcnow
from core.extensions import db
from core.schools.models import School
from core.spreadsheets import XLSX_MIME
from core.storage import storage
from core.transaction import domain_errors

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
        my_schools=_coordinated_schools(),
        **services.page_context(campaign, now=now),
    )


def _coordinated_schools() -> list[School]:
    if not current_user.is_authenticated:
        return []
    ids = current_user.school_ids_for(Role.COORDINATOR)
    if not ids:
        return []
    return list(
        db.session.scalars(sa.select(School).where(School.id.in_(ids)).order_by(School.name))
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
        with domain_errors(form, "title"):
            campaign = services.save_campaign(
                actor=current_user,
                campaign=campaign,
                title=form.title.data,
                slug=form.slug.data,
                description=form.description.data or "",
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
                banner=form.banner.data.read() if form.banner.data else None,
                news_needs_approval=form.news_needs_approval.data,
            )
            flash(_("The campaign has been saved."), "success")
            return redirect(url_for("campaign.manage"))
    return render_template("campaign/campaigns/edit.html", form=form, campaign=campaign)


@bp.route("/manage/campaigns/<slug>/<any(publish, close):action>", methods=["POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def change_status(slug: str, action: str):
    """Publish a draft or close a published campaign."""
    campaign = get_campaign(slug)
    status = CampaignStatus.PUBLISHED if action == "publish" else CampaignStatus.CLOSED
    with domain_errors(category="warning"):
        services.set_status(actor=current_user, campaign=campaign, status=status)
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


def _school_of_campaign(slug: str, school_id: int) -> tuple[Campaign, School]:
    campaign = get_campaign(slug)
    school = db.session.get(School, school_id)
    if school is None or not can_view_campaign(current_user, campaign):
        abort(404)
    require(can_view_school(current_user, school))
    return campaign, school


@bp.route("/campaigns/<slug>/schools/<int:school_id>/participation")
@login_required
def class_participation(slug: str, school_id: int):
    """Per class: which students took each quiz round and submitted to each essay round."""
    campaign, school = _school_of_campaign(slug, school_id)
    return render_template(
        "campaign/campaigns/class_participation.html",
        campaign=campaign,
        school=school,
        data=school_participation.class_participation(campaign, school),
    )


@bp.route("/campaigns/<slug>/schools/<int:school_id>/participation.xlsx")
@login_required
def class_participation_xlsx(slug: str, school_id: int):
    """The same, as a workbook in the reader's language."""
    campaign, school = _school_of_campaign(slug, school_id)
    return Response(
        school_participation.class_participation_xlsx(campaign, school),
        mimetype=XLSX_MIME,
        headers={
            "Content-Disposition": (
                f'attachment; filename="tham-gia-{campaign.slug}-{school.code.lower()}.xlsx"'
            ),
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
        with domain_errors(form, "title"):
            services.add_phase(
                actor=current_user,
                campaign=campaign,
                kind=PhaseKind(form.kind.data),
                title=form.title.data,
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
            )
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
    flash(_("The phase has been removed."), "success")
    return redirect(url_for("campaign.phases", slug=slug))
