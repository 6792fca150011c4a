"""Who edits issuing bodies: the district's organizers and administrators."""

from __future__ import annotations

from core.accounts.models import Role


def can_manage_organisations(user) -> bool:
    """Organizers and administrators edit the bodies that issue documents."""
    return user.is_authenticated and user.has_role(Role.ADMIN, Role.ORGANIZER)
