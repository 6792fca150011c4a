"""Small factories for tests: each makes one object with sensible defaults and flushes."""

from __future__ import annotations

import itertools
from datetime import date

from core.accounts import services as accounts
from core.accounts.models import Role, RoleAssignment, User
from core.extensions import db
from core.schools.models import District, School, SchoolClass, SchoolLevel

_seq = itertools.count(1)
PASSWORD = "correct-horse-42"


def district() -> District:
    existing = db.session.query(District).first()
    if existing:
        return existing
    item = District(code="GL", name="Phòng GD&ĐT Gia Lâm")
    db.session.add(item)
    db.session.flush()
    return item


def school(code: str | None = None, level: SchoolLevel = SchoolLevel.THCS, **kw) -> School:
    n = next(_seq)
    item = School(
        district=district(),
        code=code or f"S{n}",
        name=kw.pop("name", f"Trường THCS Số {n}"),
        level=level,
        **kw,
    )
    db.session.add(item)
    db.session.flush()
    return item


def school_class(
    school_: School | None = None, name: str = "8A1", year: str = "2026-2027"
) -> SchoolClass:
    school_ = school_ or school()
    grade = 0 if school_.level == SchoolLevel.MN else int(name[0])
    item = SchoolClass(school=school_, name=name, grade=grade, school_year=year)
    db.session.add(item)
    db.session.flush()
    return item


def user(
    username: str | None = None,
    *roles: Role,
    school_: School | None = None,
    role_school: School | None = None,
    password: str | None = PASSWORD,
    **kw,
) -> User:
    n = next(_seq)
    item = User(
        username=username or f"user{n}",
        full_name=kw.pop("full_name", f"Người Dùng {n}"),
        password_hash=accounts.hash_password(password) if password else None,
        school_id=school_.id if school_ else None,
        **kw,
    )
    item.role_assignments = [
        RoleAssignment(
            role=r,
            school_id=(role_school or school_).id
            if (role_school or school_) and r in (Role.COORDINATOR, Role.STUDENT, Role.SAFEGUARDING)
            else None,
        )
        for r in roles
    ]
    db.session.add(item)
    db.session.flush()
    return item


def admin(**kw) -> User:
    return user(None, Role.ADMIN, **kw)


def organizer(**kw) -> User:
    return user(None, Role.ORGANIZER, **kw)


def coordinator(school_: School, **kw) -> User:
    return user(None, Role.COORDINATOR, school_=school_, **kw)


def student(school_class_: SchoolClass | None = None, **kw) -> User:
    school_class_ = school_class_ or school_class()
    n = next(_seq)
    return user(
        kw.pop("username", None),
        Role.STUDENT,
        school_=school_class_.school,
        class_id=school_class_.id,
        student_code=kw.pop("student_code", f"HS{n:05d}"),
        date_of_birth=kw.pop("date_of_birth", date(2012, 5, 1)),
        **kw,
    )
