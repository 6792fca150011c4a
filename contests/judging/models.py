"""Judging of writing-contest entries: per-round set-up, rubric versions, the judge pool,
assignments (one per judge and entry), marks per criterion, resolutions, results and appeals.

Judges reach an entry only through an ``Assignment`` of their own; what they see of it is the
masked payload of ``contests.essay.anonymity`` (entry code, masked text, photos), never the
author. A judge's marks are one row per criterion under their assignment, so "one mark per judge
per criterion per entry" is a unique constraint. Submitting is a guarded state transition of the
assignment. Every outcome of the double-marking rule is kept as a ``Resolution`` row with its
reason; the newest one of an entry is the entry's state.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.extensions import db


class Points(sa.types.TypeDecorator):
    """A mark in points with two decimals, stored exactly as an integer number of hundredths.

    (SQLite has no exact decimal type; marks must never pick up float noise.)
    """

    impl = sa.Integer
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return int((Decimal(str(value)) * 100).to_integral_value())

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return Decimal(value) / 100


class JudgingRound(db.Model):
    """How one essay round is judged: k judges, deadlines, thresholds, chief judge, publication."""

    __tablename__ = "judging_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("essay_round.id"), unique=True)
    #: Judges per entry.
    judges_per_entry: Mapped[int] = mapped_column(sa.SmallInteger, default=2)
    #: Days a judge has to mark an assignment; then a reminder, then a reserve judge.
    days_to_mark: Mapped[int] = mapped_column(sa.SmallInteger, default=7)
    #: Days after the reminder before an overdue assignment moves to a reserve judge.
    days_after_reminder: Mapped[int] = mapped_column(sa.SmallInteger, default=2)
    #: Double-marking thresholds as percentages of the scale (DOMAIN.md: 10 / 15 / 25).
    mean_below_pct: Mapped[int] = mapped_column(sa.SmallInteger, default=10)
    reconcile_up_to_pct: Mapped[int] = mapped_column(sa.SmallInteger, default=15)
    spread_up_to_pct: Mapped[int] = mapped_column(sa.SmallInteger, default=25)
    #: An organizer or a judge of the pool who decides what the rule leaves open.
    chief_judge_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    #: Set when the assignment is first committed: the rubric is locked from then on.
    started_at: Mapped[datetime | None]
    #: Assignment seed of the last committed plan (so the preview and the commit agree).
    seed: Mapped[int | None] = mapped_column(sa.BigInteger)
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    #: Days after publication during which a student may ask for a re-mark (phúc khảo).
    appeal_days: Mapped[int] = mapped_column(sa.SmallInteger, default=7)
    #: Places awarded a prize certificate: rank ≤ 1 first, ≤ 2 second, ≤ 3 third, ≤ n merit.
    merit_up_to: Mapped[int] = mapped_column(sa.SmallInteger, default=10)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    round = relationship("EssayRound")
    chief_judge = relationship("User", foreign_keys=[chief_judge_id])

    def appeal_until(self):
        from datetime import timedelta

        if self.published_at is None:
            return None
        return self.published_at + timedelta(days=self.appeal_days)


class Rubric(db.Model):
    """One version of a round's rubric; the newest is in force. Locked once judging starts."""

    __tablename__ = "judging_rubric"
    __table_args__ = (sa.UniqueConstraint("round_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("essay_round.id"), index=True)
    version: Mapped[int] = mapped_column(sa.SmallInteger, default=1)
    #: The total scale (sum of the criteria's maxima), 10 by default.
    scale: Mapped[Decimal] = mapped_column(Points, default=Decimal(10))
    locked_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    criteria: Mapped[list[RubricCriterion]] = relationship(
        back_populates="rubric", order_by="RubricCriterion.position", cascade="all, delete-orphan"
    )


class RubricCriterion(db.Model):
    """A criterion of a rubric: what judges look for and its maximum."""

    __tablename__ = "judging_criterion"

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(
        sa.ForeignKey("judging_rubric.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    name: Mapped[str] = mapped_column(sa.String(200))
    guidance: Mapped[str] = mapped_column(sa.Text, default="")
    max_points: Mapped[Decimal] = mapped_column(Points)

    rubric: Mapped[Rubric] = relationship(back_populates="criteria")


class PoolRole(enum.StrEnum):
    ACTIVE = "active"
    RESERVE = "reserve"


class PoolMember(db.Model):
    """A judge in a round's pool: active judges get the plan, reserves take moved assignments."""

    __tablename__ = "judging_pool"
    __table_args__ = (sa.UniqueConstraint("round_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("essay_round.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    role: Mapped[PoolRole] = mapped_column(
        sa.Enum(PoolRole, native_enum=False, length=10), default=PoolRole.ACTIVE
    )

    user = relationship("User")


class AssignmentKind(enum.StrEnum):
    FIRST = "first"  #: one of the k independent markers
    THIRD = "third"  #: the third marker when two disagree
    APPEAL = "appeal"  #: a fresh blind marker after an appeal


class AssignmentStatus(enum.StrEnum):
    OPEN = "open"  #: the judge is marking
    SUBMITTED = "submitted"
    RECONCILING = "reconciling"  #: the two judges may revise their marks (reconcile band)
    MOVED = "moved"  #: reassigned to someone else (conflict or overdue)


MARKING = (AssignmentStatus.OPEN, AssignmentStatus.RECONCILING)


class Assignment(db.Model):
    """One judge marking one entry (unique: a judge never marks the same entry twice)."""

    __tablename__ = "judging_assignment"
    __table_args__ = (sa.UniqueConstraint("judge_id", "entry_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("essay_round.id"), index=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("essay_entry.id"), index=True)
    judge_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    kind: Mapped[AssignmentKind] = mapped_column(
        sa.Enum(AssignmentKind, native_enum=False, length=10), default=AssignmentKind.FIRST
    )
    status: Mapped[AssignmentStatus] = mapped_column(
        sa.Enum(AssignmentStatus, native_enum=False, length=12),
        default=AssignmentStatus.OPEN,
        index=True,
    )
    #: Place in the judge's queue (random order).
    position: Mapped[int] = mapped_column(default=0)
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    #: Sequence number of the last accepted autosave; an older save never overwrites a newer one.
    seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime]
    reminded_at: Mapped[datetime | None]
    saved_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    #: The idempotency key of the last accepted submit: a retry carrying it changes nothing.
    submit_key: Mapped[str | None] = mapped_column(sa.String(64))
    #: When the sheet reopened for reconciling, and its ``seq`` then: only a submit made after
    #: the reopening (a new key, or a save after it) completes the reconcile.
    reopened_at: Mapped[datetime | None]
    reopened_seq: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: "conflict" (declared by the judge), "overdue" (moved by the scheduler) or "withdrawn"
    #: (moved by an organizer when the judge left or was deactivated).
    moved_for: Mapped[str | None] = mapped_column(sa.String(10))
    #: The judge's words when declaring a conflict.
    moved_reason: Mapped[str | None] = mapped_column(sa.Text)
    moved_at: Mapped[datetime | None]

    entry = relationship("Entry")
    judge = relationship("User")
    marks: Mapped[list[Mark]] = relationship(
        back_populates="assignment", cascade="all, delete-orphan"
    )

    def total(self) -> Decimal | None:
        if not self.marks:
            return None
        return sum((m.value for m in self.marks), Decimal(0))


class Mark(db.Model):
    """A judge's mark on one criterion of one entry (unique per assignment and criterion)."""

    __tablename__ = "judging_mark"
    __table_args__ = (sa.UniqueConstraint("assignment_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("judging_assignment.id", ondelete="CASCADE"), index=True
    )
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("judging_criterion.id"))
    value: Mapped[Decimal] = mapped_column(Points)
    seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)

    assignment: Mapped[Assignment] = relationship(back_populates="marks")
    criterion: Mapped[RubricCriterion] = relationship()


class Resolution(db.Model):
    """One application of the double-marking rule to an entry, or a chief judge's decision.

    ``outcome`` is a ``rules.Outcome`` value or "chief_decision" / "appeal_decision"; ``value``
    is set when final. The newest row of an entry is its state; earlier rows are its history.
    """

    __tablename__ = "judging_resolution"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("essay_round.id"), index=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("essay_entry.id"), index=True)
    outcome: Mapped[str] = mapped_column(sa.String(20))
    final: Mapped[bool] = mapped_column(default=False)
    value: Mapped[Decimal | None] = mapped_column(Points)
    #: The rule's reason key (e.g. "total.gap_above_reconcile_limit") or the chief's words.
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    #: The marks it was worked out from: {"judges": {id: total}, "criteria": {...}}.
    detail: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    entry = relationship("Entry")
    decided_by = relationship("User")


class Award(enum.StrEnum):
    FIRST = "first"
    SECOND = "second"
    THIRD = "third"
    MERIT = "merit"
    PARTICIPATION = "participation"


class Result(db.Model):
    """An entry's published score, rank and award (written when results are published)."""

    __tablename__ = "judging_result"
    __table_args__ = (sa.UniqueConstraint("entry_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("essay_round.id"), index=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("essay_entry.id"))
    score: Mapped[Decimal] = mapped_column(Points)
    rank: Mapped[int]
    tied: Mapped[bool] = mapped_column(default=False)
    award: Mapped[Award] = mapped_column(sa.Enum(Award, native_enum=False, length=14))
    advanced: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime]

    entry = relationship("Entry")


class AppealStatus(enum.StrEnum):
    OPEN = "open"  #: waiting for the fresh judge's mark
    MARKED = "marked"  #: the fresh mark is in; the chief judge decides
    DECIDED = "decided"


class Appeal(db.Model):
    """A student's request for a re-mark (phúc khảo), one per entry."""

    __tablename__ = "judging_appeal"
    __table_args__ = (sa.UniqueConstraint("entry_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("essay_round.id"), index=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("essay_entry.id"))
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    reason: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[AppealStatus] = mapped_column(
        sa.Enum(AppealStatus, native_enum=False, length=10), default=AppealStatus.OPEN
    )
    assignment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("judging_assignment.id"))
    score_before: Mapped[Decimal] = mapped_column(Points)
    score_after: Mapped[Decimal | None] = mapped_column(Points)
    decision: Mapped[str | None] = mapped_column(sa.Text)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    entry = relationship("Entry")
    assignment = relationship("Assignment")
