"""Who may see and do what in writing contests."""

from __future__ import annotations

import sqlalchemy as sa

from contests.essay.models import Entry, EntryPhoto, EssayContest, EssayRound
from core.accounts.models import Role
from core.extensions import db

#: The campaign table, read by name: contests never import the campaign package.
_campaign = sa.table("campaign", sa.column("id"), sa.column("status"))
#: Campaign states whose contents are public (stored as the enum's names).
_PUBLIC_CAMPAIGN_STATES = ("PUBLISHED", "CLOSED", "published", "closed")


def can_manage_contests(user) -> bool:
    """Organizers and administrators set up contests, rounds and checks."""
    return user.is_authenticated and user.has_role(Role.ADMIN, Role.ORGANIZER)


def can_view_contest(user, contest: EssayContest) -> bool:
    """A contest is public once its campaign is published; organizers see it before."""
    if can_manage_contests(user):
        return True
    status = db.session.scalar(
        sa.select(_campaign.c.status).where(_campaign.c.id == contest.campaign_id)
    )
    return status in _PUBLIC_CAMPAIGN_STATES


def can_write(user, round_: EssayRound) -> bool:
    """A student whose school level and grade the round admits may write in it."""
    return user.is_authenticated and user.has_role(Role.STUDENT) and round_.admits(user)


def can_edit_entry(user, entry: Entry) -> bool:
    """Only the author works on an entry."""
    return user.is_authenticated and entry.student_id == user.id


def can_view_entry(user, entry: Entry) -> bool:
    """The author and district staff see an entry with its author; judges go through judging."""
    return can_edit_entry(user, entry) or can_manage_contests(user)


def can_view_photo(user, photo: EntryPhoto) -> bool:
    """A photo is seen by those who may see its entry."""
    return can_view_entry(user, photo.entry)


def can_view_school_progress(user, school_id: int) -> bool:
    """A coordinator sees which of their school's students took part; district staff see all."""
    if not user.is_authenticated:
        return False
    return can_manage_contests(user) or school_id in user.school_ids_for(Role.COORDINATOR)
