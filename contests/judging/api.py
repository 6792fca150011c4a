"""The judging JSON API: the judge's queue and scoring sheet, the organizer's assignment,
progress and publication.

A judge reaches only their own sheets: any other assignment id answers 404, as if it did not
exist. What a judge gets of an entry is ``contests.essay.anonymity.judge_payload`` (code, masked
text, masked captions), never the author, school or class. Other judges' marks appear only once
the judge has submitted their own. Organizer operations answer 403 to students and judges (the
round's chief judge may read progress and publish, as on the dashboard).
"""

from __future__ import annotations

from flask import url_for
from flask_login import current_user, login_required
from marshmallow import Schema, fields, validate

from contests.essay.anonymity import judge_payload
from contests.judging import services
from contests.judging.models import MARKING
from contests.judging.permissions import can_lead, can_organize
from core.api import ApiBlueprint
from core.clock import utcnow
from core.errors import Forbidden

blp = ApiBlueprint("judging_api", __name__, description="Blind judging of writing contests")


# --- schemas ----------------------------------------------------------------------------------


class AssignmentSummarySchema(Schema):
    id = fields.Integer()
    code = fields.Function(lambda a: a.entry.code)
    round_id = fields.Integer()
    kind = fields.Function(lambda a: a.kind.value)
    status = fields.Function(lambda a: a.status.value)
    due_at = fields.DateTime()
    overdue = fields.Function(lambda a: a.status in MARKING and a.due_at <= utcnow())
    marked = fields.Function(lambda a: len(a.marks))
    url = fields.Function(lambda a: url_for("judging.score", assignment_id=a.id))


class CriterionSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    guidance = fields.String()
    max_points = fields.Function(lambda c: services.format_points(c.max_points))


class RubricSchema(Schema):
    version = fields.Integer()
    scale = fields.Function(lambda r: services.format_points(r.scale))
    criteria = fields.List(fields.Nested(CriterionSchema))


class OtherSheetSchema(Schema):
    """Another judge's sheet, without the judge's name."""

    kind = fields.Function(lambda a: a.kind.value)
    total = fields.Function(lambda a: services.format_points(a.total()))
    marks = fields.Function(
        lambda a: {str(m.criterion_id): services.format_points(m.value) for m in a.marks}
    )
    comment = fields.String()


class AssignmentSchema(Schema):
    id = fields.Integer()
    kind = fields.Function(lambda a: a.kind.value)
    status = fields.Function(lambda a: a.status.value)
    seq = fields.Integer()
    comment = fields.String()
    due_at = fields.DateTime()
    saved_at = fields.DateTime(allow_none=True)
    submitted_at = fields.DateTime(allow_none=True)
    entry = fields.Function(lambda a: _entry_payload(a))
    rubric = fields.Function(lambda a: RubricSchema().dump(services.current_rubric(a.round_id)))
    marks = fields.Function(
        lambda a: {str(m.criterion_id): services.format_points(m.value) for m in a.marks}
    )
    total = fields.Function(lambda a: services.format_points(a.total()))
    others = fields.Function(lambda a: OtherSheetSchema(many=True).dump(services.other_sheets(a)))


def _entry_payload(assignment) -> dict:
    payload = judge_payload(assignment.entry)
    for photo in payload["photos"]:
        photo["url"] = url_for("judging.photo", assignment_id=assignment.id, photo_id=photo["id"])
    return payload


class MarksSchema(Schema):
    marks = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^\d{1,10}$")),
        values=fields.Raw(allow_none=True),
        load_default=dict,
    )
    comment = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=20_000)
    )
    seq = fields.Integer(required=True, validate=validate.Range(min=1, max=2**62))


class MarksSaveResultSchema(Schema):
    """What an autosave answers: small, so saving as the judge types stays cheap."""

    accepted = fields.Boolean()
    seq = fields.Function(lambda r: r["assignment"].seq)
    saved_at = fields.Function(
        lambda r: r["assignment"].saved_at.isoformat() if r["assignment"].saved_at else None
    )
    marks = fields.Function(
        lambda r: {
            str(m.criterion_id): services.format_points(m.value) for m in r["assignment"].marks
        }
    )
    total = fields.Function(lambda r: services.format_points(r["assignment"].total()))


class PreviewRequestSchema(Schema):
    seed = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=0, max=2**32)
    )


class RunRequestSchema(Schema):
    seed = fields.Integer(required=True, validate=validate.Range(min=0, max=2**32))


class PlanSchema(Schema):
    entries = fields.Integer()
    judges = fields.Integer()
    k = fields.Integer()
    seed = fields.Integer()
    min_load = fields.Integer()
    max_load = fields.Integer()
    balanced = fields.Boolean()
    balance_notes = fields.List(fields.String())
    same_school_avoided = fields.Integer()
    conflicts_avoided = fields.Integer()
    loads = fields.Dict(keys=fields.String(), values=fields.Integer())


class JudgeProgressSchema(Schema):
    judge_id = fields.Integer()
    name = fields.String()
    role = fields.String()
    assigned = fields.Integer()
    done = fields.Integer()
    overdue = fields.Integer()


class ProgressSchema(Schema):
    entries = fields.Integer()
    resolved = fields.Integer()
    waiting = fields.Integer()
    third_marked = fields.Integer()
    published_at = fields.DateTime(allow_none=True)
    judges = fields.List(fields.Nested(JudgeProgressSchema))


class PublishedSchema(Schema):
    published_at = fields.DateTime()
    results = fields.Integer()
    url = fields.String()


# --- helpers ----------------------------------------------------------------------------------


def _organized_round(round_id: int):
    if not can_organize(current_user):
        raise Forbidden()
    return services.get_round(round_id)


def _led_round(round_id: int):
    round_ = services.get_round(round_id)
    if not can_lead(current_user, services.find_setup(round_id)):
        raise Forbidden()
    return round_


def _plan_dump(plan) -> dict:
    preview = plan.preview()
    preview["loads"] = {str(k): v for k, v in preview["loads"].items()}
    return preview


# --- judges -----------------------------------------------------------------------------------


@blp.route("/judging/assignments", methods=["GET"])
@blp.operation("listMyAssignments", "The signed-in judge's queue: entry codes and progress only")
@blp.response(200, AssignmentSummarySchema(many=True))
@login_required
def list_my_assignments():
    return services.my_assignments(current_user)


@blp.route("/judging/assignments/<int:assignment_id>", methods=["GET"])
@blp.operation("getAssignment", "A sheet: the masked entry, the rubric and the judge's marks")
@blp.response(200, AssignmentSchema)
@login_required
def get_assignment(assignment_id: int):
    return services.get_assignment_for(current_user, assignment_id)


@blp.route("/judging/assignments/<int:assignment_id>", methods=["PUT"])
@blp.operation("saveMarks", "Autosave marks per criterion and the comment; an older seq is ignored")
@blp.arguments(MarksSchema)
@blp.response(200, MarksSaveResultSchema)
@login_required
def save_marks(data, assignment_id: int):
    assignment = services.get_assignment_for(current_user, assignment_id)
    result = services.save_marks(
        assignment=assignment,
        marks={int(k): v for k, v in data["marks"].items()},
        comment=data["comment"],
        seq=data["seq"],
    )
    return {"accepted": result.accepted, "assignment": result.assignment}


class SubmitHeadersSchema(Schema):
    """A key made once per press of the button, sent again by each retry of that press."""

    key = fields.String(
        data_key="Idempotency-Key",
        load_default=None,
        validate=validate.Regexp(r"^[A-Za-z0-9_.:-]{1,64}$"),
    )


@blp.route("/judging/assignments/<int:assignment_id>/submit", methods=["POST"])
@blp.operation(
    "submitMarks",
    "Submit the sheet; a retry (same Idempotency-Key) changes nothing, and a sheet reopened for "
    "reconciling is completed only by a submit made after the reopening",
)
@blp.arguments(SubmitHeadersSchema, location="headers")
@blp.response(200, AssignmentSchema)
@login_required
def submit_marks(headers, assignment_id: int):
    assignment = services.get_assignment_for(current_user, assignment_id)
    services.submit_marks(assignment=assignment, key=headers["key"])
    return assignment


# --- organizers -------------------------------------------------------------------------------


@blp.route("/judging/rounds/<int:round_id>/assignment/preview", methods=["POST"])
@blp.operation("previewAssignment", "Plan judges for unassigned entries (nothing is stored)")
@blp.arguments(PreviewRequestSchema)
@blp.response(200, PlanSchema)
@login_required
def preview_assignment(data, round_id: int):
    round_ = _organized_round(round_id)
    plan = services.preview_assignment(round_=round_, seed=data["seed"])

    return _plan_dump(plan)


@blp.route("/judging/rounds/<int:round_id>/assignment", methods=["POST"])
@blp.operation("runAssignment", "Store the previewed plan (same seed) and lock the rubric")
@blp.arguments(RunRequestSchema)
@blp.response(201, PlanSchema)
@login_required
def run_assignment(data, round_id: int):
    round_ = _organized_round(round_id)
    plan = services.run_assignment(actor=current_user, round_=round_, seed=data["seed"])
    return _plan_dump(plan)


@blp.route("/judging/rounds/<int:round_id>/progress", methods=["GET"])
@blp.operation("getJudgingProgress", "Per-judge progress and the round's headline numbers")
@blp.response(200, ProgressSchema)
@login_required
def get_judging_progress(round_id: int):
    round_ = _led_round(round_id)
    setup = services.find_setup(round_.id)
    return {
        **services.counts(round_.id),
        "published_at": setup.published_at if setup else None,
        "judges": services.progress(round_.id),
    }


@blp.route("/judging/rounds/<int:round_id>/publish", methods=["POST"])
@blp.operation("publishResults", "Publish the round's results (audited; once)")
@blp.response(200, PublishedSchema)
@login_required
def publish_results(round_id: int):
    round_ = _led_round(round_id)
    setup = services.publish_results(actor=current_user, round_=round_)
    return {
        "published_at": setup.published_at,
        "results": len(services.published_results(round_.id)),
        "url": url_for("judging.results", round_id=round_.id),
    }
