"""Safety reports through the API (e.g. a school's app): anonymous allowed, rate-limited."""

from __future__ import annotations

from flask_login import current_user
from marshmallow import Schema, fields, validate

from campaign.safety import services
from campaign.safety.views import report_limit
from core.api import ApiBlueprint
from core.extensions import limiter

blp = ApiBlueprint("safety_api", __name__, description="Safety corner")


class SafetyReportIn(Schema):
    school_id = fields.Integer(load_default=None, allow_none=True)
    what_happened = fields.String(required=True, validate=validate.Length(min=10, max=5000))
    where = fields.String(load_default="", validate=validate.Length(max=500))
    when = fields.String(load_default="", validate=validate.Length(max=200))
    who_affected = fields.String(load_default="", validate=validate.Length(max=500))
    contact = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
    anonymous = fields.Boolean(load_default=True)


class SafetyReportOut(Schema):
    reference = fields.String()
    status = fields.Function(lambda r: r.status.value)


@blp.route("/safety/reports", methods=["POST"])
@blp.operation(
    "submitSafetyReport",
    "File a confidential safety report (no sign-in needed; anonymous by default)",
)
@limiter.limit(report_limit)
@blp.arguments(SafetyReportIn)
@blp.response(201, SafetyReportOut)
def submit_safety_report(data):
    report = services.submit_report(reporter=current_user, **data)
    return report
