"""District → School → Class."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.extensions import db


class SchoolLevel(enum.StrEnum):
    """Vietnamese school levels the district runs."""

    MN = "MN"  #: Mầm non (kindergarten)
    TH = "TH"  #: Tiểu học (primary, grades 1–5)
    THCS = "THCS"  #: Trung học cơ sở (lower secondary, grades 6–9)


#: Grades taught at each level; kindergarten groups are numbered 0.
LEVEL_GRADES = {
    SchoolLevel.MN: (0,),
    SchoolLevel.TH: (1, 2, 3, 4, 5),
    SchoolLevel.THCS: (6, 7, 8, 9),
}


class District(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    hotline: Mapped[str | None] = mapped_column(sa.String(40))

    schools: Mapped[list[School]] = relationship(back_populates="district", order_by="School.code")


class School(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("district.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    level: Mapped[SchoolLevel] = mapped_column(sa.Enum(SchoolLevel, native_enum=False, length=8))
    address: Mapped[str | None] = mapped_column(sa.String(300))
    #: The school's own line for students who need help (shown in the safety corner).
    hotline: Mapped[str | None] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    district: Mapped[District] = relationship(back_populates="schools")
    classes: Mapped[list[SchoolClass]] = relationship(
        back_populates="school", order_by="(SchoolClass.grade, SchoolClass.name)"
    )

    def __repr__(self) -> str:
        return f"<School {self.code}>"


class SchoolClass(db.Model):
    """A class (lớp) of one school in one school year."""

    __tablename__ = "school_class"
    __table_args__ = (sa.UniqueConstraint("school_id", "school_year", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("school.id"), index=True)
    #: e.g. "2025-2026"; a class belongs to one school year.
    school_year: Mapped[str] = mapped_column(sa.String(9))
    grade: Mapped[int] = mapped_column(sa.SmallInteger)
    name: Mapped[str] = mapped_column(sa.String(40))

    school: Mapped[School] = relationship(back_populates="classes")

    def __repr__(self) -> str:
        return f"<SchoolClass {self.name} {self.school_year}>"
