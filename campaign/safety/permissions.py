"""Who may reach a safety report: the school's designated staff and the district's, nobody else.

Organizers, administrators, judges and coordinators are deliberately absent: a report about a
child is shared on a need-to-know basis only (Luật Trẻ em 2016, NĐ 56/2017).
"""

from __future__ import annotations

import sqlalchemy as sa

from campaign.safety.models import SafetyReport
from core.accounts.models import Role, RoleAssignment
from core.extensions import db


def _assignments(user):
    return [a for a in user.role_assignments if a.role == Role.SAFEGUARDING]


def is_district_safeguarding(user) -> bool:
    """District staff hold the safeguarding role without a school."""
    return user.is_authenticated and any(a.school_id is None for a in _assignments(user))


def safeguarding_school_ids(user) -> set[int]:
    return (
        {a.school_id for a in _assignments(user) if a.school_id} if user.is_authenticated else set()
    )


def can_view_safety_report(user, report: SafetyReport) -> bool:
    """The report's school's designated staff, or the district's; nobody else."""
    if not user.is_authenticated:
        return False
    if is_district_safeguarding(user):
        return True
    return report.school_id is not None and report.school_id in safeguarding_school_ids(user)


def recipients(school_id: int | None) -> list[int]:
    """The users a report for ``school_id`` goes to: that school's staff and the district's."""
    condition = RoleAssignment.school_id.is_(None)
    if school_id is not None:
        condition = sa.or_(condition, RoleAssignment.school_id == school_id)
    return sorted(
        set(
            db.session.scalars(
                sa.select(RoleAssignment.user_id).where(
                    RoleAssignment.role == Role.SAFEGUARDING, condition
                )
            )
        )
    )
