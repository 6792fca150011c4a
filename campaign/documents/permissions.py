"""Who may draft and download an official document."""

from __future__ import annotations

from campaign.documents.subjects import Subject
from campaign.greennet.permissions import can_manage_movements
from core.accounts.models import Role


def can_draft(user, subject: Subject) -> bool:
    """District staff draft the district's documents; a coordinator, their school's report."""
    if not user.is_authenticated:
        return False
    if can_manage_movements(user):
        return True
    return subject.what == "school" and subject.school.id in user.school_ids_for(Role.COORDINATOR)


def can_read(user, subject: Subject) -> bool:
    """Whoever drafts a document reads it; a coordinator also reads their school's inspection
    minutes (the district drafts them)."""
    if can_draft(user, subject):
        return True
    return (
        user.is_authenticated
        and subject.what == "inspection"
        and subject.school.id in user.school_ids_for(Role.COORDINATOR)
    )
