"""Advancement to the next round, publication of results, and what a student sees.

Results are published once every entry has a final score; ranks and awards come from
``contests.judging.rules`` and are worked out again (``rerank``) when an appeal changes a score.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from contests.essay import services as essay_services
from contests.essay.models import Entry, EntryStatus, EssayRound
from contests.judging import rules
from contests.judging.models import (
    Assignment,
    AssignmentStatus,
    Award,
    JudgingRound,
    Mark,
    Result,
)
from contests.judging.services.dashboard import final_scores
from contests.judging.services.setup import find_setup, setup_for
from core import audit
from core.accounts.models import Role, User
from core.clock import utcnow
from core.errors import Conflict, NotFound, ValidationFailed
from core.extensions import db
from core.notifications.services import notify


def advance_entries(
    *,
    actor,
    round_: EssayRound,
    to_round: EssayRound,
    top_n: int,
    per_school: bool = False,
    now: datetime | None = None,
) -> rules.Advancement:
    """Carry the top N (overall or per school; ties at the cut go through) into the next round."""
    now = now or utcnow()
    if to_round.id == round_.id or to_round.contest_id != round_.contest_id:
        raise ValidationFailed(_("Choose a later round of the same contest."), field="to_round")
    if top_n < 1:
        raise ValidationFailed(_("Enter a number from 1 up."), field="top_n")
    _require_all_final(round_.id)
    scores = final_scores(round_.id)
    entries = {e.id: e for e in essay_services.submitted_entries(round_)}
    scores = {e: s for e, s in scores.items() if e in entries}
    school_of = {e: entries[e].school_id for e in scores} if per_school else None
    result = rules.advance(scores, top_n=top_n, school_of=school_of)
    for entry_id in result.advancing:
        essay_services.carry_entry(entry=entries[entry_id], to_round=to_round, now=now)
    db.session.execute(
        sa.update(Result)
        .where(Result.entry_id.in_(result.advancing))
        .values(advanced=True)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    audit.record(
        actor=actor,
        action="judging.advance",
        obj=round_,
        after={
            "to_round_id": to_round.id,
            "top_n": top_n,
            "per_school": per_school,
            "advancing": len(result.advancing),
            "through_on_tie": len(result.through_on_tie),
        },
        now=now,
    )
    return result


def _require_all_final(round_id: int) -> None:
    """Refuse while a submitted (not disqualified) entry lacks a final mark, naming them."""
    codes = dict(
        db.session.execute(
            sa.select(Entry.id, Entry.code).where(
                Entry.round_id == round_id, Entry.status == EntryStatus.SUBMITTED
            )
        ).all()
    )
    final = final_scores(round_id)
    missing = sorted(code for entry_id, code in codes.items() if entry_id not in final)
    if missing:
        shown = ", ".join(missing[:20]) + (" …" if len(missing) > 20 else "")
        raise Conflict(
            _(
                "%(n)d of %(total)d entries do not have a final mark yet: %(codes)s.",
                n=len(missing),
                total=len(codes),
                codes=shown,
            )
        )


def award_for(rank: int, setup: JudgingRound) -> Award:
    if rank == 1:
        return Award.FIRST
    if rank == 2:
        return Award.SECOND
    if rank == 3:
        return Award.THIRD
    if rank <= setup.merit_up_to:
        return Award.MERIT
    return Award.PARTICIPATION


def publish_results(*, actor, round_: EssayRound, now: datetime | None = None) -> JudgingRound:
    """Publish the round's results: scores, ranks (ties shared) and awards (audited, once)."""
    now = now or utcnow()
    setup = setup_for(round_)
    if setup.published_at is not None:
        return setup
    _require_all_final(round_.id)
    submitted = {e.id for e in essay_services.submitted_entries(round_)}
    scores = {e: s for e, s in final_scores(round_.id).items() if e in submitted}
    for item in rules.rank(scores):
        db.session.add(
            Result(
                round_id=round_.id,
                entry_id=item.id,
                score=item.score,
                rank=item.rank,
                tied=item.tied,
                award=award_for(item.rank, setup),
                published_at=now,
            )
        )
    changed = db.session.execute(
        sa.update(JudgingRound)
        .where(JudgingRound.id == setup.id, JudgingRound.published_at.is_(None))
        .values(published_at=now, published_by_id=actor.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        raise Conflict(_("The results have just been published by someone else."))
    db.session.flush()
    db.session.refresh(setup)
    audit.record(
        actor=actor, action="judging.publish", obj=setup, after={"results": len(scores)}, now=now
    )
    authors = db.session.scalars(sa.select(Entry.student_id).where(Entry.id.in_(scores))).all()
    notify(
        user_ids=authors,
        kind="results_published",
        params={"title": f"{round_.contest.title} — {round_.name}"},
        endpoint="judging.my_results",
        dedupe_key=f"essay-results:{round_.id}",
        now=now,
    )
    return setup


def published_results(round_id: int) -> list[Result]:
    return list(
        db.session.scalars(
            sa.select(Result)
            .where(Result.round_id == round_id)
            .options(
                sa.orm.joinedload(Result.entry).joinedload(Entry.student),
            )
            .order_by(Result.rank, Result.id)
        )
    )


def rerank(round_id: int) -> None:
    """Recompute ranks and awards after an appeal changed a score."""
    setup = find_setup(round_id)
    results = {r.entry_id: r for r in published_results(round_id)}
    for item in rules.rank({e: r.score for e, r in results.items()}):
        result = results[item.id]
        result.rank, result.tied = item.rank, item.tied
        result.award = award_for(item.rank, setup)
    db.session.flush()


def my_results(student: User) -> list[tuple[Result, list[Assignment]]]:
    """The student's published results with the judges' sheets (marks and comments)."""
    results = db.session.scalars(
        sa.select(Result)
        .join(Entry, Entry.id == Result.entry_id)
        .where(Entry.student_id == student.id)
        .options(sa.orm.joinedload(Result.entry).joinedload(Entry.round))
        .order_by(Result.published_at.desc())
    ).all()
    out = []
    for result in results:
        sheets = [
            s
            for s in db.session.scalars(
                sa.select(Assignment)
                .where(
                    Assignment.entry_id == result.entry_id,
                    Assignment.status.in_(
                        (AssignmentStatus.SUBMITTED, AssignmentStatus.RECONCILING)
                    ),
                )
                .options(sa.orm.selectinload(Assignment.marks).joinedload(Mark.criterion))
                .order_by(Assignment.id)
            )
        ]
        out.append((result, sheets))
    return out


def get_result_for(user, result_id: int) -> Result:
    """A result the user may open: their own (or any, for district staff)."""
    result = db.session.get(Result, result_id)
    if result is None:
        raise NotFound()
    if result.entry.student_id != user.id and not user.has_role(Role.ADMIN, Role.ORGANIZER):
        raise NotFound()
    return result
