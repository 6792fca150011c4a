"""The green network movement: movements, milestones, versioned criteria, activities, evidence."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.extensions import db
from core.schools.models import SchoolLevel


class MilestoneKind(enum.StrEnum):
    LAUNCH = "launch"
    MIDTERM = "midterm"  #: sơ kết
    FINAL = "final"  #: tổng kết


class ActivityStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"


class EvidenceKind(enum.StrEnum):
    PHOTO = "photo"
    FILE = "file"
    LINK = "link"


class Tier(enum.StrEnum):
    EXCELLENT = "excellent"  #: Xuất sắc
    GOOD = "good"  #: Tốt
    PASS = "pass"  # noqa: S105 - Đạt, a tier, not a password
    FAIL = "fail"  #: Chưa đạt


class Movement(db.Model):
    """One school year of the movement, with its tier thresholds."""

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaign.id", ondelete="SET NULL"), index=True
    )
    #: e.g. "2025-2026".
    school_year: Mapped[str] = mapped_column(sa.String(9), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    #: Tier thresholds as a percentage of the maximum points.
    excellent_min: Mapped[float] = mapped_column(default=90.0)
    good_min: Mapped[float] = mapped_column(default=70.0)
    pass_min: Mapped[float] = mapped_column(default=50.0)
    #: At most this share (%) of a level's schools may be Xuất sắc; null means no quota.
    excellent_quota_percent: Mapped[float | None]
    #: How the quota becomes a number of schools: "at_most" (không quá X %, rounded down) or
    #: "nearest" (X % rounded to the nearest school).
    quota_rule: Mapped[str] = mapped_column(
        sa.String(12), default="at_most", server_default="at_most"
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    campaign = relationship("Campaign")
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="movement", order_by="Milestone.due_on", cascade="all, delete-orphan"
    )
    criteria_sets: Mapped[list[CriteriaSet]] = relationship(
        back_populates="movement", cascade="all, delete-orphan"
    )

    @property
    def start_year(self) -> int:
        return int(self.school_year[:4])


class Milestone(db.Model):
    """Launch, mid-term review (sơ kết) or final review (tổng kết) of a movement."""

    __table_args__ = (sa.UniqueConstraint("movement_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    movement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("movement.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[MilestoneKind] = mapped_column(
        sa.Enum(MilestoneKind, native_enum=False, length=12)
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    due_on: Mapped[date]

    movement: Mapped[Movement] = relationship(back_populates="milestones")


class CriteriaSet(db.Model):
    """The criteria of one school level for one movement; a new import makes a new version."""

    __tablename__ = "criteria_set"
    __table_args__ = (sa.UniqueConstraint("movement_id", "level", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    movement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("movement.id", ondelete="CASCADE"), index=True
    )
    level: Mapped[SchoolLevel] = mapped_column(sa.Enum(SchoolLevel, native_enum=False, length=8))
    version: Mapped[int] = mapped_column(default=1)
    #: Where it came from: "manual", "import", "copy".
    source: Mapped[str] = mapped_column(sa.String(20), default="manual")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    movement: Mapped[Movement] = relationship(back_populates="criteria_sets")
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="criteria_set",
        order_by="(Criterion.position, Criterion.id)",
        cascade="all, delete-orphan",
    )

    @property
    def max_total(self) -> float:
        return sum(c.max_points for c in self.criteria)


class Criterion(db.Model):
    __table_args__ = (sa.UniqueConstraint("criteria_set_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    criteria_set_id: Mapped[int] = mapped_column(
        sa.ForeignKey("criteria_set.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(300))
    guidance: Mapped[str] = mapped_column(sa.Text, default="")
    max_points: Mapped[float]
    #: Comma-separated evidence kinds an activity needs: "photo", "file", "link".
    evidence_kinds: Mapped[str] = mapped_column(sa.String(40), default="")
    #: How many activities count towards the criterion; for computed counts, the target.
    max_count: Mapped[int] = mapped_column(default=1)
    computed: Mapped[bool] = mapped_column(default=False)
    #: Name of the metric in ``campaign.greennet.metrics`` when computed.
    metric: Mapped[str | None] = mapped_column(sa.String(40))
    position: Mapped[int] = mapped_column(default=0)

    criteria_set: Mapped[CriteriaSet] = relationship(back_populates="criteria")

    @property
    def required_kinds(self) -> list[EvidenceKind]:
        return [EvidenceKind(k) for k in self.evidence_kinds.split(",") if k]


class Assessment(db.Model):
    """A school's standing in a movement: its lock state (locked at a milestone)."""

    __table_args__ = (sa.UniqueConstraint("movement_id", "school_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    movement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("movement.id", ondelete="CASCADE"), index=True
    )
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("school.id"), index=True)
    locked_milestone_id: Mapped[int | None] = mapped_column(sa.ForeignKey("milestone.id"))
    locked_at: Mapped[datetime | None]
    locked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    movement = relationship("Movement")
    school = relationship("School")
    locked_milestone = relationship("Milestone")

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


class Snapshot(db.Model):
    """A school's locked result at a milestone: the figures as they were when it was locked.

    Nothing reads them back from the live data: later changes to thresholds, criteria, quotas or
    the contest data behind computed criteria leave the record as it is. Unlocking deletes the
    record (the audit log keeps its figures and the reason).
    """

    __table_args__ = (sa.UniqueConstraint("assessment_id", "milestone_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assessment.id", ondelete="CASCADE"), index=True
    )
    milestone_id: Mapped[int] = mapped_column(sa.ForeignKey("milestone.id"))
    points: Mapped[float]
    percent: Mapped[float]
    tier: Mapped[Tier] = mapped_column(sa.Enum(Tier, native_enum=False, length=12))
    max_points: Mapped[float] = mapped_column(default=0.0, server_default="0")
    #: Rank within the school's level when it was locked.
    rank: Mapped[int] = mapped_column(default=0, server_default="0")
    #: It met the Xuất sắc threshold but the quota held it back.
    held_back: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: The criteria version the milestone was scored on.
    criteria_set_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("criteria_set.id", ondelete="SET NULL")
    )
    criteria_version: Mapped[int | None]
    #: Per criterion: code, title, max_points, points, computed, value.
    criteria: Mapped[list | None] = mapped_column(sa.JSON)
    locked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)

    assessment = relationship("Assessment")
    milestone = relationship("Milestone")


class Activity(db.Model):
    """Something a school did for a criterion, with evidence, a self-score and a verdict."""

    id: Mapped[int] = mapped_column(primary_key=True)
    movement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("movement.id", ondelete="CASCADE"), index=True
    )
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("school.id"), index=True)
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("criterion.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    happened_on: Mapped[date]
    description: Mapped[str] = mapped_column(sa.Text, default="")
    participants: Mapped[int] = mapped_column(default=0)
    self_score: Mapped[float] = mapped_column(default=0.0)
    status: Mapped[ActivityStatus] = mapped_column(
        sa.Enum(ActivityStatus, native_enum=False, length=12),
        default=ActivityStatus.DRAFT,
        index=True,
    )
    #: The district's score once approved (the self-score unless adjusted).
    awarded_points: Mapped[float | None]
    verifier_comment: Mapped[str] = mapped_column(sa.Text, default="")
    #: When returned: the date by which the school should resubmit.
    return_deadline: Mapped[date | None]
    submitted_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    school = relationship("School")
    criterion: Mapped[Criterion] = relationship()
    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="activity", order_by="Evidence.id", cascade="all, delete-orphan"
    )

    @property
    def editable(self) -> bool:
        return self.status in (ActivityStatus.DRAFT, ActivityStatus.RETURNED)

    def is_overdue(self, today: date) -> bool:
        return (
            self.status == ActivityStatus.RETURNED
            and self.return_deadline is not None
            and self.return_deadline < today
        )


class Evidence(db.Model):
    """A photo (re-encoded, EXIF stripped), a PDF, or a link to the school's post or fanpage."""

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        sa.ForeignKey("activity.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[EvidenceKind] = mapped_column(sa.Enum(EvidenceKind, native_enum=False, length=8))
    storage_key: Mapped[str | None] = mapped_column(sa.String(200))
    url: Mapped[str | None] = mapped_column(sa.String(500))
    filename: Mapped[str] = mapped_column(sa.String(200), default="")
    mimetype: Mapped[str] = mapped_column(sa.String(80), default="")
    size: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    activity: Mapped[Activity] = relationship(back_populates="evidence")
