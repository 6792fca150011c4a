"""The district's inspection pages: plan, checklist with findings and photos, acting on an
activity, conclusion, and the way to the minutes (an official document)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from campaign.greennet.models import Activity, ActivityStatus, Movement
from campaign.greennet.services import movements
from campaign.inspections import services
from campaign.inspections.forms import (
    KIND_LABELS,
    RATING_LABELS,
    ActForm,
    ConcludeForm,
    FindingForm,
    PhotoForm,
    PlanForm,
)
from campaign.inspections.models import Finding, FindingPhoto, Inspection, InspectionStatus
from campaign.inspections.permissions import can_inspect, can_view_inspection
from core.accounts.models import Role
from core.accounts.permissions import require
from core.extensions import db
from core.schools.models import School
from core.schools.services import list_schools
from core.storage import storage
from core.transaction import domain_errors

bp = Blueprint("inspections", __name__)

PHOTO_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}


def _back(inspection: Inspection, finding: Finding | None = None):
    anchor = f"finding-{finding.id}" if finding else None
    return redirect(url_for("inspections.show", inspection_id=inspection.id, _anchor=anchor))


@bp.route("/inspections")
@login_required
def index():
    """Every inspection, newest first; a coordinator sees those of their own school."""
    query = sa.select(Inspection).order_by(Inspection.starts_on.desc(), Inspection.id.desc())
    inspector = can_inspect(current_user)
    if not inspector:
        school_ids = current_user.school_ids_for(Role.COORDINATOR)
        require(bool(school_ids))
        query = query.where(Inspection.school_id.in_(school_ids))
    return render_template(
        "campaign/inspections/index.html",
        inspections=list(db.session.scalars(query)),
        kinds=KIND_LABELS,
        inspector=inspector,
    )


@bp.route("/inspections/new", methods=["GET", "POST"])
@login_required
def plan():
    """Plan a regular or surprise inspection of a school's movement."""
    require(can_inspect(current_user))
    form = PlanForm()
    form.movement_id.choices = [(m.id, f"{m.title} ({m.school_year})") for m in movements()]
    form.school_id.choices = [(s.id, s.name) for s in list_schools()]
    if form.validate_on_submit():
        movement = db.session.get(Movement, form.movement_id.data)
        school = db.session.get(School, form.school_id.data)
        if movement is None or school is None:
            abort(404)
        with domain_errors(form, "team"):
            inspection = services.plan_inspection(
                actor=current_user,
                movement=movement,
                school=school,
                kind=form.kind.data,
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
                team=form.team.data,
                scope=form.scope.data or "",
                school_representatives=form.school_representatives.data or "",
            )
            flash(_("The inspection has been planned."), "success")
            return redirect(url_for("inspections.show", inspection_id=inspection.id))
    return render_template("campaign/inspections/plan.html", form=form)


def _activities_by_criterion(inspection: Inspection) -> dict[int, list[Activity]]:
    """The school's activities a finding may act on (submitted or approved), by criterion."""
    rows = db.session.scalars(
        sa.select(Activity)
        .where(
            Activity.movement_id == inspection.movement_id,
            Activity.school_id == inspection.school_id,
            Activity.status.in_([ActivityStatus.SUBMITTED, ActivityStatus.APPROVED]),
        )
        .order_by(Activity.happened_on, Activity.id)
    )
    grouped: dict[int, list[Activity]] = {}
    for activity in rows:
        grouped.setdefault(activity.criterion_id, []).append(activity)
    return grouped


@bp.route("/inspections/<int:inspection_id>")
@login_required
def show(inspection_id: int):
    """The plan, the checklist drawn from the criteria with findings and photos, the conclusion.

    The inspected school's coordinators read it; only the district's staff change it.
    """
    inspection = db.get_or_404(Inspection, inspection_id)
    require(can_view_inspection(current_user, inspection))
    inspector = can_inspect(current_user)
    activities = _activities_by_criterion(inspection)
    forms = {}
    for finding in inspection.findings:
        finding_form = FindingForm(prefix=f"f{finding.id}")
        finding_form.rating.data = finding.rating.value if finding.rating else None
        finding_form.note.data = finding.note
        act = ActForm(prefix=f"a{finding.id}")
        act.activity_id.choices = [
            (a.id, a.title) for a in activities.get(finding.criterion_id, [])
        ]
        forms[finding.id] = (finding_form, PhotoForm(prefix=f"p{finding.id}"), act)
    conclude = ConcludeForm()
    conclude.conclusion.data = inspection.conclusion
    return render_template(
        "campaign/inspections/show.html",
        inspection=inspection,
        forms=forms,
        activities=activities,
        conclude_form=conclude,
        kinds=KIND_LABELS,
        ratings=RATING_LABELS,
        open=inspection.status == InspectionStatus.PLANNED,
        editable=inspector and inspection.status == InspectionStatus.PLANNED,
        inspector=inspector,
    )


@bp.route("/inspections/findings/<int:finding_id>", methods=["POST"])
@login_required
def record(finding_id: int):
    """Rate one criterion and note what the team saw."""
    require(can_inspect(current_user))
    finding = db.get_or_404(Finding, finding_id)
    form = FindingForm(prefix=f"f{finding.id}")
    if not form.validate_on_submit():
        flash(_("Choose a rating."), "warning")
        return _back(finding.inspection, finding)
    with domain_errors(category="warning"):
        services.record_finding(
            actor=current_user, finding=finding, rating=form.rating.data, note=form.note.data or ""
        )
        flash(_("The finding has been saved."), "success")
    return _back(finding.inspection, finding)


@bp.route("/inspections/findings/<int:finding_id>/photos", methods=["POST"])
@login_required
def add_photo(finding_id: int):
    """Attach a photo to a finding (re-encoded, metadata stripped)."""
    require(can_inspect(current_user))
    finding = db.get_or_404(Finding, finding_id)
    form = PhotoForm(prefix=f"p{finding.id}")
    if not form.validate_on_submit():
        flash(_("Choose a photo."), "warning")
        return _back(finding.inspection, finding)
    with domain_errors(category="warning"):
        services.add_finding_photo(
            actor=current_user,
            finding=finding,
            data=form.file.data.read(),
            filename=form.file.data.filename or "",
        )
        flash(_("The photo has been added."), "success")
    return _back(finding.inspection, finding)


@bp.route("/inspections/photos/<int:photo_id>")
@login_required
def photo(photo_id: int):
    """A finding's photo, for the district's staff and the inspected school's coordinators."""
    item = db.session.get(FindingPhoto, photo_id)
    if item is None:
        abort(404)
    require(can_view_inspection(current_user, item.finding.inspection))
    suffix = "." + item.storage_key.rsplit(".", 1)[-1].lower()
    return storage().send(item.storage_key, mimetype=PHOTO_TYPES.get(suffix, "image/jpeg"))


@bp.route("/inspections/findings/<int:finding_id>/act", methods=["POST"])
@login_required
def act(finding_id: int):
    """Return an activity for more evidence, or adjust its verified score (audited)."""
    require(can_inspect(current_user))
    finding = db.get_or_404(Finding, finding_id)
    inspection = finding.inspection
    form = ActForm(prefix=f"a{finding.id}")
    form.activity_id.choices = [
        (a.id, a.title) for a in _activities_by_criterion(inspection).get(finding.criterion_id, [])
    ]
    if not form.validate_on_submit() or form.action.data not in ("return", "adjust"):
        flash(_("Choose an activity and give the reason."), "warning")
        return _back(inspection, finding)
    activity = db.session.get(Activity, form.activity_id.data)
    with domain_errors(category="warning"):
        if form.action.data == "return":
            services.return_from_finding(
                actor=current_user,
                finding=finding,
                activity=activity,
                reason=form.comment.data,
                deadline=form.deadline.data,
            )
            flash(_("The activity has been returned to the school."), "success")
        else:
            if form.points.data is None:
                flash(_("Enter the verified score."), "warning")
                return _back(inspection, finding)
            services.adjust_from_finding(
                actor=current_user,
                finding=finding,
                activity=activity,
                points=float(form.points.data),
                comment=form.comment.data,
            )
            flash(_("The verified score has been adjusted."), "success")
    return _back(inspection, finding)


@bp.route("/inspections/<int:inspection_id>/conclude", methods=["POST"])
@login_required
def conclude(inspection_id: int):
    """Conclude the inspection; its minutes may then be issued."""
    require(can_inspect(current_user))
    inspection = db.get_or_404(Inspection, inspection_id)
    form = ConcludeForm()
    if not form.validate_on_submit():
        flash(_("Write the conclusion."), "warning")
        return _back(inspection)
    with domain_errors(category="warning"):
        services.conclude(
            actor=current_user, inspection=inspection, conclusion=form.conclusion.data
        )
        flash(_("The inspection has been concluded."), "success")
    return _back(inspection)
