"""Demo safety reports in every state, and a district safeguarding account."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from campaign.safety.models import ReportStatus, SafetyReport
from core.accounts import services as accounts
from core.accounts.models import Role, RoleAssignment, User
from core.extensions import db
from core.schools.models import School

DEMO_REPORTS = [
    (
        "AT-DEMO01",
        "THCS-DX",
        ReportStatus.RECEIVED,
        "Một nhóm trên Zalo lớp đăng ảnh chế giễu bạn em và gọi bạn bằng biệt danh xấu.",
        "Nhóm Zalo của lớp",
        "Tối hôm qua",
        "Một bạn cùng lớp",
        None,
    ),
    (
        "AT-DEMO02",
        "THCS-DX",
        ReportStatus.VERIFYING,
        "Có tài khoản lạ nhắn tin làm quen với con tôi và đòi gửi ảnh riêng tư.",
        "Facebook Messenger",
        "Tuần trước",
        "Con tôi, học lớp 7",
        "0912 000 111",
    ),
    (
        "AT-DEMO03",
        "THCS-TQ",
        ReportStatus.HANDLED,
        "Trang giả mạo fanpage của trường đăng tin sai về lịch nghỉ học.",
        "https://facebook.com/trang-gia-mao",
        "Thứ Hai",
        "Học sinh và phụ huynh của trường",
        None,
    ),
    (
        "AT-DEMO04",
        "TH-TQ",
        ReportStatus.FORWARDED,
        "Em thấy một video quay bạn nhỏ bị đánh được chia sẻ trong nhóm chat.",
        "TikTok",
        "Hôm nay",
        "Một bạn nhỏ chưa rõ tên",
        None,
    ),
]


def seed_safety(*, now: datetime) -> None:
    """Idempotent: a district safeguarding account and four reports."""
    if db.session.scalar(sa.select(SafetyReport.id).where(SafetyReport.reference == "AT-DEMO01")):
        return
    if db.session.scalar(sa.select(User.id).where(User.username == "safeguard")) is None:
        account = User(
            username="safeguard",
            full_name="Lê Thị An Toàn",
            password_hash=accounts.hash_password(current_app.config["SEED_DEMO_PASSWORD"]),
            is_demo=True,
            email="safeguard@gialam.edu.vn",
        )
        account.role_assignments = [RoleAssignment(role=Role.SAFEGUARDING, school_id=None)]
        db.session.add(account)
    schools = {s.code: s for s in db.session.scalars(sa.select(School))}
    for index, (reference, code, status, what, where, when, who, contact) in enumerate(
        DEMO_REPORTS
    ):
        school = schools.get(code)
        db.session.add(
            SafetyReport(
                reference=reference,
                school_id=school.id if school else None,
                what_happened=what,
                where=where,
                when=when,
                who_affected=who,
                contact=contact,
                status=status,
                forwarded_to="111" if status == ReportStatus.FORWARDED else None,
                staff_note=""
                if status in (ReportStatus.RECEIVED, ReportStatus.VERIFYING)
                else "Đã xử lý theo quy trình; đã báo cha mẹ học sinh.",
                created_at=now - timedelta(days=10 - 2 * index),
                updated_at=now - timedelta(days=8 - 2 * index),
            )
        )
    db.session.flush()
