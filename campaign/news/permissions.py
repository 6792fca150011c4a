"""Who may write news and read drafts."""

from __future__ import annotations

from core.accounts.models import Role


def can_manage_news(user) -> bool:
    """Organizers and administrators write news and read drafts; everyone reads published posts."""
    return user.is_authenticated and user.has_role(Role.ADMIN, Role.ORGANIZER)
