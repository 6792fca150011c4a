"""Rounds: which students may enter them, and organizers saving contests, rounds and extra time."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from contests.quiz.models import Accommodation, Attempt, Pool, QuizContest, QuizRound, RoundKind
from contests.quiz.services.bank import shortfalls
from core import audit
from core.accounts.models import Role, User
from core.clock import local_today, utcnow
from core.errors import Conflict, ValidationFailed
from core.extensions import db

# --- eligibility --------------------------------------------------------------------------------


def admits(*, levels: list[str], grades: list[int], school_level, grade: int | None) -> bool:
    """A round's school levels and grades (empty lists mean everyone) admit this student."""
    if levels and (school_level is None or school_level.value not in levels):
        return False
    return not grades or (grade is not None and grade in grades)


def is_eligible(round_: QuizRound, user: User) -> bool:
    """Students of the round's school levels and grades may enter (empty lists mean everyone)."""
    if not user.is_authenticated or not user.has_role(Role.STUDENT):
        return False
    levels, grades = round_.levels, round_.grades
    # The school and class are loaded only when a rule needs them.
    school = user.school if levels else None
    school_class = user.school_class if grades else None
    return admits(
        levels=levels,
        grades=grades,
        school_level=school.level if school is not None else None,
        grade=school_class.grade if school_class is not None else None,
    )


def rounds_for_student(*, user: User, now: datetime | None = None) -> list[QuizRound]:
    """Rounds the student may enter now or soon (opening within 14 days), newest first."""
    now = now or utcnow()
    rounds = db.session.scalars(
        sa.select(QuizRound)
        .where(QuizRound.closes_at > now, QuizRound.opens_at <= now + timedelta(days=14))
        .options(joinedload(QuizRound.contest))
        .order_by(QuizRound.opens_at, QuizRound.id)
    )
    return [r for r in rounds if is_eligible(r, user)]


def past_rounds_for_student(*, user: User, now: datetime | None = None) -> list[QuizRound]:
    """Closed rounds the student took part in."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            sa.select(QuizRound)
            .where(
                QuizRound.closes_at <= now,
                QuizRound.id.in_(sa.select(Attempt.round_id).where(Attempt.user_id == user.id)),
            )
            .order_by(QuizRound.closes_at.desc())
        )
    )


def rounds_opening_soon(*, now: datetime | None = None, days: int = 7) -> list[QuizRound]:
    """Rounds opening within ``days``, soonest first (the organizer's to-do list)."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            sa.select(QuizRound)
            .where(QuizRound.opens_at > now, QuizRound.opens_at <= now + timedelta(days=days))
            .options(joinedload(QuizRound.contest))
            .order_by(QuizRound.opens_at, QuizRound.id)
        )
    )


# --- organizers: contests, rounds, accommodations -----------------------------------------------


def save_contest(
    *,
    actor,
    contest: QuizContest | None,
    campaign_id: int,
    title: str,
    description: str = "",
    reveal_keys_after_last_round: bool = True,
) -> QuizContest:
    """Create or update a contest; by default its reviews keep keys back until its last ranked
    round has closed."""
    created = contest is None
    if created:
        contest = QuizContest()
        db.session.add(contest)
    contest.campaign_id, contest.title, contest.description = (
        campaign_id,
        title.strip(),
        description,
    )
    contest.reveal_keys_after_last_round = bool(reveal_keys_after_last_round)
    db.session.flush()
    audit.record(
        actor=actor,
        action="quiz.contest_create" if created else "quiz.contest_update",
        obj=contest,
        after={
            "title": contest.title,
            "campaign_id": campaign_id,
            "reveal_keys_after_last_round": contest.reveal_keys_after_last_round,
        },
    )
    return contest


ROUND_FIELDS = (
    "title",
    "kind",
    "opens_at",
    "closes_at",
    "time_limit_seconds",
    "draw_rules",
    "balance_difficulty",
    "shuffle_questions",
    "shuffle_choices",
    "attempts_allowed",
    "multiple_scoring",
    "eligible_levels",
    "eligible_grades",
    "prediction_enabled",
    "prediction_actual",
    "results_release_at",
    "show_answers",
    "show_score_on_submit",
    "prize_points",
)


def save_round(
    *, actor, contest: QuizContest, round_: QuizRound | None, now: datetime | None = None, **values
) -> QuizRound:
    """Create or update a round; times must be in order and the bank must cover the draw rules."""
    now = now or utcnow()
    if values["closes_at"] <= values["opens_at"]:
        raise ValidationFailed(_("The round must close after it opens."), field="closes_at")
    if values["time_limit_seconds"] < 60:
        raise ValidationFailed(_("The time limit must be at least one minute."), field="time_limit")
    release = values.get("results_release_at")
    if release is not None and release < values["closes_at"]:
        raise ValidationFailed(
            _("Results cannot be released before the round closes."), field="results_release_at"
        )
    rules = [r for r in values["draw_rules"] if int(r.get("count", 0)) > 0]
    if not rules:
        raise ValidationFailed(_("Draw at least one question."), field="draw_rules")
    values["draw_rules"] = rules
    created = round_ is None
    started = not created and bool(
        db.session.scalar(sa.select(sa.func.count()).where(Attempt.round_id == round_.id))
    )
    if not started and values["closes_at"] > now:
        # Papers are still to be drawn: the bank (for a ranked round, its unexposed questions)
        # must cover every rule. The error sits beside the rule that is short.
        pool = Pool.PRACTICE if values["kind"] == RoundKind.PRACTICE else Pool.CONTEST
        day = local_today(max(values["opens_at"], now))
        short = shortfalls(pool=pool, rules=rules, day=day)
        if short:
            # Every short rule gets its own message, beside its own field.
            messages = {
                f"count_{category.id}": _(
                    "“%(category)s” has only %(left)d question(s) that can be drawn "
                    "(valid and, for a ranked round, never shown with their key); "
                    "this rule asks for %(asked)d.",
                    category=category.name,
                    left=left,
                    asked=asked,
                )
                for category, asked, left in short
            }
            first = next(iter(messages))
            raise ValidationFailed(messages.pop(first), field=first, beside=messages or None)
    if created:
        round_ = QuizRound(contest_id=contest.id)
        db.session.add(round_)
    elif started:
        # Papers already drawn must stay fair: only the schedule and publication may change.
        for key in ("draw_rules", "kind", "multiple_scoring", "time_limit_seconds"):
            if values[key] != getattr(round_, key):
                raise Conflict(
                    _("Students have started this round: its questions and scoring are fixed.")
                )
    for key in ROUND_FIELDS:
        setattr(round_, key, values[key])
    db.session.flush()
    audit.record(
        actor=actor,
        action="quiz.round_create" if created else "quiz.round_update",
        obj=round_,
        after={"title": round_.title},
    )
    return round_


def release_results(*, actor, round_: QuizRound, now: datetime | None = None) -> QuizRound:
    """Release a closed ranked round's results now (the organizer confirmed it).

    From this moment every entrant sees their rank and the leaderboards and, when the round
    shows answers, the keys: those questions are then exposed and never drawn into a ranked
    paper again. The release time is audited; releasing twice is refused.
    """
    now = now or utcnow()
    if round_.is_practice:
        raise Conflict(_("A practice round is never ranked: it has no results to release."))
    if now < round_.closes_at:
        raise Conflict(_("Results can be released once the round has closed."))
    if round_.results_released(now):
        raise Conflict(_("The results of this round are already released."))
    before = round_.results_release_at
    round_.results_release_at = now
    db.session.flush()
    audit.record(
        actor=actor,
        action="quiz.results_release",
        obj=round_,
        before={"results_release_at": before.isoformat() if before else None},
        after={"results_release_at": now.isoformat()},
        now=now,
    )
    return round_


def set_extra_time(*, actor, contest: QuizContest, user: User, extra_seconds: int) -> Accommodation:
    """Give a student extra time for every round of the contest."""
    if extra_seconds < 0 or extra_seconds > 3 * 3600:
        raise ValidationFailed(_("Extra time must be between 0 and 180 minutes."))
    item = db.session.scalar(
        sa.select(Accommodation).where(
            Accommodation.contest_id == contest.id, Accommodation.user_id == user.id
        )
    )
    before = item.extra_seconds if item else None
    if item is None:
        item = Accommodation(contest_id=contest.id, user_id=user.id)
        db.session.add(item)
    item.extra_seconds = extra_seconds
    db.session.flush()
    audit.record(
        actor=actor,
        action="quiz.extra_time",
        obj=item,
        before={"extra_seconds": before},
        after={"extra_seconds": extra_seconds},
    )
    return item
