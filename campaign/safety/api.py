"""Safety reports through the API (e.g. a school's app): anonymous allowed, rate-limited.

The reporter follows a report up with its reference and the secret phrase returned once at
submission; a wrong phrase is answered exactly as an unknown reference is.
"""

from __future__ import annotations

from flask_login import current_user
from marshmallow import Schema, fields, validate

from campaign.safety import followup, services
from campaign.safety.limits import follow_up_limits, report_limits
from core.api import ApiBlueprint
from core.hardening import DB_INT_MAX

blp = ApiBlueprint("safety_api", __name__, description="Safety corner")


@blp.after_request
def _no_store(response):
    response.headers["Cache-Control"] = "private, no-store"
    return response


class SafetyReportIn(Schema):
    school_id = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=1, max=DB_INT_MAX)
    )
    what_happened = fields.String(required=True, validate=validate.Length(min=10, max=5000))
    where = fields.String(load_default="", validate=validate.Length(max=500))
    when = fields.String(load_default="", validate=validate.Length(max=200))
    who_affected = fields.String(load_default="", validate=validate.Length(max=500))
    contact = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
    anonymous = fields.Boolean(load_default=True)


class SafetyReportOut(Schema):
    reference = fields.String()
    status = fields.Function(lambda r: r.status.value)
    secret = fields.String(
        metadata={"description": "The follow-up secret phrase; returned once, never again."}
    )


class FollowUpIn(Schema):
    reference = fields.String(required=True, validate=validate.Length(min=1, max=20))
    secret = fields.String(required=True, validate=validate.Length(min=1, max=60))


class FollowUpMessageIn(FollowUpIn):
    text = fields.String(
        required=True, validate=validate.Length(min=1, max=followup.MAX_MESSAGE_LENGTH)
    )


class FollowUpMessageOut(Schema):
    author = fields.Function(lambda m: m.author.value)
    text = fields.String()
    created_at = fields.DateTime()


class FollowUpOut(Schema):
    reference = fields.String()
    status = fields.Function(lambda r: r.status.value)
    messages = fields.List(fields.Nested(FollowUpMessageOut))


@blp.route("/safety/reports", methods=["POST"])
@blp.operation(
    "submitSafetyReport",
    "File a confidential safety report (no sign-in needed; anonymous by default)",
)
@report_limits()
@blp.arguments(SafetyReportIn)
@blp.response(201, SafetyReportOut)
def submit_safety_report(data):
    report = services.submit_report(reporter=current_user, **data)
    return report


@blp.route("/safety/reports/follow-up", methods=["POST"])
@blp.operation(
    "getSafetyReportFollowUp",
    "Read a report's status and the staff's replies with its reference and secret phrase",
)
@follow_up_limits
@blp.arguments(FollowUpIn)
@blp.response(200, FollowUpOut)
def get_safety_report_follow_up(data):
    return followup.find_for_reporter(reference=data["reference"], secret=data["secret"])


@blp.route("/safety/reports/follow-up/messages", methods=["POST"])
@blp.operation(
    "addSafetyReportFollowUp",
    "Add to a report with its reference and secret phrase (no sign-in needed)",
)
@follow_up_limits
@blp.arguments(FollowUpMessageIn)
@blp.response(201, FollowUpOut)
def add_safety_report_follow_up(data):
    message = followup.add_reporter_message(
        reference=data["reference"], secret=data["secret"], text=data["text"]
    )
    return message.report
