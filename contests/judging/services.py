"""The judging workflow: set-up, assignment, marking, resolution, results, appeals.

Every rule is applied by ``contests.judging.rules`` (pure functions over ids); this module loads
rows, calls it and stores what comes back, with an audit entry for every decision people make.

Marking. A judge's marks are saved as they type, with the browser's sequence number: the
assignment row is updated only where its stored ``seq`` is smaller, so a late retry never
overwrites newer marks. Submitting is a guarded transition (``UPDATE … WHERE status IN
('open', 'reconciling')``); the entry's row is locked first so two judges submitting at the same
moment are evaluated one after the other, and a double submit evaluates once.

Resolution. When every marker of an entry has submitted, the double-marking rule is applied to
the total and each criterion. A gap above the reconcile band brings a third judge at once (the
least-loaded eligible judge, never one who has seen the entry); a gap in the band reopens both
sheets for the two judges to reconcile (if they still disagree, the chief judge decides); a
spread of three marks above the limit waits for the chief judge. Each outcome is a
``Resolution`` row with its reason; the newest row is the entry's state.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import gettext as _

from contests.essay import services as essay_services
from contests.essay.models import Entry, EntryStatus, EssayRound
from contests.judging import rules
from contests.judging.models import (
    MARKING,
    Appeal,
    AppealStatus,
    Assignment,
    AssignmentKind,
    AssignmentStatus,
    Award,
    JudgingRound,
    Mark,
    PoolMember,
    PoolRole,
    Resolution,
    Result,
    Rubric,
    RubricCriterion,
)
from core import audit
from core.accounts.models import Role, User
from core.clock import utcnow
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.web import notify

MARK_STEP = Decimal("0.25")
MAX_COMMENT_CHARS = 5000
CHIEF_DECISION = "chief_decision"
APPEAL_DECISION = "appeal_decision"


class MarkingClosed(Conflict):
    """The sheet is submitted (or moved to another judge) and cannot change."""

    code = "marking_closed"


class JudgingStarted(Conflict):
    code = "judging_started"


# --- set-up -----------------------------------------------------------------------------------


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


def current_rubric(round_id: int) -> Rubric | None:
    """The rubric in force: the newest version."""
    return db.session.scalar(
        sa.select(Rubric)
        .where(Rubric.round_id == round_id)
        .order_by(Rubric.version.desc())
        .options(sa.orm.selectinload(Rubric.criteria))
        .limit(1)
    )


def _points(value, *, field: str, top: Decimal | None = None) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, AttributeError):
        raise ValidationFailed(_("Enter a number."), field=field) from None
    if not number.is_finite():
        raise ValidationFailed(_("Enter a number."), field=field)
    if number % MARK_STEP:
        raise ValidationFailed(_("Use steps of 0.25 points."), field=field)
    if number < 0 or (top is not None and number > top):
        raise ValidationFailed(_("Enter a mark from 0 to %(max)s.", max=_fmt(top)), field=field)
    return number


def _fmt(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format(value.normalize(), "f") if value == value.to_integral() else str(value)


def _rubric_dict(rubric: Rubric | None) -> dict | None:
    if rubric is None:
        return None
    return {
        "version": rubric.version,
        "scale": _fmt(rubric.scale),
        "criteria": [
            {"name": c.name, "guidance": c.guidance, "max_points": _fmt(c.max_points)}
            for c in rubric.criteria
        ],
    }


def save_rubric(
    *,
    actor,
    round_: EssayRound,
    criteria: list[dict],
    scale=Decimal(10),
    now: datetime | None = None,
) -> Rubric:
    """Set the round's rubric; once locked, a change makes a new version (audited).

    After judging starts only the wording may change (same criteria and maxima), and marks
    already given move to the new version's criteria.
    """
    now = now or utcnow()
    scale = _points(scale, field="scale")
    if scale <= 0:
        raise ValidationFailed(_("The scale must be above zero."), field="scale")
    cleaned = []
    for index, item in enumerate(criteria):
        name = essay_services.clean_text(
            item.get("name"), limit=200, field=f"criteria-{index}-name", single_line=True
        )
        if not name:
            continue
        top = _points(item.get("max_points"), field=f"criteria-{index}-max_points")
        if top <= 0:
            raise ValidationFailed(
                _("A criterion needs a maximum above zero."), field=f"criteria-{index}-max_points"
            )
        guidance = essay_services.clean_text(
            item.get("guidance"), limit=2000, field=f"criteria-{index}-guidance"
        )
        cleaned.append((name, guidance, top))
    if not cleaned:
        raise ValidationFailed(_("Add at least one criterion."), field="criteria-0-name")
    if sum(top for _n, _g, top in cleaned) != scale:
        raise ValidationFailed(
            _("The criteria's maxima must add up to the scale (%(scale)s).", scale=_fmt(scale)),
            field="scale",
        )
    rubric = current_rubric(round_.id)
    before = _rubric_dict(rubric)
    if rubric is not None and rubric.locked_at is None:
        rubric.criteria.clear()
        db.session.flush()
        rubric.scale = scale
    else:
        if rubric is not None:
            old = [(c.max_points) for c in rubric.criteria]
            if old != [top for _n, _g, top in cleaned] or rubric.scale != scale:
                raise JudgingStarted(
                    _(
                        "Judging has started: only the names and guidance of the criteria can "
                        "change now, not their number or maxima."
                    ),
                    field="scale",
                )
        previous = rubric
        rubric = Rubric(
            round_id=round_.id,
            version=(previous.version + 1) if previous else 1,
            scale=scale,
            created_by_id=getattr(actor, "id", None),
            created_at=now,
            locked_at=now if previous else None,
        )
        db.session.add(rubric)
    for position, (name, guidance, top) in enumerate(cleaned):
        rubric.criteria.append(
            RubricCriterion(position=position, name=name, guidance=guidance, max_points=top)
        )
    db.session.flush()
    if before is not None and rubric.version > before["version"]:
        for old, new in zip(previous.criteria, rubric.criteria, strict=True):
            db.session.execute(
                sa.update(Mark).where(Mark.criterion_id == old.id).values(criterion_id=new.id)
            )
    audit.record(
        actor=actor,
        action="judging.rubric_save",
        obj=rubric,
        before=before,
        after=_rubric_dict(rubric),
        now=now,
    )
    return rubric


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


# --- assignment -------------------------------------------------------------------------------


def _declared_conflicts(round_id: int) -> list[tuple[int, int]]:
    return list(
        db.session.execute(
            sa.select(Assignment.judge_id, Assignment.entry_id).where(
                Assignment.round_id == round_id, Assignment.moved_for == "conflict"
            )
        )
    )


def _open_loads(round_id: int) -> dict[int, int]:
    rows = db.session.execute(
        sa.select(Assignment.judge_id, sa.func.count())
        .where(Assignment.round_id == round_id, Assignment.status != AssignmentStatus.MOVED)
        .group_by(Assignment.judge_id)
    )
    return dict(rows.all())


def _rules_entry(entry: Entry) -> rules.Entry:
    return rules.Entry(entry.id, entry.school_id)


def preview_assignment(
    *, round_: EssayRound, seed: int | None = None, now: datetime | None = None
) -> rules.AssignmentPlan:
    """Plan judges for the round's submitted entries not yet assigned (nothing is stored)."""
    now = now or utcnow()
    setup = setup_for(round_)
    if not round_.is_closed(now):
        raise Conflict(_("The round is still open; assign judges after it closes."))
    if current_rubric(round_.id) is None:
        raise Conflict(_("Set the rubric before assigning judges."))
    active, _reserve = pool(round_.id)
    assigned = set(
        db.session.scalars(
            sa.select(Assignment.entry_id).where(
                Assignment.round_id == round_.id, Assignment.kind == AssignmentKind.FIRST
            )
        )
    )
    rows = db.session.execute(
        sa.select(Entry.id, Entry.school_id).where(
            Entry.round_id == round_.id, Entry.status == EntryStatus.SUBMITTED
        )
    )
    entries = [rules.Entry(i, school) for i, school in rows if i not in assigned]
    loads = _open_loads(round_.id)
    active_ids = {j.id for j in active}
    try:
        return rules.plan_assignment(
            entries,
            active,
            setup.judges_per_entry,
            existing={j: n for j, n in loads.items() if j in active_ids},
            conflicts=_declared_conflicts(round_.id),
            seed=seed,
        )
    except rules.AssignmentInfeasible as error:
        lines = [
            _(
                "%(n)d entries, %(eligible)d eligible judges",
                n=len(s.entry_ids),
                eligible=s.eligible,
            )
            for s in error.shortfalls
        ]
        raise Conflict(
            _(
                "Some entries cannot get %(k)d judges from other schools: %(detail)s. Add judges "
                "to the pool.",
                k=setup.judges_per_entry,
                detail="; ".join(lines),
            )
        ) from None


def run_assignment(
    *, actor, round_: EssayRound, seed: int, now: datetime | None = None
) -> rules.AssignmentPlan:
    """Store the previewed plan (same seed, same plan) and lock the rubric (audited)."""
    now = now or utcnow()
    plan = preview_assignment(round_=round_, seed=seed, now=now)
    setup = setup_for(round_)
    due = now + timedelta(days=setup.days_to_mark)
    base = dict(
        db.session.execute(
            sa.select(Assignment.judge_id, sa.func.max(Assignment.position))
            .where(Assignment.round_id == round_.id)
            .group_by(Assignment.judge_id)
        ).all()
    )
    rows = [
        {
            "round_id": round_.id,
            "entry_id": entry_id,
            "judge_id": judge_id,
            "kind": AssignmentKind.FIRST,
            "status": AssignmentStatus.OPEN,
            "position": (base.get(judge_id) or 0) + 1 + offset,
            "comment": "",
            "seq": 0,
            "assigned_at": now,
            "due_at": due,
        }
        for judge_id, queue in plan.queues.items()
        for offset, entry_id in enumerate(queue)
    ]
    if rows:
        # One multi-row INSERT: a round of 5,000 entries stores 10,000 sheets at once.
        db.session.execute(sa.insert(Assignment), rows)
    rubric = current_rubric(round_.id)
    if rubric.locked_at is None:
        rubric.locked_at = now
    setup.started_at = setup.started_at or now
    setup.seed = plan.seed
    db.session.flush()
    audit.record(
        actor=actor,
        action="judging.assign",
        obj=setup,
        after={k: v for k, v in plan.preview().items() if k != "loads"},
        now=now,
    )
    return plan


def _judges_on_entry(entry_id: int) -> set[int]:
    return set(
        db.session.scalars(sa.select(Assignment.judge_id).where(Assignment.entry_id == entry_id))
    )


def _move(
    *, assignment: Assignment, reason: rules.ReassignReason, now: datetime
) -> Assignment | None:
    """Give the assignment's entry to another judge by the rules; None if nobody can take it."""
    active, reserve = pool(assignment.round_id)
    try:
        pick = rules.reassign(
            _rules_entry(assignment.entry),
            assignment.judge_id,
            judges=active,
            reserves=reserve,
            on_entry=_judges_on_entry(assignment.entry_id),
            loads=_open_loads(assignment.round_id),
            conflicts=_declared_conflicts(assignment.round_id),
            reason=reason,
        )
    except rules.NoEligibleJudge:
        return None
    setup = find_setup(assignment.round_id)
    moved = Assignment(
        round_id=assignment.round_id,
        entry_id=assignment.entry_id,
        judge_id=pick.judge_id,
        kind=assignment.kind,
        position=_next_position(assignment.round_id, pick.judge_id),
        assigned_at=now,
        due_at=now + timedelta(days=setup.days_to_mark),
    )
    db.session.add(moved)
    db.session.flush()
    if assignment.kind == AssignmentKind.APPEAL:
        appeal = db.session.scalar(sa.select(Appeal).where(Appeal.assignment_id == assignment.id))
        if appeal is not None:
            appeal.assignment = moved
            db.session.flush()
    return moved


def _next_position(round_id: int, judge_id: int) -> int:
    top = db.session.scalar(
        sa.select(sa.func.max(Assignment.position)).where(
            Assignment.round_id == round_id, Assignment.judge_id == judge_id
        )
    )
    return (top or 0) + 1


def declare_conflict(
    *, assignment: Assignment, reason: str, now: datetime | None = None
) -> Assignment:
    """The judge declares a conflict of interest: the entry moves to another judge (audited)."""
    now = now or utcnow()
    reason = essay_services.clean_text(reason, limit=1000, field="reason")
    if not reason:
        raise ValidationFailed(_("Please say briefly why."), field="reason")
    if assignment.status not in MARKING:
        raise MarkingClosed(_("You have already submitted your marks for this entry."))
    moved = _move(assignment=assignment, reason=rules.ReassignReason.CONFLICT, now=now)
    if moved is None:
        raise Conflict(
            _("No other judge can take this entry now; please tell the chief judge."),
            field="reason",
        )
    assignment.status = AssignmentStatus.MOVED
    assignment.moved_for = "conflict"
    assignment.moved_reason = reason
    assignment.moved_at = now
    db.session.flush()
    audit.record(
        actor=assignment.judge_id,
        action="judging.conflict",
        obj=assignment,
        after={"to_judge_id": moved.judge_id},
        reason=reason,
        now=now,
    )
    return moved


def remind_or_move_overdue(*, now: datetime | None = None) -> int:
    """Remind judges of overdue sheets; after the grace days move them to a reserve judge.

    Idempotent: a sheet is reminded once (``reminded_at``), and moved once (status MOVED).
    Returns the number of reminders sent plus sheets moved.
    """
    now = now or utcnow()
    count = 0
    overdue = db.session.execute(
        sa.select(Assignment, JudgingRound)
        .join(JudgingRound, JudgingRound.round_id == Assignment.round_id)
        .where(
            Assignment.status == AssignmentStatus.OPEN,
            Assignment.due_at <= now,
            # After publication only re-marks (appeals) are still being marked.
            sa.or_(JudgingRound.published_at.is_(None), Assignment.kind == AssignmentKind.APPEAL),
        )
        .order_by(Assignment.id)
    ).all()
    for assignment, setup in overdue:
        if assignment.reminded_at is None:
            changed = db.session.execute(
                sa.update(Assignment)
                .where(Assignment.id == assignment.id, Assignment.reminded_at.is_(None))
                .values(reminded_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            if changed:
                audit.record(actor=None, action="judging.remind", obj=assignment, now=now)
                count += 1
            db.session.refresh(assignment)
            continue
        if now < assignment.reminded_at + timedelta(days=setup.days_after_reminder):
            continue
        moved = _move(assignment=assignment, reason=rules.ReassignReason.OVERDUE, now=now)
        if moved is None:
            continue
        changed = db.session.execute(
            sa.update(Assignment)
            .where(Assignment.id == assignment.id, Assignment.status == AssignmentStatus.OPEN)
            .values(
                status=AssignmentStatus.MOVED,
                moved_for="overdue",
                moved_reason="overdue",
                moved_at=now,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if not changed:
            db.session.delete(moved)
            db.session.flush()
            continue
        db.session.refresh(assignment)
        audit.record(
            actor=None,
            action="judging.move_overdue",
            obj=assignment,
            after={"to_judge_id": moved.judge_id},
            now=now,
        )
        count += 1
    db.session.flush()
    return count


# --- marking ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SaveResult:
    assignment: Assignment
    #: False when the save was older than what is stored (nothing changed).
    accepted: bool


def my_assignments(judge: User) -> list[Assignment]:
    """The judge's sheets in queue order (moved ones left out), entries loaded for codes."""
    return list(
        db.session.scalars(
            sa.select(Assignment)
            .where(Assignment.judge_id == judge.id, Assignment.status != AssignmentStatus.MOVED)
            .options(sa.orm.joinedload(Assignment.entry), sa.orm.selectinload(Assignment.marks))
            .order_by(Assignment.round_id.desc(), Assignment.position)
        )
    )


def get_assignment_for(judge: User, assignment_id: int) -> Assignment:
    """The judge's own sheet; anything else (someone else's, moved away) is simply not found."""
    assignment = db.session.get(Assignment, assignment_id)
    if (
        assignment is None
        or assignment.judge_id != judge.id
        or assignment.status == AssignmentStatus.MOVED
    ):
        raise NotFound()
    return assignment


def _require_marking(assignment: Assignment) -> None:
    if assignment.status == AssignmentStatus.MOVED:
        raise MarkingClosed(_("This entry has moved to another judge."))
    if assignment.status not in MARKING:
        raise MarkingClosed(_("You have already submitted your marks for this entry."))


def save_marks(
    *,
    assignment: Assignment,
    marks: dict[int, object],
    comment: str | None,
    seq: int,
    now: datetime | None = None,
) -> SaveResult:
    """Autosave marks (criterion id → value, None clears) and the comment; older seq is ignored.

    Every mark is checked against its criterion's range; the refusal names each field.
    """
    now = now or utcnow()
    _require_marking(assignment)
    rubric = current_rubric(assignment.round_id)
    criteria = {c.id: c for c in rubric.criteria}
    values: dict[int, Decimal | None] = {}
    errors: dict[str, str] = {}
    for criterion_id, raw in marks.items():
        criterion = criteria.get(int(criterion_id))
        if criterion is None:
            raise ValidationFailed(_("This criterion is not in the rubric."), field="marks")
        field = f"criterion-{criterion.id}"
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            values[criterion.id] = None
            continue
        try:
            values[criterion.id] = _points(raw, field=field, top=criterion.max_points)
        except ValidationFailed as error:
            errors[field] = error.message
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(errors[first], field=first, fields=errors)
    comment_text = None
    if comment is not None:
        comment_text = essay_services.clean_text(comment, limit=MAX_COMMENT_CHARS, field="comment")
    if seq <= assignment.seq:
        return SaveResult(assignment, accepted=False)
    update = {"seq": seq, "saved_at": now}
    if comment_text is not None:
        update["comment"] = comment_text
    changed = db.session.execute(
        sa.update(Assignment)
        .where(
            Assignment.id == assignment.id,
            Assignment.seq < seq,
            Assignment.status.in_(MARKING),
        )
        .values(**update)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(assignment)
    if not changed:
        _require_marking(assignment)
        return SaveResult(assignment, accepted=False)
    existing = {m.criterion_id: m for m in assignment.marks}
    for criterion_id, value in values.items():
        mark = existing.get(criterion_id)
        if value is None:
            if mark is not None:
                assignment.marks.remove(mark)
        elif mark is None:
            assignment.marks.append(
                Mark(criterion_id=criterion_id, value=value, seq=seq, saved_at=now)
            )
        else:
            mark.value, mark.seq, mark.saved_at = value, seq, now
    db.session.flush()
    return SaveResult(assignment, accepted=True)


def submit_marks(*, assignment: Assignment, now: datetime | None = None) -> Assignment:
    """Submit the sheet (guarded: a double click or a retry changes nothing more)."""
    now = now or utcnow()
    if assignment.status == AssignmentStatus.SUBMITTED:
        return assignment
    if assignment.status not in MARKING:
        raise MarkingClosed(_("This entry has moved to another judge."))
    rubric = current_rubric(assignment.round_id)
    marked = {m.criterion_id for m in assignment.marks}
    missing = [c for c in rubric.criteria if c.id not in marked]
    if missing:
        raise ValidationFailed(
            _(
                "Give a mark for every criterion before submitting (missing: %(name)s).",
                name=missing[0].name,
            ),
            field=f"criterion-{missing[0].id}",
        )
    # Serialize evaluations of one entry: two judges submitting at once are seen one by one.
    db.session.execute(sa.select(Entry.id).where(Entry.id == assignment.entry_id).with_for_update())
    changed = db.session.execute(
        sa.update(Assignment)
        .where(Assignment.id == assignment.id, Assignment.status.in_(MARKING))
        .values(status=AssignmentStatus.SUBMITTED, submitted_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(assignment)
    if not changed:
        if assignment.status == AssignmentStatus.SUBMITTED:
            return assignment
        raise MarkingClosed(_("This entry has moved to another judge."))
    if assignment.kind == AssignmentKind.APPEAL:
        _appeal_marked(assignment, now)
    else:
        evaluate_entry(entry=assignment.entry, now=now)
    return assignment


def latest_resolution(entry_id: int) -> Resolution | None:
    return db.session.scalar(
        sa.select(Resolution)
        .where(Resolution.entry_id == entry_id)
        .order_by(Resolution.id.desc())
        .limit(1)
    )


def _sheets(entry_id: int) -> list[Assignment]:
    """The sheets that count for the rule (first and third markers, not moved, not appeals)."""
    return list(
        db.session.scalars(
            sa.select(Assignment)
            .where(
                Assignment.entry_id == entry_id,
                Assignment.kind.in_((AssignmentKind.FIRST, AssignmentKind.THIRD)),
                Assignment.status != AssignmentStatus.MOVED,
            )
            .options(sa.orm.selectinload(Assignment.marks))
            .order_by(Assignment.id)
        )
    )


def evaluate_entry(*, entry: Entry, now: datetime | None = None) -> Resolution | None:
    """Apply the double-marking rule once every marker has submitted; act on the outcome."""
    now = now or utcnow()
    sheets = _sheets(entry.id)
    if not sheets or any(s.status in MARKING for s in sheets):
        return None
    setup = find_setup(entry.round_id)
    rubric = current_rubric(entry.round_id)
    criteria_max = {c.id: c.max_points for c in rubric.criteria}
    marks = {s.judge_id: {m.criterion_id: m.value for m in s.marks} for s in sheets}
    result = rules.resolve_entry(
        marks, criteria_max=criteria_max, total_max=rubric.scale, rules=disagreement_rules(setup)
    )
    previous = latest_resolution(entry.id)
    outcome, reason = result.outcome, result.reason
    if (
        outcome == rules.Outcome.RECONCILE
        and previous is not None
        and previous.outcome == "reconcile"
    ):
        # The two judges looked again and still disagree: the chief judge decides.
        outcome, reason = rules.Outcome.CHIEF_JUDGE, "reconcile_failed"
    detail = {
        "judges": {str(s.judge_id): _fmt(s.total()) for s in sheets},
        "criteria": {
            str(c): {"outcome": r.outcome.value, "value": _fmt(r.value)}
            for c, r in result.criteria.items()
        },
        "difference": _fmt(result.total.difference),
    }
    resolution = Resolution(
        round_id=entry.round_id,
        entry_id=entry.id,
        outcome=outcome.value,
        final=outcome.final,
        value=result.value if outcome.final else None,
        reason=reason,
        detail=detail,
        created_at=now,
    )
    db.session.add(resolution)
    if outcome == rules.Outcome.THIRD_JUDGE:
        third = _third_judge(entry, now)
        if third is None:
            resolution.outcome = rules.Outcome.CHIEF_JUDGE.value
            resolution.reason = "no_third_judge"
        else:
            detail["third_judge_id"] = third.judge_id
    elif outcome == rules.Outcome.RECONCILE:
        for sheet in sheets:
            sheet.status = AssignmentStatus.RECONCILING
    db.session.flush()
    return resolution


def _third_judge(entry: Entry, now: datetime, kind=AssignmentKind.THIRD) -> Assignment | None:
    active, reserve = pool(entry.round_id)
    try:
        pick = rules.pick_third_judge(
            _rules_entry(entry),
            first_judges=_judges_on_entry(entry.id),
            judges=active,
            reserves=reserve,
            loads=_open_loads(entry.round_id),
            conflicts=_declared_conflicts(entry.round_id),
        )
    except rules.NoEligibleJudge:
        return None
    setup = find_setup(entry.round_id)
    third = Assignment(
        round_id=entry.round_id,
        entry_id=entry.id,
        judge_id=pick.judge_id,
        kind=kind,
        position=_next_position(entry.round_id, pick.judge_id),
        assigned_at=now,
        due_at=now + timedelta(days=setup.days_to_mark),
    )
    db.session.add(third)
    db.session.flush()
    return third


def chief_decide(
    *, actor, entry: Entry, value, reason: str, now: datetime | None = None
) -> Resolution:
    """The chief judge settles an entry the rule left open (reconcile band or wide spread)."""
    now = now or utcnow()
    latest = latest_resolution(entry.id)
    if latest is None or latest.final:
        raise Conflict(_("This entry is not waiting for a decision."))
    if latest.outcome == rules.Outcome.THIRD_JUDGE.value:
        raise Conflict(_("A third judge is marking this entry; wait for their mark."))
    rubric = current_rubric(entry.round_id)
    score = _points(value, field="value", top=rubric.scale)
    reason = essay_services.clean_text(reason, limit=2000, field="reason")
    if not reason:
        raise ValidationFailed(_("Please give the reason for the decision."), field="reason")
    for sheet in _sheets(entry.id):
        if sheet.status == AssignmentStatus.RECONCILING:
            sheet.status = AssignmentStatus.SUBMITTED
    resolution = Resolution(
        round_id=entry.round_id,
        entry_id=entry.id,
        outcome=CHIEF_DECISION,
        final=True,
        value=score,
        reason=reason,
        detail={"after": latest.outcome},
        decided_by_id=actor.id,
        created_at=now,
    )
    db.session.add(resolution)
    db.session.flush()
    audit.record(
        actor=actor,
        action="judging.decide",
        obj=entry,
        before={"outcome": latest.outcome},
        after={"value": _fmt(score)},
        reason=reason,
        now=now,
    )
    return resolution


def other_sheets(assignment: Assignment) -> list[Assignment]:
    """The other judges' submitted sheets on the entry, shown only after one's own submit."""
    if assignment.status not in (AssignmentStatus.SUBMITTED, AssignmentStatus.RECONCILING):
        return []
    if assignment.kind == AssignmentKind.APPEAL:
        return []
    return [
        s
        for s in _sheets(assignment.entry_id)
        if s.id != assignment.id
        and s.status in (AssignmentStatus.SUBMITTED, AssignmentStatus.RECONCILING)
    ]


# --- dashboard --------------------------------------------------------------------------------


@dataclass(frozen=True)
class JudgeProgress:
    judge_id: int
    name: str
    role: str
    assigned: int
    done: int
    overdue: int


def progress(round_id: int, *, now: datetime | None = None) -> list[JudgeProgress]:
    """Per judge of the round: sheets held, submitted, and overdue (one query)."""
    now = now or utcnow()
    counting = Assignment.status != AssignmentStatus.MOVED
    rows = db.session.execute(
        sa.select(
            User.id,
            User.full_name,
            PoolMember.role,
            sa.func.count(Assignment.id).filter(counting),
            sa.func.count(Assignment.id).filter(Assignment.status == AssignmentStatus.SUBMITTED),
            sa.func.count(Assignment.id).filter(
                Assignment.status.in_(MARKING), Assignment.due_at <= now
            ),
        )
        .select_from(PoolMember)
        .join(User, User.id == PoolMember.user_id)
        .outerjoin(
            Assignment,
            sa.and_(Assignment.judge_id == User.id, Assignment.round_id == round_id),
        )
        .where(PoolMember.round_id == round_id)
        .group_by(User.id, User.full_name, PoolMember.role)
        .order_by(PoolMember.role, User.full_name)
    )
    return [
        JudgeProgress(uid, name, role.value if role else "", a, d, o)
        for uid, name, role, a, d, o in rows
    ]


def latest_resolutions(round_id: int) -> dict[int, Resolution]:
    """Each entry's newest resolution in the round (entry id → row)."""
    newest = (
        sa.select(sa.func.max(Resolution.id))
        .where(Resolution.round_id == round_id)
        .group_by(Resolution.entry_id)
    )
    return {
        r.entry_id: r
        for r in db.session.scalars(
            sa.select(Resolution)
            .where(Resolution.id.in_(newest))
            .options(sa.orm.joinedload(Resolution.entry))
        )
    }


def open_disagreements(round_id: int) -> list[Resolution]:
    """Entries whose newest resolution waits on people (reconcile, third judge, chief judge)."""
    return sorted(
        (r for r in latest_resolutions(round_id).values() if not r.final),
        key=lambda r: (r.outcome != rules.Outcome.CHIEF_JUDGE.value, r.id),
    )


def final_scores(round_id: int) -> dict[int, Decimal]:
    return {e: r.value for e, r in latest_resolutions(round_id).items() if r.final}


def counts(round_id: int) -> dict[str, int]:
    """Headline numbers for the dashboard."""
    entries = db.session.scalar(
        sa.select(sa.func.count(Entry.id)).where(
            Entry.round_id == round_id, Entry.status == EntryStatus.SUBMITTED
        )
    )
    latest = latest_resolutions(round_id)
    return {
        "entries": entries,
        "resolved": sum(1 for r in latest.values() if r.final),
        "waiting": sum(1 for r in latest.values() if not r.final),
        "third_marked": db.session.scalar(
            sa.select(sa.func.count(Assignment.id)).where(
                Assignment.round_id == round_id, Assignment.kind == AssignmentKind.THIRD
            )
        ),
    }


def agreement(round_id: int) -> tuple[rules.AgreementReport, dict[int, str]] | None:
    """The round's agreement report on totals, and the judges' names; None before any mark."""
    rubric = current_rubric(round_id)
    if rubric is None:
        return None
    rows = db.session.execute(
        sa.select(Assignment.entry_id, Assignment.judge_id, sa.func.sum(Mark.value))
        .join(Mark, Mark.assignment_id == Assignment.id)
        .where(
            Assignment.round_id == round_id,
            Assignment.kind.in_((AssignmentKind.FIRST, AssignmentKind.THIRD)),
            Assignment.status.in_((AssignmentStatus.SUBMITTED, AssignmentStatus.RECONCILING)),
        )
        .group_by(Assignment.entry_id, Assignment.judge_id)
    )
    ratings: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for entry_id, judge_id, total in rows:
        ratings[entry_id][judge_id] = total  # Points: already in points
    if not ratings:
        return None
    names = dict(
        db.session.execute(
            sa.select(User.id, User.full_name).where(
                User.id.in_({j for marks in ratings.values() for j in marks})
            )
        ).all()
    )
    return rules.agreement_report(ratings, max_score=rubric.scale), names


def ranking(round_id: int) -> list[rules.Ranked]:
    return rules.rank(final_scores(round_id))


# --- advancement ------------------------------------------------------------------------------


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
    entries = db.session.scalar(
        sa.select(sa.func.count(Entry.id)).where(
            Entry.round_id == round_id, Entry.status == EntryStatus.SUBMITTED
        )
    )
    done = len(final_scores(round_id))
    if done < entries:
        raise Conflict(
            _(
                "%(n)d of %(total)d entries do not have a final mark yet.",
                n=entries - done,
                total=entries,
            )
        )


# --- results ----------------------------------------------------------------------------------


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


# --- appeals ----------------------------------------------------------------------------------


def file_appeal(
    *, student: User, result: Result, reason: str, now: datetime | None = None
) -> Appeal:
    """A student asks for a re-mark within the window: a fresh blind judge marks the entry."""
    now = now or utcnow()
    entry = result.entry
    if entry.student_id != student.id:
        raise Forbidden()
    setup = find_setup(result.round_id)
    if now >= setup.appeal_until():
        raise Conflict(_("The time for appeals has ended."))
    reason = essay_services.clean_text(reason, limit=2000, field="reason")
    if not reason:
        raise ValidationFailed(_("Please say why you ask for a re-mark."), field="reason")
    if db.session.scalar(sa.select(Appeal.id).where(Appeal.entry_id == entry.id)):
        raise Conflict(_("You have already asked for a re-mark of this entry."))
    fresh = _third_judge(entry, now, kind=AssignmentKind.APPEAL)
    if fresh is None:
        raise Conflict(
            _("No judge is free to re-mark the entry now; please contact the organizers.")
        )
    appeal = Appeal(
        round_id=result.round_id,
        entry_id=entry.id,
        student_id=student.id,
        reason=reason,
        assignment_id=fresh.id,
        score_before=result.score,
        created_at=now,
    )
    db.session.add(appeal)
    db.session.flush()
    audit.record(actor=student, action="judging.appeal", obj=appeal, reason=reason, now=now)
    return appeal


def _appeal_marked(assignment: Assignment, now: datetime) -> None:
    appeal = db.session.scalar(sa.select(Appeal).where(Appeal.assignment_id == assignment.id))
    if appeal is not None and appeal.status == AppealStatus.OPEN:
        appeal.status = AppealStatus.MARKED
        db.session.flush()


def decide_appeal(
    *, actor, appeal: Appeal, value, reason: str, now: datetime | None = None
) -> Appeal:
    """The chief judge keeps or changes the published score after the fresh mark (audited)."""
    now = now or utcnow()
    if appeal.status != AppealStatus.MARKED:
        raise Conflict(_("This appeal is not waiting for a decision."))
    rubric = current_rubric(appeal.round_id)
    score = _points(value, field="value", top=rubric.scale)
    reason = essay_services.clean_text(reason, limit=2000, field="reason")
    if not reason:
        raise ValidationFailed(_("Please give the reason for the decision."), field="reason")
    result = db.session.scalar(sa.select(Result).where(Result.entry_id == appeal.entry_id))
    before = _fmt(result.score)
    result.score = score
    appeal.status = AppealStatus.DECIDED
    appeal.score_after = score
    appeal.decision = reason
    appeal.decided_by_id = actor.id
    appeal.decided_at = now
    db.session.add(
        Resolution(
            round_id=appeal.round_id,
            entry_id=appeal.entry_id,
            outcome=APPEAL_DECISION,
            final=True,
            value=score,
            reason=reason,
            detail={"before": before},
            decided_by_id=actor.id,
            created_at=now,
        )
    )
    db.session.flush()
    rerank(appeal.round_id)
    audit.record(
        actor=actor,
        action="judging.appeal_decide",
        obj=appeal,
        before={"score": before},
        after={"score": _fmt(score)},
        reason=reason,
        now=now,
    )
    return appeal


def appeals(round_id: int) -> list[Appeal]:
    return list(
        db.session.scalars(
            sa.select(Appeal)
            .where(Appeal.round_id == round_id)
            .options(sa.orm.joinedload(Appeal.entry), sa.orm.joinedload(Appeal.assignment))
            .order_by(Appeal.status, Appeal.id)
        )
    )


def get_round(round_id: int) -> EssayRound:
    return essay_services.get_round(round_id)
