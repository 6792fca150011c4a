"""Set-up of a judging round: its settings, the judge pool, and who the chief judge is.

The settings can change until marking starts (the first assignment is stored); after that
``JudgingStarted`` keeps the rules the judges were given: k and the disagreement thresholds.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from contests.essay import services as essay_services
from contests.essay.models import EssayRound
from contests.judging import rules
from contests.judging.models import (
    MARKING,
    Assignment,
    JudgingRound,
    PoolMember,
    PoolRole,
)
from core import audit
from core.accounts.models import Role, User
from core.errors import Conflict, ValidationFailed
from core.extensions import db


class MarkingClosed(Conflict):
    """The sheet is submitted (or moved to another judge) and cannot change."""

    code = "marking_closed"


class JudgingStarted(Conflict):
    code = "judging_started"


def setup_for(round_: EssayRound) -> JudgingRound:
    """Return the round's judging set-up, creating the defaults the first time."""
    setup = db.session.scalar(sa.select(JudgingRound).where(JudgingRound.round_id == round_.id))
    if setup is None:
        setup = JudgingRound(round_id=round_.id)
        db.session.add(setup)
        db.session.flush()
    return setup


def find_setup(round_id: int) -> JudgingRound | None:
    return db.session.scalar(sa.select(JudgingRound).where(JudgingRound.round_id == round_id))


SETUP_FIELDS = (
    "judges_per_entry",
    "days_to_mark",
    "days_after_reminder",
    "mean_below_pct",
    "reconcile_up_to_pct",
    "spread_up_to_pct",
    "appeal_days",
    "merit_up_to",
)


#: Thresholds of the double-marking rule: locked once marking has started.
LOCKED_FIELDS = ("mean_below_pct", "reconcile_up_to_pct", "spread_up_to_pct")


def configure(*, actor, round_: EssayRound, now: datetime | None = None, **values) -> JudgingRound:
    """Change how the round is judged (audited); k cannot change once judging started."""
    setup = setup_for(round_)
    if not 0 < values["mean_below_pct"] <= values["reconcile_up_to_pct"] <= 100:
        raise ValidationFailed(
            _("The reconcile limit must be at least the mean limit."), field="reconcile_up_to_pct"
        )
    if setup.started_at and values["judges_per_entry"] != setup.judges_per_entry:
        raise JudgingStarted(
            _("Judging has started; the number of judges per entry can no longer change."),
            field="judges_per_entry",
        )
    if setup.started_at:
        for key in LOCKED_FIELDS:
            if values[key] != getattr(setup, key):
                raise JudgingStarted(
                    _("Marking has started; the disagreement thresholds are locked."), field=key
                )
    before = {k: getattr(setup, k) for k in SETUP_FIELDS}
    for key in SETUP_FIELDS:
        setattr(setup, key, values[key])
    db.session.flush()
    audit.record(
        actor=actor,
        action="judging.configure",
        obj=setup,
        before=before,
        after={k: getattr(setup, k) for k in SETUP_FIELDS},
        now=now,
    )
    return setup


def disagreement_rules(setup: JudgingRound) -> rules.DisagreementRules:
    return rules.DisagreementRules(
        mean_below=Decimal(setup.mean_below_pct) / 100,
        reconcile_up_to=Decimal(setup.reconcile_up_to_pct) / 100,
        spread_up_to=Decimal(setup.spread_up_to_pct) / 100,
    )


def set_pool(
    *,
    actor,
    round_: EssayRound,
    active: list[int],
    reserve: list[int],
    chief_judge_id: int | None,
    now: datetime | None = None,
) -> JudgingRound:
    """Set the round's active and reserve judges and its chief judge (audited)."""
    active, reserve = list(dict.fromkeys(active)), list(dict.fromkeys(reserve))
    if set(active) & set(reserve):
        raise ValidationFailed(
            _("A judge is either active or a reserve, not both."), field="reserve"
        )
    users = {
        u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(active + reserve)))
    }
    for user_id in active + reserve:
        user = users.get(user_id)
        if user is None or not user.has_role(Role.JUDGE):
            raise ValidationFailed(_("Only judges can be in the pool."), field="active")
    setup = setup_for(round_)
    if chief_judge_id is not None:
        chief = db.session.get(User, chief_judge_id)
        if chief is None or not (
            chief.has_role(Role.ORGANIZER, Role.ADMIN) or chief_judge_id in active + reserve
        ):
            raise ValidationFailed(
                _("The chief judge is an organizer or a judge of the pool."), field="chief_judge"
            )
    members = {
        m.user_id: m
        for m in db.session.scalars(sa.select(PoolMember).where(PoolMember.round_id == round_.id))
    }
    before = {
        "active": sorted(u for u, m in members.items() if m.role == PoolRole.ACTIVE),
        "reserve": sorted(u for u, m in members.items() if m.role == PoolRole.RESERVE),
        "chief_judge_id": setup.chief_judge_id,
    }
    busy = set(
        db.session.scalars(
            sa.select(Assignment.judge_id).where(
                Assignment.round_id == round_.id, Assignment.status.in_(MARKING)
            )
        )
    )
    for user_id, member in members.items():
        if user_id not in active and user_id not in reserve:
            if user_id in busy:
                raise Conflict(
                    _(
                        "%(name)s still has entries to mark; move them first.",
                        name=member.user.full_name,
                    ),
                    field="active",
                )
            db.session.delete(member)
    for role, ids in ((PoolRole.ACTIVE, active), (PoolRole.RESERVE, reserve)):
        for user_id in ids:
            member = members.get(user_id)
            if member is None:
                db.session.add(PoolMember(round_id=round_.id, user_id=user_id, role=role))
            else:
                member.role = role
    setup.chief_judge_id = chief_judge_id
    db.session.flush()
    audit.record(
        actor=actor,
        action="judging.pool_save",
        obj=setup,
        before=before,
        after={
            "active": sorted(active),
            "reserve": sorted(reserve),
            "chief_judge_id": chief_judge_id,
        },
        now=now,
    )
    return setup


def pool(round_id: int) -> tuple[list[rules.Judge], list[rules.Judge]]:
    """The active and reserve judges of a round as rules.Judge (id, school)."""
    rows = db.session.execute(
        sa.select(PoolMember.user_id, PoolMember.role, User.school_id)
        .join(User, User.id == PoolMember.user_id)
        .where(PoolMember.round_id == round_id, User.active.is_(True))
    )
    active, reserve = [], []
    for user_id, role, school_id in rows:
        (active if role == PoolRole.ACTIVE else reserve).append(rules.Judge(user_id, school_id))
    return active, reserve


def pool_members(round_id: int) -> list[PoolMember]:
    return list(
        db.session.scalars(
            sa.select(PoolMember)
            .where(PoolMember.round_id == round_id)
            .options(sa.orm.joinedload(PoolMember.user))
            .order_by(PoolMember.role, PoolMember.user_id)
        )
    )


def is_chief_judge(user, round_id: int) -> bool:
    setup = find_setup(round_id)
    return bool(user.is_authenticated and setup and setup.chief_judge_id == user.id)


def get_round(round_id: int) -> EssayRound:
    return essay_services.get_round(round_id)
