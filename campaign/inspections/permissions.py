"""Who inspects: the district's staff (organizers and administrators)."""

from __future__ import annotations

from campaign.greennet.permissions import can_manage_movements


def can_inspect(user) -> bool:
    """District staff plan inspections, record findings and conclude them."""
    return can_manage_movements(user)
