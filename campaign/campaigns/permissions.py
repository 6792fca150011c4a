"""Who may see and run campaigns."""

from __future__ import annotations

from campaign.campaigns.models import Campaign
from core.accounts.models import Role


def can_manage_campaigns(user) -> bool:
    """Organizers and administrators launch and run campaigns."""
    return user.is_authenticated and user.has_role(Role.ADMIN, Role.ORGANIZER)


def can_view_campaign(user, campaign: Campaign) -> bool:
    """Published and closed campaigns are public; drafts only for organizers."""
    return campaign.is_public or can_manage_campaigns(user)
