"""Who may do what with quizzes."""

from __future__ import annotations

from datetime import datetime

from contests.quiz.models import Attempt, QuizRound
from contests.quiz.services import is_eligible
from core.accounts.models import Role


def can_manage_quizzes(user) -> bool:
    """Organizers and administrators run contests, rounds and the question bank."""
    return user.is_authenticated and user.has_role(Role.ADMIN, Role.ORGANIZER)


def can_take_round(user, round_: QuizRound) -> bool:
    """Eligible students (by school level and grade) take a round."""

    return is_eligible(round_, user)


def can_view_attempt(user, attempt: Attempt) -> bool:
    """A student sees only their own attempts."""
    return user.is_authenticated and attempt.user_id == user.id


def can_view_leaderboard(user, round_: QuizRound | None, now: datetime) -> bool:
    """District staff see leaderboards at any time; everyone else once results are released."""
    if round_ is not None and round_.is_practice:
        return False
    if can_manage_quizzes(user):
        return True
    return round_ is None or round_.results_released(now)


def can_view_contest_leaderboard(user, contest, now: datetime) -> bool:
    """The whole-contest board: staff at any time; everyone once every started round is released."""
    if can_manage_quizzes(user):
        return True
    started = [r for r in contest.rounds if not r.is_practice and r.opens_at <= now]
    return bool(started) and all(r.results_released(now) for r in started)


def contest_board_from(contest) -> datetime | None:
    """When everyone may see the whole-contest board: the last ranked round's release, if every
    ranked round has one set (None otherwise, or for a contest with no ranked round)."""
    releases = [r.results_release_at for r in contest.rounds if not r.is_practice]
    if not releases or any(when is None for when in releases):
        return None
    return max(releases)
