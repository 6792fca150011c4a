"""Schools and classes."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from core import audit
from core.errors import Conflict, ValidationFailed
from core.extensions import db
from core.schools.models import LEVEL_GRADES, District, School, SchoolClass, SchoolLevel


def the_district() -> District | None:
    """Return the district this deployment serves (the first one)."""
    return db.session.scalar(sa.select(District).order_by(District.id).limit(1))


def list_schools(level: SchoolLevel | None = None) -> list[School]:
    """Return the district's schools, by level then code."""
    query = sa.select(School).order_by(School.level, School.code)
    if level:
        query = query.where(School.level == level)
    return list(db.session.scalars(query))


def save_school(
    *,
    actor,
    school: School | None,
    district: District,
    code: str,
    name: str,
    level,
    address: str | None,
    hotline: str | None,
) -> School:
    """Create or update a school; codes are unique."""
    code = code.strip().upper()
    clash = db.session.scalar(sa.select(School).where(School.code == code))
    if clash is not None and clash is not school:
        raise Conflict(_("Another school already has the code %(code)s.", code=code), field="code")
    before = None
    if school is None:
        school = School(district=district)
        db.session.add(school)
    else:
        before = {"code": school.code, "name": school.name, "level": school.level.value}
    school.code, school.name, school.level = code, name.strip(), SchoolLevel(level)
    school.address, school.hotline = address or None, hotline or None
    db.session.flush()
    audit.record(
        actor=actor,
        action="school.update" if before else "school.create",
        obj=school,
        before=before,
        after={"code": school.code, "name": school.name, "level": school.level.value},
    )
    return school


def class_grade_from_name(name: str) -> int | None:
    """Read the grade from a Vietnamese class name such as "6A1" or "9/2"."""
    digits = ""
    for ch in name.strip():
        if ch.isdigit():
            digits += ch
        else:
            break
    return int(digits) if digits else None


def get_or_create_class(*, school: School, name: str, school_year: str) -> tuple[SchoolClass, bool]:
    """Return the school's class of that name in that year, creating it if missing."""
    name = name.strip().upper()
    existing = db.session.scalar(
        sa.select(SchoolClass).where(
            SchoolClass.school_id == school.id,
            SchoolClass.school_year == school_year,
            SchoolClass.name == name,
        )
    )
    if existing is not None:
        return existing, False
    grade = class_grade_from_name(name)
    if grade is None:
        grade = 0 if school.level == SchoolLevel.MN else None
    if grade is None or grade not in LEVEL_GRADES[school.level]:
        raise ValidationFailed(
            _("Class %(name)s does not fit a %(level)s school.", name=name, level=school.level),
            field="name",
        )
    school_class = SchoolClass(school=school, name=name, grade=grade, school_year=school_year)
    db.session.add(school_class)
    db.session.flush()
    return school_class, True


def classes_of(school: School, school_year: str) -> list[SchoolClass]:
    """Return a school's classes in one school year, by grade and name."""
    return list(
        db.session.scalars(
            sa.select(SchoolClass)
            .where(SchoolClass.school_id == school.id, SchoolClass.school_year == school_year)
            .order_by(SchoolClass.grade, SchoolClass.name)
        )
    )
