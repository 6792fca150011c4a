"""Who may do what in the movement: the district verifies, a school's coordinator logs."""

from __future__ import annotations

from core.accounts.models import Role


def can_manage_movements(user) -> bool:
    """Organizers and administrators build movements and criteria, and verify activities."""
    return user.is_authenticated and user.has_role(Role.ADMIN, Role.ORGANIZER)


can_verify = can_manage_movements


def can_view_assessment(user, school) -> bool:
    """District staff see every school; a coordinator sees only their own school's drafts."""
    if not user.is_authenticated:
        return False
    return can_manage_movements(user) or school.id in user.school_ids_for(Role.COORDINATOR)


def can_edit_assessment(user, school) -> bool:
    """Only the school's coordinator logs and submits its activities."""
    return user.is_authenticated and school.id in user.school_ids_for(Role.COORDINATOR)
