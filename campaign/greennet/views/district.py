"""District pages that set a movement up: movements, criteria, milestones."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from campaign.campaigns.services import all_campaigns
from campaign.greennet import metrics, services
from campaign.greennet.forms import (
    CriteriaImportForm,
    CriterionForm,
    MilestoneForm,
    MovementForm,
    TierForm,
)
from campaign.greennet.models import (
    Milestone,
)
from campaign.greennet.views.common import (
    bp,
    download,
    movement_or_404,
)
from core.accounts.models import Role
from core.accounts.permissions import roles_required
from core.extensions import db
from core.schools.models import SchoolLevel
from core.spreadsheets import XLSX_MIME, ImportRejected
from core.transaction import domain_errors, fail_request


@bp.route("/manage/movements", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def manage():
    """Organizers' list of movements, and a form to start one."""
    form = MovementForm()
    form.campaign_id.choices = [SelectChoice(0, _("No campaign"))] + [
        SelectChoice(c.id, c.title) for c in all_campaigns()
    ]
    if form.validate_on_submit():
        with domain_errors(form, "school_year"):
            movement = services.create_movement(
                actor=current_user,
                school_year=form.school_year.data,
                title=form.title.data,
                campaign_id=form.campaign_id.data or None,
            )
            flash(_("The movement has been created."), "success")
            return redirect(url_for("greennet.settings", movement_id=movement.id))
    return render_template(
        "campaign/greennet/manage.html", movements=services.movements(), form=form
    )


def _criterion_form() -> CriterionForm:
    form = CriterionForm(prefix="c")
    form.metric.choices = [SelectChoice("", "—")] + [
        SelectChoice(m.name, m.label) for m in metrics.REGISTRY.values()
    ]
    return form


@bp.route("/manage/movements/<int:movement_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def settings(movement_id: int):
    """A movement's milestones, tiers and criteria per level."""
    movement = movement_or_404(movement_id)
    tiers = TierForm(prefix="t", obj=None)
    if tiers.validate_on_submit():
        with domain_errors(category="warning"):
            services.update_tiers(
                actor=current_user,
                movement=movement,
                excellent_min=float(tiers.excellent_min.data),
                good_min=float(tiers.good_min.data),
                pass_min=float(tiers.pass_min.data),
                quota_percent=float(tiers.quota.data) if tiers.quota.data else None,
                quota_rule=tiers.quota_rule.data,
            )
            flash(_("The tiers have been saved."), "success")
        return redirect(url_for("greennet.settings", movement_id=movement.id))
    if not tiers.is_submitted():
        tiers.excellent_min.data = movement.excellent_min
        tiers.good_min.data = movement.good_min
        tiers.pass_min.data = movement.pass_min
        tiers.quota.data = movement.excellent_quota_percent
        tiers.quota_rule.data = movement.quota_rule
    sets = {level: services.current_set(movement, level) for level in SchoolLevel}
    return render_template(
        "campaign/greennet/settings.html",
        movement=movement,
        tiers=tiers,
        sets=sets,
        criterion_form=_criterion_form(),
        import_form=CriteriaImportForm(prefix="i"),
        milestone_form=MilestoneForm(prefix="m"),
        metrics=metrics.REGISTRY,
        versions={level: services.criteria_versions(movement, level) for level in SchoolLevel},
        report=None,
    )


@bp.route("/manage/movements/<int:movement_id>/criteria", methods=["POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def add_criterion(movement_id: int):
    """Add one criterion by hand."""
    movement = movement_or_404(movement_id)
    form = _criterion_form()
    if form.validate_on_submit():
        with domain_errors(category="warning"):
            services.add_criterion(
                actor=current_user,
                movement=movement,
                level=SchoolLevel(form.level.data),
                code=form.code.data,
                title=form.title.data,
                guidance=form.guidance.data or "",
                max_points=float(form.max_points.data),
                evidence_kinds=form.evidence_kinds.data or [],
                max_count=form.max_count.data,
                computed=form.computed.data,
                metric=form.metric.data or None,
                as_new_version=form.as_new_version.data,
            )
            flash(_("The criterion has been added."), "success")
    else:
        flash(_("Check the criterion's fields."), "warning")
    return redirect(url_for("greennet.settings", movement_id=movement.id))


def _criterion(movement_id: int, criterion_id: int):
    from campaign.greennet.models import Criterion

    item = db.session.get(Criterion, criterion_id)
    if item is None or item.criteria_set.movement_id != movement_id:
        abort(404)
    return item


@bp.route(
    "/manage/movements/<int:movement_id>/criteria/<int:criterion_id>/edit",
    methods=["GET", "POST"],
)
@roles_required(Role.ADMIN, Role.ORGANIZER)
def edit_criterion(movement_id: int, criterion_id: int):
    """Change a criterion's title, guidance, points, evidence or metric (its code stays)."""
    movement = movement_or_404(movement_id)
    item = _criterion(movement_id, criterion_id)
    form = _criterion_form()
    del form.code
    form.level.data = item.criteria_set.level.value
    form.as_new_version.label.text = _(
        "Save as a new version of the criteria (changes every school's maximum)"
    )
    if form.validate_on_submit():
        with domain_errors(form, "title"):
            services.update_criterion(
                actor=current_user,
                criterion=item,
                title=form.title.data,
                guidance=form.guidance.data or "",
                max_points=float(form.max_points.data),
                evidence_kinds=form.evidence_kinds.data or [],
                max_count=form.max_count.data,
                computed=form.computed.data,
                metric=form.metric.data or None,
                as_new_version=form.as_new_version.data,
            )
            flash(_("The criterion has been saved."), "success")
            return redirect(url_for("greennet.settings", movement_id=movement.id))
    elif not form.is_submitted():
        form.title.data, form.guidance.data = item.title, item.guidance
        form.max_points.data, form.max_count.data = item.max_points, item.max_count
        form.evidence_kinds.data = [k.value for k in item.required_kinds]
        form.computed.data, form.metric.data = item.computed, item.metric or ""
    return render_template(
        "campaign/greennet/criterion_form.html", form=form, movement=movement, criterion=item
    )


@bp.route(
    "/manage/movements/<int:movement_id>/criteria/<int:criterion_id>/delete", methods=["POST"]
)
@roles_required(Role.ADMIN, Role.ORGANIZER)
def delete_criterion(movement_id: int, criterion_id: int):
    """Remove an unused criterion."""
    item = _criterion(movement_id, criterion_id)
    with domain_errors(category="warning"):
        services.delete_criterion(actor=current_user, criterion=item)
        flash(_("The criterion has been deleted."), "success")
    return redirect(url_for("greennet.settings", movement_id=movement_id))


@bp.route("/manage/movements/<int:movement_id>/criteria/import", methods=["POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def import_criteria(movement_id: int):
    """Import a level's criteria from a workbook: all rows or none, with a report per row."""
    movement = movement_or_404(movement_id)
    form = CriteriaImportForm(prefix="i")
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            report = services.import_criteria(
                actor=current_user,
                movement=movement,
                level=SchoolLevel(form.level.data),
                stream=upload.stream,
                filename=upload.filename,
            )
        except ImportRejected as error:
            fail_request()
            report = error.report
        else:
            flash(
                _(
                    "%(n)d criteria imported as version %(v)d.",
                    n=report.counts["criteria"],
                    v=report.counts["version"],
                ),
                "success",
            )
            return redirect(url_for("greennet.settings", movement_id=movement.id))
    sets = {level: services.current_set(movement, level) for level in SchoolLevel}
    tiers = TierForm(prefix="t")
    return render_template(
        "campaign/greennet/settings.html",
        movement=movement,
        tiers=tiers,
        sets=sets,
        criterion_form=_criterion_form(),
        import_form=form,
        milestone_form=MilestoneForm(prefix="m"),
        metrics=metrics.REGISTRY,
        versions={level: services.criteria_versions(movement, level) for level in SchoolLevel},
        report=report,
    ), 400


@bp.route("/manage/movements/<int:movement_id>/criteria/copy", methods=["POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def copy_criteria(movement_id: int):
    """Copy last school year's criteria, every level."""
    movement = movement_or_404(movement_id)
    with domain_errors(category="warning"):
        count = services.copy_from_last_year(actor=current_user, movement=movement)
        flash(_("%(n)d criteria copied from last year.", n=count), "success")
    return redirect(url_for("greennet.settings", movement_id=movement.id))


@bp.route("/manage/movements/<int:movement_id>/criteria/<level>.xlsx")
@roles_required(Role.ADMIN, Role.ORGANIZER)
def criteria_xlsx(movement_id: int, level: str):
    """A level's current criteria in the import format (a template when empty)."""
    movement = movement_or_404(movement_id)
    if level not in SchoolLevel.__members__:
        abort(404)
    data = services.criteria_workbook(services.current_set(movement, SchoolLevel(level)))
    return download(data, XLSX_MIME, f"tieu-chi-{level}-{movement.school_year}.xlsx")


@bp.route("/manage/movements/<int:movement_id>/milestones/<int:milestone_id>", methods=["POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def milestone(movement_id: int, milestone_id: int):
    """Move a milestone's date."""
    item = db.session.get(Milestone, milestone_id)
    if item is None or item.movement_id != movement_id:
        abort(404)
    form = MilestoneForm(prefix="m")
    if form.validate_on_submit():
        services.set_milestone_date(actor=current_user, milestone=item, due_on=form.due_on.data)
        flash(_("The milestone has been saved."), "success")
    return redirect(url_for("greennet.settings", movement_id=movement_id))
