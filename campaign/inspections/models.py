"""Inspections of a school's movement: the plan, the findings per criterion, their photos."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.extensions import db


class InspectionKind(enum.StrEnum):
    REGULAR = "regular"  #: kiểm tra định kỳ
    SURPRISE = "surprise"  #: kiểm tra đột xuất


class InspectionStatus(enum.StrEnum):
    PLANNED = "planned"
    CONCLUDED = "concluded"


class Rating(enum.StrEnum):
    MET = "met"  #: Đạt
    PARTLY = "partly"  #: Đạt một phần
    NOT_MET = "not_met"  #: Chưa đạt


class Inspection(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    movement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("movement.id", ondelete="CASCADE"), index=True
    )
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("school.id"), index=True)
    kind: Mapped[InspectionKind] = mapped_column(
        sa.Enum(InspectionKind, native_enum=False, length=12)
    )
    status: Mapped[InspectionStatus] = mapped_column(
        sa.Enum(InspectionStatus, native_enum=False, length=12), default=InspectionStatus.PLANNED
    )
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    #: The team, one member a line: "Nguyễn Văn A - Chuyên viên, Trưởng đoàn".
    team: Mapped[str] = mapped_column(sa.Text, default="")
    #: What is inspected (the scope of the plan).
    scope: Mapped[str] = mapped_column(sa.Text, default="")
    #: The school's representatives, one a line.
    school_representatives: Mapped[str] = mapped_column(sa.Text, default="")
    conclusion: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    concluded_at: Mapped[datetime | None]

    movement = relationship("Movement")
    school = relationship("School")
    findings: Mapped[list[Finding]] = relationship(
        back_populates="inspection", order_by="Finding.position", cascade="all, delete-orphan"
    )


class Finding(db.Model):
    """What the team found for one criterion; may return an activity or adjust its score."""

    __tablename__ = "inspection_finding"
    __table_args__ = (sa.UniqueConstraint("inspection_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(
        sa.ForeignKey("inspection.id", ondelete="CASCADE"), index=True
    )
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("criterion.id"))
    position: Mapped[int] = mapped_column(default=0)
    rating: Mapped[Rating | None] = mapped_column(sa.Enum(Rating, native_enum=False, length=12))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    #: The activity a finding acted on (returned, or its verified score adjusted).
    activity_id: Mapped[int | None] = mapped_column(sa.ForeignKey("activity.id"))

    inspection: Mapped[Inspection] = relationship(back_populates="findings")
    criterion = relationship("Criterion")
    photos: Mapped[list[FindingPhoto]] = relationship(
        back_populates="finding", order_by="FindingPhoto.id", cascade="all, delete-orphan"
    )


class FindingPhoto(db.Model):
    """A photo taken during the inspection: re-encoded, EXIF stripped, stored outside static/."""

    __tablename__ = "inspection_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(
        sa.ForeignKey("inspection_finding.id", ondelete="CASCADE"), index=True
    )
    storage_key: Mapped[str] = mapped_column(sa.String(200))
    filename: Mapped[str] = mapped_column(sa.String(200), default="")
    size: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    finding: Mapped[Finding] = relationship(back_populates="photos")
