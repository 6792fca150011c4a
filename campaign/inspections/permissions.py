"""Who inspects: the district's staff (organizers and administrators); the inspected school's
coordinators read their own school's inspections."""

from __future__ import annotations

from campaign.greennet.permissions import can_manage_movements, can_view_assessment


def can_inspect(user) -> bool:
    """District staff plan inspections, record findings and conclude them."""
    return can_manage_movements(user)


def can_view_inspection(user, inspection) -> bool:
    """District staff see every inspection; a coordinator, those of their own school (read-only)."""
    return can_view_assessment(user, inspection.school)
