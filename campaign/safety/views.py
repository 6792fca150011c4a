"""The safety corner: the teaching page, the confidential report form and the staff's inbox."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from campaign.safety import services
from campaign.safety.forms import ReportStatusForm, SafetyReportForm
from campaign.safety.models import ReportStatus
from core.accounts.models import Role
from core.accounts.permissions import roles_required
from core.extensions import limiter
from core.transaction import domain_errors
from core.web import writes_on_read

bp = Blueprint("safety", __name__, url_prefix="/safety")


def report_limit() -> str:
    return current_app.config["SAFETY_REPORT_LIMIT"]


@bp.route("/")
def index():
    """How to recognise and report harmful content and abuse online; where to get help."""
    return render_template("campaign/safety/index.html", lines=services.help_lines(current_user))


def _report_form() -> SafetyReportForm:
    form = SafetyReportForm()
    form.school_id.choices = [SelectChoice(0, _("I do not know / another place"))] + [
        SelectChoice(s.id, s.name) for s in services.schools_for_form()
    ]
    if not form.is_submitted() and current_user.is_authenticated and current_user.school_id:
        form.school_id.data = current_user.school_id
    return form


@bp.route("/report", methods=["GET", "POST"])
@limiter.limit(report_limit, methods=["POST"])
def report():
    """The confidential report form; no sign-in needed, anonymous by default."""
    form = _report_form()
    if form.validate_on_submit():
        with domain_errors(form, "what_happened"):
            filed = services.submit_report(
                school_id=form.school_id.data or None,
                what_happened=form.what_happened.data,
                where=form.where.data or "",
                when=form.when.data or "",
                who_affected=form.who_affected.data or "",
                contact=form.contact.data,
                anonymous=form.anonymous.data,
                reporter=current_user,
            )
            session["safety_reference"] = filed.reference
            return redirect(url_for("safety.received"))
    return render_template(
        "campaign/safety/report.html", form=form, lines=services.help_lines(current_user)
    )


@bp.route("/report/received")
def received():
    """Thank the reporter and show the reference once."""
    reference = session.pop("safety_reference", None)
    if reference is None:
        return redirect(url_for("safety.report"))
    return render_template(
        "campaign/safety/received.html",
        reference=reference,
        lines=services.help_lines(current_user),
    )


@bp.route("/reports")
@roles_required(Role.SAFEGUARDING)
def inbox():
    """Designated staff's list of reports for their school (or all, for district staff)."""
    return render_template("campaign/safety/inbox.html", reports=services.reports_for(current_user))


@bp.route("/reports/<int:report_id>")
@writes_on_read
@roles_required(Role.SAFEGUARDING)
def show(report_id: int):
    """One report; the read is logged."""
    report = services.open_report(user=current_user, report_id=report_id)
    return render_template(
        "campaign/safety/show.html",
        report=report,
        form=ReportStatusForm(),
        log=services.read_log(report),
    )


@bp.route("/reports/<int:report_id>/status", methods=["POST"])
@roles_required(Role.SAFEGUARDING)
def change_status(report_id: int):
    """Move a report to verifying, handled or forwarded."""
    form = ReportStatusForm()
    report = services.open_report(user=current_user, report_id=report_id)
    if form.validate_on_submit():
        with domain_errors(category="warning"):
            services.change_status(
                user=current_user,
                report=report,
                status=ReportStatus(form.status.data),
                note=form.note.data or "",
                forwarded_to=form.forwarded_to.data or None,
            )
            flash(_("The report's status has been updated."), "success")
    return redirect(url_for("safety.show", report_id=report_id))
