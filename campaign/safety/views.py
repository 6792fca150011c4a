"""The safety corner: the teaching page, the confidential report form and the staff's inbox."""

from __future__ import annotations

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from campaign.safety import followup, services
from campaign.safety.forms import (
    FollowUpForm,
    FollowUpMessageForm,
    ReplyForm,
    ReportStatusForm,
    SafetyReportForm,
)
from campaign.safety.limits import follow_up_limits, report_limits
from campaign.safety.models import ReportStatus
from core.accounts.models import Role
from core.accounts.permissions import roles_required
from core.errors import DomainError, error_response
from core.transaction import domain_errors
from core.web import writes_on_read

bp = Blueprint("safety", __name__, url_prefix="/safety")


@bp.after_request
def _no_store(response):
    """Reports, replies and the inbox must not stay in a shared computer's cache."""
    if request.endpoint != "safety.index":
        response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/")
def index():
    """How to recognise and report harmful content and abuse online; where to get help."""
    return render_template(
        "campaign/safety/index.html",
        lines=services.help_lines(current_user),
        national_channels=services.NATIONAL_CHANNELS,
    )


def _report_form() -> SafetyReportForm:
    form = SafetyReportForm()
    form.school_id.choices = [SelectChoice(0, _("I do not know / another place"))] + [
        SelectChoice(s.id, s.name) for s in services.schools_for_form()
    ]
    if not form.is_submitted() and current_user.is_authenticated and current_user.school_id:
        form.school_id.data = current_user.school_id
    return form


def _render_report(form, *, refused: bool = False):
    return render_template(
        "campaign/safety/report.html",
        form=form,
        refused=refused,
        lines=services.help_lines(current_user),
    )


@bp.errorhandler(429)
def _too_many(error):
    """A refused report keeps the child's text and shows 111 and 113 (other pages: the usual)."""
    if request.endpoint == "safety.report":
        return _render_report(_report_form(), refused=True), 429
    return error_response(
        429, _("You have tried too many times. Please wait a few minutes and try again.")
    )


@bp.route("/report", methods=["GET", "POST"])
@report_limits()
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
            # Shown once on the next page and popped there; the phrase is only ever hashed.
            session["safety_reference"] = filed.reference
            session["safety_secret"] = filed.secret
            return redirect(url_for("safety.received"))
    return _render_report(form)


@bp.route("/report/received")
def received():
    """Thank the reporter and show the reference once."""
    reference = session.pop("safety_reference", None)
    secret = session.pop("safety_secret", None)
    if reference is None:
        return redirect(url_for("safety.report"))
    return render_template(
        "campaign/safety/received.html",
        reference=reference,
        secret=secret,
        lines=services.help_lines(current_user),
    )


def _render_thread(report, message_form, status: int = 200):
    return (
        render_template(
            "campaign/safety/follow_up.html",
            report=report,
            form=message_form,
            lines=services.help_lines(current_user),
        ),
        status,
    )


def _render_follow_up_form(form, status: int = 200):
    return (
        render_template(
            "campaign/safety/follow_up_form.html",
            form=form,
            lines=services.help_lines(current_user),
        ),
        status,
    )


@bp.route("/follow-up", methods=["GET", "POST"])
@follow_up_limits
def follow_up():
    """The reporter reads the staff's replies with the reference and the secret phrase."""
    form = FollowUpForm()
    if form.validate_on_submit():
        try:
            report = followup.find_for_reporter(
                reference=form.reference.data, secret=form.secret.data
            )
        except DomainError as error:
            form.secret.data = ""  # never typed back into a page on a shared computer
            flash(error.message, "warning")
            return _render_follow_up_form(form, error.status_code)
        message_form = FollowUpMessageForm(
            formdata=None, reference=report.reference, secret=form.secret.data
        )
        return _render_thread(report, message_form)
    return _render_follow_up_form(form)


@bp.route("/follow-up/messages", methods=["POST"])
@follow_up_limits
def follow_up_message():
    """The reporter adds to the report (the page is answered directly: nothing to bookmark)."""
    form = FollowUpMessageForm()
    if not form.validate_on_submit():
        lookup = FollowUpForm(formdata=None, reference=form.reference.data)
        flash(_("Write your message first."), "warning")
        return _render_follow_up_form(lookup, 400)
    try:
        message = followup.add_reporter_message(
            reference=form.reference.data, secret=form.secret.data, text=form.text.data
        )
    except DomainError as error:  # raised before anything is stored; the 4xx rolls back
        flash(error.message, "warning")
        return _render_follow_up_form(FollowUpForm(formdata=None), error.status_code)
    flash(_("Your message has been added to the report."), "success")
    fresh = FollowUpMessageForm(
        formdata=None, reference=message.report.reference, secret=form.secret.data
    )
    return _render_thread(message.report, fresh)


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
        reply_form=ReplyForm(),
        log=services.read_log(report),
    )


@bp.route("/reports/<int:report_id>/replies", methods=["POST"])
@roles_required(Role.SAFEGUARDING)
def reply(report_id: int):
    """Answer the reporter; they read it with their reference and secret phrase."""
    form = ReplyForm()
    report = services.open_report(user=current_user, report_id=report_id)
    if not form.validate_on_submit():
        flash(_("Write your reply first."), "warning")
        return redirect(url_for("safety.show", report_id=report_id))
    with domain_errors(category="warning"):
        followup.reply(user=current_user, report=report, text=form.text.data)
        flash(_("Your reply has been sent."), "success")
    return redirect(url_for("safety.show", report_id=report_id))


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
