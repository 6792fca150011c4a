"""Public campaign data for integrations."""

from __future__ import annotations

from marshmallow import Schema, fields

from campaign.campaigns import services
from core.api import ApiBlueprint

blp = ApiBlueprint("campaign_api", __name__, description="Campaigns")


class CampaignSchema(Schema):
    slug = fields.String()
    title = fields.String()
    description = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    status = fields.Function(lambda c: c.status.value)


@blp.route("/campaigns", methods=["GET"])
@blp.operation("listCampaigns", "Published campaigns")
@blp.response(200, CampaignSchema(many=True))
def list_campaigns():
    return services.public_campaigns()
