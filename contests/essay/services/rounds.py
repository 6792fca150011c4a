"""Contests and their rounds: set-up, the rounds a student sees, the notice when one opens."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from contests.essay.models import (
    EssayContest,
    EssayRound,
)
from contests.essay.services.text import clean_text
from core import audit
from core.accounts.models import User
from core.accounts.services import students_of
from core.clock import utcnow
from core.errors import NotFound, ValidationFailed
from core.extensions import db
from core.notifications.services import notify


def create_contest(
    *, actor, campaign_id: int, title: str, description: str = "", now: datetime | None = None
) -> EssayContest:
    """Create a writing contest on a campaign."""
    contest = EssayContest(
        campaign_id=campaign_id,
        title=clean_text(title, limit=200, field="title", single_line=True),
        description=clean_text(description, limit=20_000, field="description"),
        created_at=now or utcnow(),
    )
    if not contest.title:
        raise ValidationFailed(_("Please give the contest a title."), field="title")
    db.session.add(contest)
    db.session.flush()
    audit.record(actor=actor, action="essay.contest_create", obj=contest, now=now)
    return contest


ROUND_FIELDS = (
    "stage",
    "name",
    "theme",
    "prompt",
    "opens_at",
    "closes_at",
    "min_words",
    "max_words",
    "max_photos",
    "school_levels",
    "grades",
    "allow_withdraw",
    "submit_drafts_at_close",
    "results_at",
)


def save_round(
    *, actor, contest: EssayContest, round_: EssayRound | None = None, now=None, **values
) -> EssayRound:
    """Create or change a round after checking its window, word limits and photo count."""
    if values["opens_at"] >= values["closes_at"]:
        raise ValidationFailed(_("The round must close after it opens."), field="closes_at")
    if values["min_words"] < 0 or values["max_words"] < max(values["min_words"], 1):
        raise ValidationFailed(
            _("The maximum number of words must be at least the minimum."), field="max_words"
        )
    if not 0 <= values["max_photos"] <= 3:
        raise ValidationFailed(_("A round allows from 0 to 3 photos."), field="max_photos")
    values.setdefault("submit_drafts_at_close", bool(round_ and round_.submit_drafts_at_close))
    before = {k: _jsonable(getattr(round_, k)) for k in ROUND_FIELDS} if round_ else None
    if round_ is None:
        round_ = EssayRound(contest=contest)
        db.session.add(round_)
    for key in ROUND_FIELDS:
        setattr(round_, key, values[key])
    db.session.flush()
    audit.record(
        actor=actor,
        action="essay.round_save",
        obj=round_,
        before=before,
        after={k: _jsonable(getattr(round_, k)) for k in ROUND_FIELDS},
        now=now,
    )
    return round_


def _jsonable(value):
    return value.isoformat() if isinstance(value, datetime) else value


def open_rounds_for(student: User, *, now: datetime | None = None) -> list[EssayRound]:
    """Rounds open now that the student may enter."""
    now = now or utcnow()
    rounds = db.session.scalars(
        sa.select(EssayRound)
        .where(EssayRound.opens_at <= now, EssayRound.closes_at > now)
        .order_by(EssayRound.closes_at)
    )
    return [r for r in rounds if r.admits(student)]


def get_round(round_id: int) -> EssayRound:
    round_ = db.session.get(EssayRound, round_id)
    if round_ is None:
        raise NotFound()
    return round_


def get_contest(contest_id: int) -> EssayContest:
    contest = db.session.get(EssayContest, contest_id)
    if contest is None:
        raise NotFound()
    return contest


#: A round is announced within this long after it opens (the job runs every few minutes; each
#: student is told once, by a dedupe key per round).
ANNOUNCE_WITHIN = timedelta(minutes=15)


def eligible_student_ids(round_: EssayRound) -> sa.Select:
    """Ids of the active students the round's school levels and grades admit."""
    return students_of(sa.select(User.id), levels=round_.school_levels, grades=round_.grades)


def announce(*, now: datetime) -> int:
    """Tell eligible students that a writing round has opened (once each)."""
    opened = db.session.scalars(
        sa.select(EssayRound).where(
            EssayRound.opens_at > now - ANNOUNCE_WITHIN,
            EssayRound.opens_at <= now,
            EssayRound.closes_at > now,
        )
    ).all()
    return sum(
        notify(
            user_ids=db.session.scalars(eligible_student_ids(round_)).all(),
            kind="round_opened",
            params={"title": f"{round_.contest.title} — {round_.name}"},
            endpoint="essay.write",
            values={"round_id": round_.id},
            dedupe_key=f"essay-open:{round_.id}",
            now=now,
        )
        for round_ in opened
    )
