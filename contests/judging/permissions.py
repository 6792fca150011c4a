"""Who may see and do what in judging.

Judges reach entries only through their own assignments (anything else is "not found", so a
judge cannot even learn that an entry exists). The chief judge of a round and district staff run
the round's dashboard; only district staff change the set-up and assign judges.
"""

from __future__ import annotations

from contests.judging.models import Assignment, AssignmentStatus, JudgingRound
from core.accounts.models import Role


def can_organize(user) -> bool:
    """Organizers and administrators set up judging, assign judges and publish results."""
    return user.is_authenticated and user.has_role(Role.ADMIN, Role.ORGANIZER)


def can_lead(user, setup: JudgingRound | None) -> bool:
    """The round's chief judge, and district staff, see the dashboard and decide open cases."""
    if not user.is_authenticated:
        return False
    if can_organize(user):
        return True
    return setup is not None and setup.chief_judge_id == user.id and user.has_role(Role.JUDGE)


def can_mark(user, assignment: Assignment) -> bool:
    """A judge marks only the sheets assigned to them that have not moved away."""
    return (
        user.is_authenticated
        and user.has_role(Role.JUDGE)
        and assignment.judge_id == user.id
        and assignment.status != AssignmentStatus.MOVED
    )


def can_view_results(user, setup: JudgingRound | None) -> bool:
    """Anyone may read a round's results page once the results are published."""
    return setup is not None and setup.published_at is not None
