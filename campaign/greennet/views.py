"""Movement pages: public standings; schools log activities; the district verifies and reports."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from campaign.greennet import metrics, reports, services
from campaign.greennet.forms import (
    ActivityForm,
    CriteriaImportForm,
    CriterionForm,
    EvidenceForm,
    LockForm,
    MilestoneForm,
    MovementForm,
    ReopenForm,
    TierForm,
    VerifyForm,
)
from campaign.greennet.models import (
    Activity,
    Evidence,
    Milestone,
    Movement,
    Tier,
)
from campaign.greennet.permissions import (
    can_edit_assessment,
    can_verify,
    can_view_assessment,
)
from core import audit
from core.accounts.models import Role
from core.accounts.permissions import require, roles_required
from core.clock import local_today
from core.errors import DomainError, show_beside_field
from core.extensions import db
from core.schools.models import School, SchoolLevel
from core.spreadsheets import XLSX_MIME, ImportRejected
from core.storage import download_name, storage

bp = Blueprint("greennet", __name__)

TIER_LABELS = {
    Tier.EXCELLENT: "Xuất sắc",
    Tier.GOOD: "Tốt",
    Tier.PASS: "Đạt",
    Tier.FAIL: "Chưa đạt",
}


def _movement(movement_id: int) -> Movement:
    movement = db.session.get(Movement, movement_id)
    if movement is None:
        abort(404)
    return movement


def _school(school_id: int) -> School:
    school = db.session.get(School, school_id)
    if school is None:
        abort(404)
    return school


def _activity(activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        abort(404)
    return activity


def _level_arg() -> SchoolLevel | None:
    value = request.args.get("level", "")
    return SchoolLevel(value) if value in SchoolLevel.__members__ else None


def _download(data: bytes, mimetype: str, name: str) -> Response:
    return Response(
        data,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
        },
    )


# --- public -----------------------------------------------------------------------------------


@bp.route("/movement")
def standings():
    """Public standings of the current movement: schools by level with score and tier."""
    movement = services.current_movement()
    level = _level_arg()
    rows = services.standings(movement, level=level) if movement else []
    return render_template(
        "campaign/greennet/standings.html", movement=movement, rows=rows, level=level
    )


@bp.route("/movement/mine")
@roles_required(Role.COORDINATOR)
def mine():
    """Take a coordinator to their school's assessment in the current movement."""
    movement = services.current_movement()
    schools = sorted(current_user.school_ids_for(Role.COORDINATOR))
    if movement is None or not schools:
        flash(_("There is no movement running yet."), "info")
        return redirect(url_for("core.index"))
    return redirect(url_for("greennet.school", movement_id=movement.id, school_id=schools[0]))


# --- district: movements and criteria ----------------------------------------------------------


@bp.route("/manage/movements", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def manage():
    """Organizers' list of movements, and a form to start one."""
    form = MovementForm()
    from campaign.campaigns.services import all_campaigns

    form.campaign_id.choices = [SelectChoice(0, _("No campaign"))] + [
        SelectChoice(c.id, c.title) for c in all_campaigns()
    ]
    if form.validate_on_submit():
        try:
            movement = services.create_movement(
                actor=current_user,
                school_year=form.school_year.data,
                title=form.title.data,
                campaign_id=form.campaign_id.data or None,
            )
        except DomainError as error:
            db.session.rollback()
            form.school_year.errors.append(error.message)
        else:
            db.session.commit()
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
    movement = _movement(movement_id)
    tiers = TierForm(prefix="t", obj=None)
    if tiers.validate_on_submit():
        try:
            services.update_tiers(
                actor=current_user,
                movement=movement,
                excellent_min=float(tiers.excellent_min.data),
                good_min=float(tiers.good_min.data),
                pass_min=float(tiers.pass_min.data),
                quota_percent=float(tiers.quota.data) if tiers.quota.data else None,
            )
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "warning")
        else:
            db.session.commit()
            flash(_("The tiers have been saved."), "success")
        return redirect(url_for("greennet.settings", movement_id=movement.id))
    if not tiers.is_submitted():
        tiers.excellent_min.data = movement.excellent_min
        tiers.good_min.data = movement.good_min
        tiers.pass_min.data = movement.pass_min
        tiers.quota.data = movement.excellent_quota_percent
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
        report=None,
    )


@bp.route("/manage/movements/<int:movement_id>/criteria", methods=["POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def add_criterion(movement_id: int):
    """Add one criterion by hand."""
    movement = _movement(movement_id)
    form = _criterion_form()
    if form.validate_on_submit():
        try:
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
            )
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "warning")
        else:
            db.session.commit()
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
    movement = _movement(movement_id)
    item = _criterion(movement_id, criterion_id)
    form = _criterion_form()
    del form.code
    form.level.data = item.criteria_set.level.value
    if form.validate_on_submit():
        try:
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
            )
        except DomainError as error:
            db.session.rollback()
            show_beside_field(form, error, "title")
        else:
            db.session.commit()
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
    try:
        services.delete_criterion(actor=current_user, criterion=item)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "warning")
    else:
        db.session.commit()
        flash(_("The criterion has been deleted."), "success")
    return redirect(url_for("greennet.settings", movement_id=movement_id))


@bp.route("/manage/movements/<int:movement_id>/criteria/import", methods=["POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def import_criteria(movement_id: int):
    """Import a level's criteria from a workbook: all rows or none, with a report per row."""
    movement = _movement(movement_id)
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
            db.session.rollback()
            report = error.report
        else:
            db.session.commit()
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
        report=report,
    ), 400


@bp.route("/manage/movements/<int:movement_id>/criteria/copy", methods=["POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def copy_criteria(movement_id: int):
    """Copy last school year's criteria, every level."""
    movement = _movement(movement_id)
    try:
        count = services.copy_from_last_year(actor=current_user, movement=movement)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "warning")
    else:
        db.session.commit()
        flash(_("%(n)d criteria copied from last year.", n=count), "success")
    return redirect(url_for("greennet.settings", movement_id=movement.id))


@bp.route("/manage/movements/<int:movement_id>/criteria/<level>.xlsx")
@roles_required(Role.ADMIN, Role.ORGANIZER)
def criteria_xlsx(movement_id: int, level: str):
    """A level's current criteria in the import format (a template when empty)."""
    movement = _movement(movement_id)
    if level not in SchoolLevel.__members__:
        abort(404)
    data = services.criteria_workbook(services.current_set(movement, SchoolLevel(level)))
    return _download(data, XLSX_MIME, f"tieu-chi-{level}-{movement.school_year}.xlsx")


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
        db.session.commit()
        flash(_("The milestone has been saved."), "success")
    return redirect(url_for("greennet.settings", movement_id=movement_id))


@bp.route("/manage/movements/<int:movement_id>/verification")
@roles_required(Role.ADMIN, Role.ORGANIZER)
def verification(movement_id: int):
    """Submitted activities waiting for the district."""
    movement = _movement(movement_id)
    level = _level_arg()
    return render_template(
        "campaign/greennet/verification.html",
        movement=movement,
        activities=services.verification_queue(movement, level=level),
        level=level,
    )


@bp.route("/manage/movements/<int:movement_id>/dashboard")
@roles_required(Role.ADMIN, Role.ORGANIZER)
def dashboard(movement_id: int):
    """The district's overview: every school's score, tier, pending and overdue work, trend."""
    movement = _movement(movement_id)
    level = _level_arg()
    rows = services.standings(movement, level=level)
    trend = services.snapshots(movement)
    chart = {
        "labels": [r.school.code for r in rows],
        "datasets": [
            {"label": _("Now (%)"), "data": [r.percent for r in rows]},
            {
                "label": _("Mid-term review (%)"),
                "data": [
                    trend.get(r.school.id, {}).get("midterm").percent
                    if trend.get(r.school.id, {}).get("midterm")
                    else None
                    for r in rows
                ],
            },
        ],
    }
    if any("final" in t for t in trend.values()):
        chart["datasets"].append(
            {
                "label": _("Final review (%)"),
                "data": [
                    trend.get(r.school.id, {}).get("final").percent
                    if trend.get(r.school.id, {}).get("final")
                    else None
                    for r in rows
                ],
            }
        )
    lock_form = LockForm(prefix="lock")
    lock_form.milestone_id.choices = [SelectChoice(m.id, m.title) for m in movement.milestones]
    tiers = {t.value: sum(r.tier == t for r in rows) for t in Tier}
    tier_chart = {
        "labels": [TIER_LABELS[t] for t in Tier],
        "datasets": [{"label": _("Number of schools"), "data": [tiers[t.value] for t in Tier]}],
    }
    return render_template(
        "campaign/greennet/dashboard.html",
        movement=movement,
        rows=rows,
        level=level,
        trend=trend,
        chart_json=json.dumps(chart),
        tier_chart_json=json.dumps(tier_chart),
        tier_labels=TIER_LABELS,
        queue=len(services.verification_queue(movement, level=level)),
        lock_form=lock_form,
    )


@bp.route("/manage/movements/<int:movement_id>/lock", methods=["POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def lock_all(movement_id: int):
    """Lock every open school (of the chosen level) at a milestone: the review is closed."""
    movement = _movement(movement_id)
    form = LockForm(prefix="lock")
    form.milestone_id.choices = [SelectChoice(m.id, m.title) for m in movement.milestones]
    level = _level_arg()
    if form.validate_on_submit():
        item = db.session.get(Milestone, form.milestone_id.data)
        count = services.lock_all(
            actor=current_user, movement=movement, milestone=item, level=level
        )
        db.session.commit()
        flash(_("%(n)d schools locked.", n=count), "success")
    return redirect(
        url_for("greennet.dashboard", movement_id=movement_id, level=level.value if level else None)
    )


@bp.route("/manage/movements/<int:movement_id>/report.<any(xlsx, pdf):fmt>")
@roles_required(Role.ADMIN, Role.ORGANIZER)
def district_report(movement_id: int, fmt: str):
    """The district summary as a workbook or a PDF with charts."""
    movement = _movement(movement_id)
    if fmt == "xlsx":
        data = reports.district_xlsx(movement)
        return _download(data, XLSX_MIME, f"tong-hop-mang-xanh-{movement.school_year}.xlsx")
    data = reports.district_pdf(movement)
    return _download(data, "application/pdf", f"tong-hop-mang-xanh-{movement.school_year}.pdf")


# --- a school's assessment -------------------------------------------------------------------------


@bp.route("/movement/<int:movement_id>/schools/<int:school_id>")
def school(movement_id: int, school_id: int):
    """A school's progress against each criterion, its activities and what is missing."""
    movement, school_ = _movement(movement_id), _school(school_id)
    require(can_view_assessment(current_user, school_))
    standing = services.school_standing(movement, school_)
    lock_form = LockForm(prefix="lock")
    lock_form.milestone_id.choices = [SelectChoice(m.id, m.title) for m in movement.milestones]
    return render_template(
        "campaign/greennet/school.html",
        movement=movement,
        school=school_,
        standing=standing,
        activities=services.activities_for(movement, school_),
        assessment=services.find_assessment(movement, school_)
        if can_verify(current_user)
        else None,
        can_edit=can_edit_assessment(current_user, school_),
        can_verify=can_verify(current_user),
        lock_form=lock_form,
        reopen_form=ReopenForm(prefix="reopen"),
        snapshots=services.snapshots(movement).get(school_.id, {}),
        tier_labels=TIER_LABELS,
        chart_json=json.dumps(
            {
                "labels": [c.criterion.code for c in standing.criteria],
                "datasets": [
                    {"label": _("Points"), "data": [c.points for c in standing.criteria]},
                    {
                        "label": _("Maximum"),
                        "data": [c.criterion.max_points for c in standing.criteria],
                    },
                ],
            }
        ),
    )


@bp.route("/movement/<int:movement_id>/schools/<int:school_id>/report.<any(xlsx, pdf):fmt>")
def school_report(movement_id: int, school_id: int, fmt: str):
    """The school's self-review (sơ kết / tổng kết) as a workbook or a PDF."""
    movement, school_ = _movement(movement_id), _school(school_id)
    require(can_view_assessment(current_user, school_))
    name = f"tu-danh-gia-{school_.code}-{movement.school_year}.{fmt}"
    if fmt == "xlsx":
        return _download(reports.school_xlsx(movement, school_), XLSX_MIME, name)
    return _download(reports.school_pdf(movement, school_), "application/pdf", name)


@bp.route("/movement/<int:movement_id>/schools/<int:school_id>/lock", methods=["POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def lock(movement_id: int, school_id: int):
    """Lock the school's assessment at a milestone."""
    movement, school_ = _movement(movement_id), _school(school_id)
    form = LockForm(prefix="lock")
    form.milestone_id.choices = [SelectChoice(m.id, m.title) for m in movement.milestones]
    if form.validate_on_submit():
        item = db.session.get(Milestone, form.milestone_id.data)
        try:
            services.lock_assessment(
                actor=current_user, movement=movement, school=school_, milestone=item
            )
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "warning")
        else:
            db.session.commit()
            flash(_("The assessment is locked."), "success")
    return redirect(url_for("greennet.school", movement_id=movement_id, school_id=school_id))


@bp.route("/movement/<int:movement_id>/schools/<int:school_id>/reopen", methods=["POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def reopen(movement_id: int, school_id: int):
    """Reopen a locked assessment, with a reason."""
    movement, school_ = _movement(movement_id), _school(school_id)
    form = ReopenForm(prefix="reopen")
    try:
        services.reopen_assessment(
            actor=current_user, movement=movement, school=school_, reason=form.reason.data or ""
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "warning")
    else:
        db.session.commit()
        flash(_("The assessment is open again."), "success")
    return redirect(url_for("greennet.school", movement_id=movement_id, school_id=school_id))


def _activity_form(movement, school_, activity=None) -> ActivityForm:
    form = ActivityForm(obj=activity)
    form.criterion_id.choices = [
        SelectChoice(c.id, f"{c.code}. {c.title}")
        for c in services.criteria_for_school(movement, school_)
        if not c.computed
    ]
    if request.method == "GET" and request.args.get("criterion", "").isdigit():
        form.criterion_id.data = int(request.args["criterion"])
    return form


@bp.route(
    "/movement/<int:movement_id>/schools/<int:school_id>/activities/new", methods=["GET", "POST"]
)
def new_activity(movement_id: int, school_id: int):
    """Log a new activity (as a draft)."""
    movement, school_ = _movement(movement_id), _school(school_id)
    require(can_edit_assessment(current_user, school_))
    form = _activity_form(movement, school_)
    if form.validate_on_submit():
        activity = _save_activity_from(form, movement, school_, None)
        if activity is not None:
            db.session.commit()
            flash(_("The activity is saved as a draft. Add evidence, then submit it."), "success")
            return redirect(url_for("greennet.activity", activity_id=activity.id))
    return render_template(
        "campaign/greennet/activity_form.html",
        form=form,
        movement=movement,
        school=school_,
        activity=None,
    )


def _save_activity_from(form, movement, school_, activity):
    """Save the activity form through the service; on a rule broken, show it beside the field."""
    try:
        return services.save_activity(
            actor=current_user,
            movement=movement,
            school=school_,
            activity=activity,
            criterion_id=form.criterion_id.data,
            title=form.title.data,
            happened_on=form.happened_on.data,
            description=form.description.data or "",
            participants=form.participants.data or 0,
            self_score=float(form.self_score.data),
        )
    except DomainError as error:
        db.session.rollback()
        show_beside_field(form, error, "title")
        return None


@bp.route("/movement/activities/<int:activity_id>/edit", methods=["GET", "POST"])
def edit_activity(activity_id: int):
    """Edit a draft or returned activity."""
    activity = _activity(activity_id)
    require(can_edit_assessment(current_user, activity.school))
    movement = db.session.get(Movement, activity.movement_id)
    form = _activity_form(movement, activity.school, activity)
    if (
        form.validate_on_submit()
        and _save_activity_from(form, movement, activity.school, activity) is not None
    ):
        db.session.commit()
        flash(_("The activity has been saved."), "success")
        return redirect(url_for("greennet.activity", activity_id=activity.id))
    return render_template(
        "campaign/greennet/activity_form.html",
        form=form,
        movement=movement,
        school=activity.school,
        activity=activity,
    )


@bp.route("/movement/activities/<int:activity_id>")
def activity(activity_id: int):
    """One activity: its evidence, status, the district's verdict and the audit trail."""
    item = _activity(activity_id)
    require(can_view_assessment(current_user, item.school))
    verify = VerifyForm(prefix="v")
    if not verify.is_submitted():
        verify.points.data = (
            item.awarded_points if item.awarded_points is not None else item.self_score
        )
    return render_template(
        "campaign/greennet/activity.html",
        activity=item,
        movement=db.session.get(Movement, item.movement_id),
        evidence_form=EvidenceForm(prefix="e"),
        verify_form=verify,
        can_edit=can_edit_assessment(current_user, item.school) and item.editable,
        can_verify=can_verify(current_user),
        missing=services.missing_evidence(item),
        history=audit.history("activity", item.id),
        today=local_today(),
    )


@bp.route("/movement/activities/<int:activity_id>/evidence", methods=["POST"])
def add_evidence(activity_id: int):
    """Attach a photo, a PDF or a link."""
    item = _activity(activity_id)
    require(can_edit_assessment(current_user, item.school))
    form = EvidenceForm(prefix="e")
    if form.validate_on_submit():
        try:
            if form.file.data:
                services.add_evidence_file(
                    actor=current_user,
                    activity=item,
                    data=form.file.data.read(),
                    filename=form.file.data.filename or "",
                )
            elif form.url.data:
                services.add_link(actor=current_user, activity=item, url=form.url.data)
            else:
                flash(_("Choose a file or enter a link."), "warning")
                return redirect(url_for("greennet.activity", activity_id=item.id))
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "warning")
            return redirect(url_for("greennet.activity", activity_id=item.id))
        db.session.commit()
        flash(_("The evidence has been added."), "success")
    return redirect(url_for("greennet.activity", activity_id=item.id))


#: Photos re-encoded on upload, shown inline.
INLINE_IMAGES = frozenset({"image/jpeg", "image/png", "image/webp"})


@bp.route("/movement/evidence/<int:evidence_id>")
def evidence(evidence_id: int):
    """Download evidence; only people who may see the school's assessment."""
    item = db.session.get(Evidence, evidence_id)
    if item is None or item.storage_key is None:
        abort(404)
    require(can_view_assessment(current_user, item.activity.school))
    if item.mimetype in INLINE_IMAGES:
        return storage().send(item.storage_key, mimetype=item.mimetype)
    # Documents (and anything else) are downloaded, never rendered inside the site's origin,
    # under a sanitized name.
    pdf = item.mimetype == "application/pdf"
    return storage().send(
        item.storage_key,
        mimetype=item.mimetype if pdf else "application/octet-stream",
        download_name=download_name(
            item.filename, suffix=".pdf" if pdf else ".bin", default="minh-chung.pdf"
        ),
    )


@bp.route("/movement/evidence/<int:evidence_id>/delete", methods=["POST"])
def delete_evidence(evidence_id: int):
    """Remove evidence from a draft or returned activity."""
    item = db.session.get(Evidence, evidence_id)
    if item is None:
        abort(404)
    require(can_edit_assessment(current_user, item.activity.school))
    activity_id = item.activity_id
    try:
        services.remove_evidence(actor=current_user, evidence=item)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "warning")
    else:
        db.session.commit()
        flash(_("The evidence has been removed."), "success")
    return redirect(url_for("greennet.activity", activity_id=activity_id))


@bp.route("/movement/activities/<int:activity_id>/submit", methods=["POST"])
def submit(activity_id: int):
    """Send the activity to the district."""
    item = _activity(activity_id)
    require(can_edit_assessment(current_user, item.school))
    try:
        services.submit_activity(actor=current_user, activity=item)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "warning")
    else:
        db.session.commit()
        flash(_("The activity has been sent to the district."), "success")
    return redirect(url_for("greennet.activity", activity_id=item.id))


@bp.route("/movement/activities/<int:activity_id>/delete", methods=["POST"])
def delete(activity_id: int):
    """Delete a draft."""
    item = _activity(activity_id)
    require(can_edit_assessment(current_user, item.school))
    target = url_for("greennet.school", movement_id=item.movement_id, school_id=item.school_id)
    try:
        services.delete_activity(actor=current_user, activity=item)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "warning")
        return redirect(url_for("greennet.activity", activity_id=activity_id))
    db.session.commit()
    flash(_("The draft has been deleted."), "success")
    return redirect(target)


@bp.route("/movement/activities/<int:activity_id>/verify", methods=["POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def verify(activity_id: int):
    """Approve (optionally adjusting the score) or return the activity."""
    item = _activity(activity_id)
    form = VerifyForm(prefix="v")
    if not form.validate_on_submit() or form.action.data not in ("approve", "return"):
        flash(_("Check the verification fields."), "warning")
        return redirect(url_for("greennet.activity", activity_id=item.id))
    try:
        if form.action.data == "approve":
            services.approve_activity(
                actor=current_user,
                activity=item,
                points=float(form.points.data) if form.points.data is not None else None,
                comment=form.comment.data or "",
            )
            message = _("The activity has been approved.")
        else:
            services.return_activity(
                actor=current_user,
                activity=item,
                reason=form.comment.data or "",
                deadline=form.deadline.data,
            )
            message = _("The activity has been returned to the school.")
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "warning")
        return redirect(url_for("greennet.activity", activity_id=item.id))
    db.session.commit()
    flash(message, "success")
    nxt = request.args.get("next", "")
    if nxt.startswith("/") and not nxt.startswith("//"):
        return redirect(nxt)
    return redirect(url_for("greennet.activity", activity_id=item.id))
