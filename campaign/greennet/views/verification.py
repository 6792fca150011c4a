"""District pages that verify schools' work: the queue, the dashboard, locks and reports."""

from __future__ import annotations

import json

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from campaign.greennet import report_pdfs, reports, services
from campaign.greennet.forms import (
    LockForm,
    ReopenForm,
    UnlockForm,
    VerifyForm,
)
from campaign.greennet.models import (
    Milestone,
    Tier,
)
from campaign.greennet.views.common import (
    TIER_LABELS,
    activity_or_404,
    bp,
    download,
    level_arg,
    lockable_milestones,
    milestone_arg,
    movement_or_404,
    school_or_404,
)
from core.accounts.models import Role
from core.accounts.permissions import roles_required
from core.extensions import db
from core.hardening import safe_next
from core.spreadsheets import XLSX_MIME
from core.transaction import domain_errors


@bp.route("/manage/movements/<int:movement_id>/verification")
@roles_required(Role.ADMIN, Role.ORGANIZER)
def verification(movement_id: int):
    """Submitted activities waiting for the district."""
    movement = movement_or_404(movement_id)
    level = level_arg()
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
    movement = movement_or_404(movement_id)
    level = level_arg()
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
    lock_form.milestone_id.choices = [
        SelectChoice(m.id, m.title) for m in lockable_milestones(movement)
    ]
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
    movement = movement_or_404(movement_id)
    form = LockForm(prefix="lock")
    form.milestone_id.choices = [SelectChoice(m.id, m.title) for m in lockable_milestones(movement)]
    level = level_arg()
    if form.validate_on_submit():
        item = db.session.get(Milestone, form.milestone_id.data)
        with domain_errors(category="warning"):
            count, waiting = services.lock_all(
                actor=current_user, movement=movement, milestone=item, level=level
            )
            flash(_("%(n)d schools locked.", n=count), "success")
            if waiting:
                flash(
                    _(
                        "Not locked, activities still await verification: %(schools)s.",
                        schools=", ".join(s.name for s in waiting),
                    ),
                    "warning",
                )
    return redirect(
        url_for("greennet.dashboard", movement_id=movement_id, level=level.value if level else None)
    )


@bp.route("/manage/movements/<int:movement_id>/report.<any(xlsx, pdf):fmt>")
@roles_required(Role.ADMIN, Role.ORGANIZER)
def district_report(movement_id: int, fmt: str):
    """The district summary as a workbook or a PDF with charts."""
    movement = movement_or_404(movement_id)
    milestone = milestone_arg()
    if fmt == "xlsx":
        data = reports.district_xlsx(movement, milestone=milestone)
        return download(data, XLSX_MIME, f"tong-hop-mang-xanh-{movement.school_year}.xlsx")
    data = report_pdfs.district_pdf(movement, milestone=milestone)
    return download(data, "application/pdf", f"tong-hop-mang-xanh-{movement.school_year}.pdf")


@bp.route("/movement/<int:movement_id>/schools/<int:school_id>/lock", methods=["POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def lock(movement_id: int, school_id: int):
    """Lock the school's assessment at a milestone."""
    movement, school_ = movement_or_404(movement_id), school_or_404(school_id)
    form = LockForm(prefix="lock")
    form.milestone_id.choices = [SelectChoice(m.id, m.title) for m in lockable_milestones(movement)]
    if form.validate_on_submit():
        item = db.session.get(Milestone, form.milestone_id.data)
        with domain_errors(category="warning"):
            services.lock_assessment(
                actor=current_user, movement=movement, school=school_, milestone=item
            )
            flash(_("The assessment is locked."), "success")
    return redirect(url_for("greennet.school", movement_id=movement_id, school_id=school_id))


@bp.route(
    "/movement/<int:movement_id>/schools/<int:school_id>/unlock/<int:milestone_id>",
    methods=["POST"],
)
@roles_required(Role.ADMIN, Role.ORGANIZER)
def unlock(movement_id: int, school_id: int, milestone_id: int):
    """Remove the school's locked result at a milestone, with a reason (audited)."""
    movement, school_ = movement_or_404(movement_id), school_or_404(school_id)
    item = db.session.get(Milestone, milestone_id)
    form = UnlockForm(prefix="unlock")
    if item is None or not form.validate_on_submit():
        flash(_("Give a reason for unlocking."), "warning")
    else:
        with domain_errors(category="warning"):
            services.unlock_assessment(
                actor=current_user,
                movement=movement,
                school=school_,
                milestone=item,
                reason=form.reason.data,
            )
            flash(_("The locked result has been unlocked."), "success")
    return redirect(url_for("greennet.school", movement_id=movement_id, school_id=school_id))


@bp.route("/movement/<int:movement_id>/schools/<int:school_id>/reopen", methods=["POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def reopen(movement_id: int, school_id: int):
    """Reopen a locked assessment, with a reason."""
    movement, school_ = movement_or_404(movement_id), school_or_404(school_id)
    form = ReopenForm(prefix="reopen")
    with domain_errors(category="warning"):
        services.reopen_assessment(
            actor=current_user, movement=movement, school=school_, reason=form.reason.data or ""
        )
        flash(_("The assessment is open again."), "success")
    return redirect(url_for("greennet.school", movement_id=movement_id, school_id=school_id))


@bp.route("/movement/activities/<int:activity_id>/verify", methods=["POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def verify(activity_id: int):
    """Approve (optionally adjusting the score) or return the activity."""
    item = activity_or_404(activity_id)
    form = VerifyForm(prefix="v")
    if not form.validate_on_submit() or form.action.data not in ("approve", "return"):
        flash(_("Check the verification fields."), "warning")
        return redirect(url_for("greennet.activity", activity_id=item.id))
    with domain_errors(category="warning"):
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
        flash(message, "success")
        fallback = url_for("greennet.activity", activity_id=item.id)
        return redirect(safe_next(request.args.get("next"), fallback))
    return redirect(url_for("greennet.activity", activity_id=item.id))
