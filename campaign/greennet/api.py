"""Movement data for integrations: public standings, a school's assessment for its staff, and
locking a school's result at a milestone (organizers).

Every school carries ``milestones``: for ``so_ket`` and ``tong_ket``, whether its result is
locked there and, if so, the figures recorded then (they never move afterwards).
"""

from __future__ import annotations

from flask_login import current_user, login_required
from marshmallow import Schema, fields, validate

from campaign.greennet import services
from campaign.greennet.models import Movement
from campaign.greennet.permissions import can_verify, can_view_assessment
from core.accounts.permissions import require
from core.api import ApiBlueprint
from core.errors import NotFound
from core.extensions import db
from core.schools.models import School

blp = ApiBlueprint("greennet_api", __name__, description="Green network movement")


class LockedCriterionSchema(Schema):
    code = fields.String()
    title = fields.String()
    max_points = fields.Float()
    points = fields.Float()
    computed = fields.Boolean()
    value = fields.Float(allow_none=True)


class MilestoneResultSchema(Schema):
    """Whether the result is locked at the milestone; the recorded figures when it is."""

    locked = fields.Boolean(required=True)
    locked_at = fields.DateTime()
    points = fields.Float()
    max_points = fields.Float()
    percent = fields.Float()
    tier = fields.String()
    rank = fields.Integer()
    held_back = fields.Boolean()
    criteria_version = fields.Integer(allow_none=True)
    criteria = fields.List(fields.Nested(LockedCriterionSchema))


class MilestonesSchema(Schema):
    so_ket = fields.Nested(MilestoneResultSchema)
    tong_ket = fields.Nested(MilestoneResultSchema)


def milestones_of(records: dict) -> dict:
    """The ``milestones`` block: so_ket and tong_ket, locked or not, with the recorded figures."""
    shown = {}
    for key, kind in services.MILESTONE_KEYS.items():
        record = records.get(kind)
        if record is None:
            shown[key] = {"locked": False}
            continue
        shown[key] = {
            "locked": True,
            "locked_at": record.locked_at,
            "points": record.points,
            "max_points": record.max_points,
            "percent": record.percent,
            "tier": record.tier.value,
            "rank": record.rank,
            "held_back": record.held_back,
            "criteria_version": record.criteria_version,
            "criteria": record.criteria,
        }
    return shown


class StandingSchema(Schema):
    school_code = fields.Function(lambda s: s.school.code)
    school_name = fields.Function(lambda s: s.school.name)
    level = fields.Function(lambda s: s.school.level.value)
    points = fields.Float()
    max_points = fields.Float()
    percent = fields.Float()
    tier = fields.Function(lambda s: s.tier.value)
    rank = fields.Integer()
    held_back = fields.Boolean()
    locked = fields.Boolean()
    milestones = fields.Function(
        lambda s: MilestonesSchema().dump(milestones_of(s.records)),
        metadata={"type": "object"},
    )


class StandingsSchema(Schema):
    school_year = fields.String()
    title = fields.String()
    schools = fields.List(fields.Nested(StandingSchema))


class EvidenceSchema(Schema):
    id = fields.Integer()
    kind = fields.Function(lambda e: e.kind.value)
    url = fields.String(allow_none=True)
    filename = fields.String()


class ActivitySchema(Schema):
    id = fields.Integer()
    criterion = fields.Function(lambda a: a.criterion.code)
    title = fields.String()
    happened_on = fields.Date()
    participants = fields.Integer()
    self_score = fields.Float()
    awarded_points = fields.Float(allow_none=True)
    status = fields.Function(lambda a: a.status.value)
    verifier_comment = fields.String()
    return_deadline = fields.Date(allow_none=True)
    evidence = fields.List(fields.Nested(EvidenceSchema))


class CriterionScoreSchema(Schema):
    code = fields.Function(lambda c: c.criterion.code)
    title = fields.Function(lambda c: c.criterion.title)
    max_points = fields.Function(lambda c: c.criterion.max_points)
    computed = fields.Function(lambda c: c.criterion.computed)
    metric = fields.Function(lambda c: c.criterion.metric)
    value = fields.Float(allow_none=True)
    points = fields.Float()


class AssessmentSchema(Schema):
    school_code = fields.String()
    school_year = fields.String()
    points = fields.Float()
    max_points = fields.Float()
    percent = fields.Float()
    tier = fields.String()
    rank = fields.Integer()
    locked = fields.Boolean()
    held_back = fields.Boolean()
    milestones = fields.Nested(MilestonesSchema)
    criteria = fields.List(fields.Nested(CriterionScoreSchema))
    activities = fields.List(fields.Nested(ActivitySchema))


class LockIn(Schema):
    milestone = fields.String(
        required=True, validate=validate.OneOf(sorted(services.MILESTONE_KEYS))
    )


class UnlockIn(LockIn):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


def _movement(movement_id: int) -> Movement:
    movement = db.session.get(Movement, movement_id)
    if movement is None:
        raise NotFound()
    return movement


@blp.route("/movements/<int:movement_id>/standings", methods=["GET"])
@blp.operation("getMovementStandings", "Schools by level with score, tier and rank (public)")
@blp.response(200, StandingsSchema)
def get_movement_standings(movement_id: int):
    movement = _movement(movement_id)
    return {
        "school_year": movement.school_year,
        "title": movement.title,
        "schools": services.standings(movement),
    }


@blp.route("/movements/<int:movement_id>/schools/<int:school_id>/assessment", methods=["GET"])
@blp.operation(
    "getSchoolAssessment",
    "A school's criteria, activities and scores (its coordinator and district staff only)",
)
@login_required
@blp.response(200, AssessmentSchema)
def get_school_assessment(movement_id: int, school_id: int):
    movement = _movement(movement_id)
    school = db.session.get(School, school_id)
    if school is None:
        raise NotFound()
    require(can_view_assessment(current_user, school))
    score = services.school_standing(movement, school)
    return {
        "school_code": school.code,
        "school_year": movement.school_year,
        "points": score.points,
        "max_points": score.max_points,
        "percent": score.percent,
        "tier": score.tier.value,
        "rank": score.rank,
        "locked": score.locked,
        "held_back": score.held_back,
        "milestones": milestones_of(score.records),
        "criteria": score.criteria,
        "activities": services.activities_for(movement, school),
    }


def _organizer_school(movement_id: int, school_id: int):
    movement = _movement(movement_id)
    require(can_verify(current_user))
    school = db.session.get(School, school_id)
    if school is None:
        raise NotFound()
    return movement, school


@blp.route("/movements/<int:movement_id>/schools/<int:school_id>/lock", methods=["POST"])
@blp.operation(
    "lockSchoolAssessment",
    "Lock a school's result at sơ kết or tổng kết (organizers); 409 lists activities still "
    "awaiting verification",
)
@login_required
@blp.arguments(LockIn)
@blp.response(200, MilestonesSchema)
@blp.alt_response(403, description="Only organizers lock results")
@blp.alt_response(
    409,
    description="Already locked, or activities await verification (listed in error.pending)",
)
def lock_school_assessment(data, movement_id: int, school_id: int):
    movement, school = _organizer_school(movement_id, school_id)
    services.lock_assessment(
        actor=current_user, movement=movement, school=school, milestone=data["milestone"]
    )
    return milestones_of(services.locked_results(movement, school_ids=[school.id])[school.id])


@blp.route("/movements/<int:movement_id>/schools/<int:school_id>/unlock", methods=["POST"])
@blp.operation(
    "unlockSchoolAssessment",
    "Unlock a school's locked result at a milestone, with a reason (organizers; audited)",
)
@login_required
@blp.arguments(UnlockIn)
@blp.response(200, MilestonesSchema)
@blp.alt_response(403, description="Only organizers unlock results")
@blp.alt_response(409, description="The result is not locked at this milestone")
def unlock_school_assessment(data, movement_id: int, school_id: int):
    movement, school = _organizer_school(movement_id, school_id)
    services.unlock_assessment(
        actor=current_user,
        movement=movement,
        school=school,
        milestone=data["milestone"],
        reason=data["reason"],
    )
    return milestones_of(
        services.locked_results(movement, school_ids=[school.id]).get(school.id, {})
    )
