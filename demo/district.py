"""The demo district: its schools and classes, staff, judges and about 400 students."""

from __future__ import annotations

import random
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app

from core.accounts import services as accounts
from core.accounts.models import Role, RoleAssignment, User
from core.clock import school_year
from core.extensions import db
from core.schools.models import District, School, SchoolClass, SchoolLevel

DISTRICT = ("GIALAM", "Phòng GD&ĐT huyện Gia Lâm", "024 3827 1234")

#: The demo schools; coordN coordinates the N-th school, student1 studies at the first.
SCHOOLS = [
    (
        "THCS-DX",
        "Trường THCS Dương Xá",
        SchoolLevel.THCS,
        "Xã Dương Xá, Gia Lâm, Hà Nội",
        "024 3876 0011",
    ),
    (
        "THCS-TQ",
        "Trường THCS Trâu Quỳ",
        SchoolLevel.THCS,
        "Thị trấn Trâu Quỳ, Gia Lâm, Hà Nội",
        "024 3827 6022",
    ),
    (
        "THCS-CBQ",
        "Trường THCS Cao Bá Quát",
        SchoolLevel.THCS,
        "Xã Cổ Bi, Gia Lâm, Hà Nội",
        "024 3827 2033",
    ),
    (
        "THCS-KK",
        "Trường THCS Kiêu Kỵ",
        SchoolLevel.THCS,
        "Xã Kiêu Kỵ, Gia Lâm, Hà Nội",
        "024 3876 5044",
    ),
    (
        "THCS-DT",
        "Trường THCS Đa Tốn",
        SchoolLevel.THCS,
        "Xã Đa Tốn, Gia Lâm, Hà Nội",
        "024 3876 6055",
    ),
    (
        "TH-TQ",
        "Trường Tiểu học Trâu Quỳ",
        SchoolLevel.TH,
        "Thị trấn Trâu Quỳ, Gia Lâm, Hà Nội",
        "024 3827 7066",
    ),
    (
        "TH-DT",
        "Trường Tiểu học Đa Tốn",
        SchoolLevel.TH,
        "Xã Đa Tốn, Gia Lâm, Hà Nội",
        "024 3876 8077",
    ),
    (
        "TH-DX",
        "Trường Tiểu học Dương Xá",
        SchoolLevel.TH,
        "Xã Dương Xá, Gia Lâm, Hà Nội",
        "024 3876 9088",
    ),
    (
        "TH-KK",
        "Trường Tiểu học Kiêu Kỵ",
        SchoolLevel.TH,
        "Xã Kiêu Kỵ, Gia Lâm, Hà Nội",
        "024 3876 1099",
    ),
    (
        "MN-TQ",
        "Trường Mầm non Trâu Quỳ",
        SchoolLevel.MN,
        "Thị trấn Trâu Quỳ, Gia Lâm, Hà Nội",
        "024 3827 1110",
    ),
    (
        "MN-DX",
        "Trường Mầm non Dương Xá",
        SchoolLevel.MN,
        "Xã Dương Xá, Gia Lâm, Hà Nội",
        "024 3876 1211",
    ),
    (
        "MN-KK",
        "Trường Mầm non Kiêu Kỵ",
        SchoolLevel.MN,
        "Xã Kiêu Kỵ, Gia Lâm, Hà Nội",
        "024 3876 1312",
    ),
]
CLASSES = {
    SchoolLevel.THCS: ["6A1", "7A1", "8A1", "9A1"],
    SchoolLevel.TH: ["3A1", "4A1", "5A1"],
    SchoolLevel.MN: [],
}
STUDENTS_PER_CLASS = {SchoolLevel.THCS: 14, SchoolLevel.TH: 10}
#: Judges are teachers; their own school matters (never judge one's own school's entries).
JUDGES = ["THCS-TQ", "THCS-CBQ", "THCS-KK", "THCS-DT", "TH-TQ", "THCS-DX"]

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Lý"]
MIDDLE_M = ["Văn", "Minh", "Đức", "Quang", "Hữu", "Gia", "Thành", "Anh"]
MIDDLE_F = ["Thị", "Ngọc", "Thu", "Minh", "Khánh", "Phương", "Bảo", "Thanh"]
GIVEN_M = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hải",
    "Hiếu",
    "Huy",
    "Khôi",
    "Long",
    "Nam",
    "Phúc",
    "Quân",
    "Sơn",
    "Tuấn",
    "Việt",
]
GIVEN_F = [
    "Anh",
    "Chi",
    "Diệp",
    "Hà",
    "Hằng",
    "Lan",
    "Linh",
    "Mai",
    "My",
    "Ngân",
    "Nhi",
    "Thảo",
    "Trang",
    "Vy",
    "Yến",
]
STAFF = [
    ("admin", "Nguyễn Văn Quản", [Role.ADMIN], None),
    ("organizer", "Trần Thị Tổ Chức", [Role.ORGANIZER], None),
]


def demo_name(rng: random.Random) -> tuple[str, str]:
    female = rng.random() < 0.5
    parts = [
        rng.choice(FAMILY),
        rng.choice(MIDDLE_F if female else MIDDLE_M),
        rng.choice(GIVEN_F if female else GIVEN_M),
    ]
    return " ".join(parts), "Nữ" if female else "Nam"


def seed_core(*, now: datetime) -> None:
    """The district, its schools and classes, staff and about 400 students."""
    if db.session.scalar(sa.select(District).where(District.code == DISTRICT[0])):
        return
    rng = random.Random(2025)
    year = school_year(now)
    start_year = int(year[:4])
    password_hash = accounts.hash_password(current_app.config["SEED_DEMO_PASSWORD"])
    district = District(code=DISTRICT[0], name=DISTRICT[1], hotline=DISTRICT[2])
    db.session.add(district)
    schools = {}
    for code, name, level, address, hotline in SCHOOLS:
        school = School(
            district=district, code=code, name=name, level=level, address=address, hotline=hotline
        )
        db.session.add(school)
        schools[code] = school
    db.session.flush()

    def user(username, full_name, roles, school=None, role_school=None, **extra):
        account = User(
            username=username,
            full_name=full_name,
            password_hash=password_hash,
            school_id=school.id if school else None,
            is_demo=True,
            **extra,
        )
        account.role_assignments = [
            RoleAssignment(role=r, school_id=(role_school.id if role_school else None))
            for r in roles
        ]
        db.session.add(account)
        return account

    for username, full_name, roles, _ in STAFF:
        user(username, full_name, roles, email=f"{username}@gialam.edu.vn")
    for index, (code, *_rest) in enumerate(SCHOOLS, start=1):
        name, _gender = demo_name(rng)
        # Each coordinator is also the school's designated safeguarding contact.
        roles = [Role.COORDINATOR, Role.SAFEGUARDING]
        user(f"coord{index}", name, roles, school=schools[code], role_school=schools[code])
    for index, code in enumerate(JUDGES, start=1):
        name, _gender = demo_name(rng)
        user(f"judge{index}", name, [Role.JUDGE], school=schools[code])
    number = 0
    for code, _name, level, *_ in SCHOOLS:
        school = schools[code]
        for class_name in CLASSES[level]:
            grade = int(class_name[0])
            school_class = SchoolClass(
                school=school, school_year=year, grade=grade, name=class_name
            )
            db.session.add(school_class)
            db.session.flush()
            for _i in range(STUDENTS_PER_CLASS[level]):
                number += 1
                name, gender = demo_name(rng)
                birth_year = start_year - 5 - grade
                user(
                    f"student{number}",
                    name,
                    [Role.STUDENT],
                    school=school,
                    role_school=school,
                    class_id=school_class.id,
                    student_code=f"HS{number:05d}",
                    gender=gender,
                    date_of_birth=date(birth_year, rng.randint(1, 12), rng.randint(1, 28)),
                )
    db.session.flush()
