"""Movement data for integrations: public standings, and a school's assessment for its staff."""

from __future__ import annotations

from flask_login import current_user, login_required
from marshmallow import Schema, fields

from campaign.greennet import services
from campaign.greennet.models import Movement
from campaign.greennet.permissions import can_view_assessment
from core.accounts.permissions import require
from core.api import ApiBlueprint
from core.errors import NotFound
from core.extensions import db
from core.schools.models import School

blp = ApiBlueprint("greennet_api", __name__, description="Green network movement")


class StandingSchema(Schema):
    school_code = fields.Function(lambda s: s.school.code)
    school_name = fields.Function(lambda s: s.school.name)
    level = fields.Function(lambda s: s.school.level.value)
    points = fields.Float()
    max_points = fields.Float()
    percent = fields.Float()
    tier = fields.Function(lambda s: s.tier.value)
    rank = fields.Integer()


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
    criteria = fields.List(fields.Nested(CriterionScoreSchema))
    activities = fields.List(fields.Nested(ActivitySchema))


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
        "criteria": score.criteria,
        "activities": services.activities_for(movement, school),
    }
