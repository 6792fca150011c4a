"""A school's pages: its coordinator logs activities with evidence and sends them to the district
(who read the same pages)."""

from __future__ import annotations

import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from campaign.greennet import report_pdfs, reports, services
from campaign.greennet.forms import (
    ActivityForm,
    EvidenceForm,
    LockForm,
    ReopenForm,
    UnlockForm,
    VerifyForm,
)
from campaign.greennet.models import (
    Evidence,
    Movement,
)
from campaign.greennet.permissions import (
    can_edit_assessment,
    can_verify,
    can_view_assessment,
)
from campaign.greennet.views.common import (
    TIER_LABELS,
    activity_or_404,
    bp,
    download,
    lockable_milestones,
    milestone_arg,
    movement_or_404,
    school_or_404,
)
from core import audit
from core.accounts.models import Role
from core.accounts.permissions import require, roles_required
from core.clock import local_today
from core.extensions import db
from core.spreadsheets import XLSX_MIME
from core.storage import download_name, storage
from core.transaction import domain_errors


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


@bp.route("/movement/<int:movement_id>/schools/<int:school_id>")
def school(movement_id: int, school_id: int):
    """A school's progress against each criterion, its activities and what is missing."""
    movement, school_ = movement_or_404(movement_id), school_or_404(school_id)
    require(can_view_assessment(current_user, school_))
    standing = services.school_standing(movement, school_)
    lock_form = LockForm(prefix="lock")
    lock_form.milestone_id.choices = [
        SelectChoice(m.id, m.title) for m in lockable_milestones(movement)
    ]
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
        unlock_form=UnlockForm(prefix="unlock"),
        lockable=lockable_milestones(movement),
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
    movement, school_ = movement_or_404(movement_id), school_or_404(school_id)
    require(can_view_assessment(current_user, school_))
    milestone = milestone_arg()
    prefix = {"so_ket": "so-ket", "tong_ket": "tong-ket"}.get(request.args.get("milestone"))
    name = f"{prefix or 'tu-danh-gia'}-{school_.code}-{movement.school_year}.{fmt}"
    if fmt == "xlsx":
        return download(
            reports.school_xlsx(movement, school_, milestone=milestone), XLSX_MIME, name
        )
    return download(
        report_pdfs.school_pdf(movement, school_, milestone=milestone), "application/pdf", name
    )


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
    movement, school_ = movement_or_404(movement_id), school_or_404(school_id)
    require(can_edit_assessment(current_user, school_))
    form = _activity_form(movement, school_)
    if form.validate_on_submit():
        activity = _save_activity_from(form, movement, school_, None)
        if activity is not None:
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
    with domain_errors(form, "title"):
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
    return None


@bp.route("/movement/activities/<int:activity_id>/edit", methods=["GET", "POST"])
def edit_activity(activity_id: int):
    """Edit a draft or returned activity."""
    activity = activity_or_404(activity_id)
    require(can_edit_assessment(current_user, activity.school))
    movement = db.session.get(Movement, activity.movement_id)
    form = _activity_form(movement, activity.school, activity)
    if (
        form.validate_on_submit()
        and _save_activity_from(form, movement, activity.school, activity) is not None
    ):
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
    item = activity_or_404(activity_id)
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
    item = activity_or_404(activity_id)
    require(can_edit_assessment(current_user, item.school))
    form = EvidenceForm(prefix="e")
    if form.validate_on_submit():
        with domain_errors(category="warning"):
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
    with domain_errors(category="warning"):
        services.remove_evidence(actor=current_user, evidence=item)
        flash(_("The evidence has been removed."), "success")
    return redirect(url_for("greennet.activity", activity_id=activity_id))


@bp.route("/movement/activities/<int:activity_id>/submit", methods=["POST"])
def submit(activity_id: int):
    """Send the activity to the district."""
    item = activity_or_404(activity_id)
    require(can_edit_assessment(current_user, item.school))
    with domain_errors(category="warning"):
        services.submit_activity(actor=current_user, activity=item)
        flash(_("The activity has been sent to the district."), "success")
    return redirect(url_for("greennet.activity", activity_id=item.id))


@bp.route("/movement/activities/<int:activity_id>/delete", methods=["POST"])
def delete(activity_id: int):
    """Delete a draft."""
    item = activity_or_404(activity_id)
    require(can_edit_assessment(current_user, item.school))
    target = url_for("greennet.school", movement_id=item.movement_id, school_id=item.school_id)
    with domain_errors(category="warning"):
        services.delete_activity(actor=current_user, activity=item)
        flash(_("The draft has been deleted."), "success")
        return redirect(target)
    return redirect(url_for("greennet.activity", activity_id=activity_id))
