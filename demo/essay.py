"""The demo writing contest: an open round student1 can write in, and a closed round holding
the 40 demo essays (demo/essays.json) from several schools, ready for judging."""

from __future__ import annotations

import io
import json
import random
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from PIL import Image, ImageDraw

from contests.essay import services, similarity
from contests.essay.models import (
    Entry,
    EntryPhoto,
    EntryStatus,
    EntryVersion,
    EssayContest,
    EssayRound,
)
from core.accounts.models import Role, RoleAssignment, User
from core.extensions import db
from core.schools.models import School, SchoolClass
from core.storage import storage

DEMO_ESSAYS = Path(__file__).with_name("essays.json")
CAMPAIGN_SLUG = "van-hoa-ung-xu-tren-khong-gian-mang"
TITLE = "Cuộc thi viết \u201cNhững hành động đẹp trên không gian mạng\u201d"
PROMPT = (
    "Hãy kể lại một việc làm tốt, một hành động đẹp của em, của bạn bè hoặc người thân khi "
    "tham gia môi trường mạng (bảo vệ bạn bị bắt nạt, không chia sẻ tin giả, giúp người thân "
    "tránh lừa đảo, lan tỏa điều tích cực…) và điều em rút ra từ câu chuyện ấy."
)
PHOTO_COLOURS = [(46, 125, 50), (21, 101, 192), (239, 108, 0), (106, 27, 154)]


def load_demo_essays() -> list[dict]:
    return json.loads(DEMO_ESSAYS.read_text(encoding="utf-8"))


def _campaign_id() -> int | None:
    campaign = sa.table("campaign", sa.column("id"), sa.column("slug"))
    return db.session.scalar(sa.select(campaign.c.id).where(campaign.c.slug == CAMPAIGN_SLUG))


def _photo(caption: str, colour: tuple[int, int, int]) -> tuple[str, int, int]:
    image = Image.new("RGB", (640, 420), colour)
    ImageDraw.Draw(image).rectangle((40, 40, 600, 380), outline=(255, 255, 255), width=6)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return storage().save(out.getvalue(), prefix="essay", suffix=".jpg"), 640, 420


def _authors(essays: list[dict], rng: random.Random) -> list[User]:
    """One student per essay, of the essay's grade, spread over the district's schools."""
    rows = db.session.execute(
        sa.select(User, SchoolClass.grade)
        .join(SchoolClass, SchoolClass.id == User.class_id)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role == Role.STUDENT, User.username != "student1")
        .order_by(User.id)
    ).all()
    by_grade: dict[int, list[User]] = {}
    for user, grade in rows:
        by_grade.setdefault(grade, []).append(user)
    for grade, users in by_grade.items():
        rng.shuffle(users)
        # Interleave schools so every school has a few entries.
        by_school: dict[int, list[User]] = {}
        for user in users:
            by_school.setdefault(user.school_id, []).append(user)
        queues = [by_school[k] for k in sorted(by_school)]
        by_grade[grade] = [q[i] for i in range(max(map(len, queues))) for q in queues if i < len(q)]
    chosen = []
    for essay in essays:
        grade = essay["grade"]
        pool = by_grade.get(grade) or by_grade.get(max(by_grade, key=lambda g: -abs(g - grade)))
        chosen.append(pool.pop(0))
    return chosen


def seed_essay(*, now: datetime) -> None:
    """Create the demo writing contest (idempotent)."""
    if db.session.scalar(sa.select(EssayContest.id).where(EssayContest.title == TITLE)):
        return
    campaign_id = _campaign_id()
    if campaign_id is None or not db.session.scalar(sa.select(sa.func.count(School.id))):
        return
    rng = random.Random(30)
    now = now.replace(second=0, microsecond=0)
    contest = EssayContest(
        campaign_id=campaign_id,
        title=TITLE,
        description=(
            "Cuộc thi dành cho học sinh tiểu học và trung học cơ sở toàn huyện: viết về những "
            "việc làm tốt, hành động đẹp khi tham gia môi trường mạng."
        ),
        created_at=now - timedelta(days=45),
    )
    common = {
        "contest": contest,
        "stage": 1,
        "theme": "Hành động đẹp trên không gian mạng",
        "prompt": PROMPT,
        "min_words": 150,
        "max_words": 1000,
        "school_levels": ["TH", "THCS"],
        "grades": [],
        "allow_withdraw": True,
    }
    closed = EssayRound(
        name="Vòng trường — đợt 1",
        opens_at=now - timedelta(days=40),
        closes_at=now - timedelta(days=3),
        max_photos=2,
        results_at=now + timedelta(days=14),
        **common,
    )
    open_round = EssayRound(
        name="Vòng trường — đợt 2",
        opens_at=now - timedelta(days=2),
        closes_at=now + timedelta(days=21),
        max_photos=3,
        results_at=now + timedelta(days=45),
        **common,
    )
    db.session.add_all([contest, closed, open_round])
    db.session.flush()

    essays = load_demo_essays()
    for index, (essay, author) in enumerate(zip(essays, _authors(essays, rng), strict=True)):
        submitted_at = closed.opens_at + timedelta(days=2 + index % 30, hours=rng.randint(1, 12))
        body = essay["body"]
        entry = Entry(
            round_id=closed.id,
            student_id=author.id,
            school_id=author.school_id,
            class_id=author.class_id,
            code=services.new_code(),
            status=EntryStatus.SUBMITTED,
            title=essay["title"],
            body=body,
            word_count=services.count_words(body),
            seq=1,
            saved_at=submitted_at - timedelta(minutes=3),
            submitted_at=submitted_at,
            consent_student=index % 3 != 0,
            consent_parent=index % 3 != 0 and index % 4 != 0,
            created_at=submitted_at - timedelta(days=1),
        )
        db.session.add(entry)
        db.session.flush()
        db.session.add(
            EntryVersion(
                entry_id=entry.id,
                seq=1,
                title=entry.title,
                body=body,
                word_count=entry.word_count,
                saved_at=entry.saved_at,
            )
        )
        if essay.get("caption") and index % 2 == 0:
            key, width, height = _photo(essay["caption"], PHOTO_COLOURS[index % 4])
            db.session.add(
                EntryPhoto(
                    entry_id=entry.id,
                    storage_key=key,
                    mimetype="image/jpeg",
                    width=width,
                    height=height,
                    caption=essay["caption"],
                    created_at=submitted_at - timedelta(hours=1),
                )
            )
    db.session.flush()
    similarity.check_round(round_=closed, now=closed.closes_at + timedelta(minutes=10))
