"""A closed essay round ready for judging, for the judging journeys (desktop and phone)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from types import SimpleNamespace

import sqlalchemy as sa

from contests.essay import services as essay_services
from contests.essay.models import Entry, EntryStatus, EssayContest, EssayRound
from contests.judging import services
from core.accounts.models import Role, RoleAssignment, User
from core.extensions import db
from demo.essay import load_demo_essays
from demo.judging import RUBRIC


def closed_assigned_round(*, title: str, n_entries: int, seed: int, now: datetime):
    """In the caller's app context: a round closed yesterday with ``n_entries`` demo essays,
    its rubric, judges 2–5 active (judge6 reserve and chief judge) and every entry assigned.

    Returns the organizer, the round and its entries; nothing is committed.
    """
    suffix = uuid.uuid4().hex[:6]
    organizer = db.session.scalar(sa.select(User).where(User.username == "organizer"))
    judges = [
        db.session.scalar(sa.select(User).where(User.username == f"judge{n}")) for n in (2, 3, 4, 5)
    ]
    chief = db.session.scalar(sa.select(User).where(User.username == "judge6"))
    campaign_id = db.session.scalar(sa.select(EssayContest.campaign_id).limit(1))
    contest = EssayContest(campaign_id=campaign_id, title=f"Cuộc thi {title} {suffix}")
    round_ = EssayRound(
        contest=contest,
        name=f"Vòng {title} {suffix}",
        opens_at=now - timedelta(days=10),
        closes_at=now - timedelta(days=1),
        min_words=1,
        max_words=2000,
    )
    db.session.add_all([contest, round_])
    db.session.flush()
    students = db.session.scalars(
        sa.select(User)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role == Role.STUDENT, User.username != "student1")
        .order_by(User.id.desc())
        .limit(n_entries)
    ).all()
    entries = []
    for student, essay in zip(students, load_demo_essays(), strict=False):
        entry = Entry(
            round_id=round_.id,
            student_id=student.id,
            school_id=student.school_id,
            class_id=student.class_id,
            code=essay_services.new_code(),
            status=EntryStatus.SUBMITTED,
            title=essay["title"],
            body=essay["body"],
            word_count=essay_services.count_words(essay["body"]),
            submitted_at=now - timedelta(days=2),
        )
        db.session.add(entry)
        entries.append(entry)
    db.session.flush()
    services.save_rubric(actor=organizer, round_=round_, criteria=RUBRIC, now=now)
    services.set_pool(
        actor=organizer,
        round_=round_,
        active=[j.id for j in judges],
        reserve=[chief.id],
        chief_judge_id=chief.id,
        now=now,
    )
    services.run_assignment(actor=organizer, round_=round_, seed=seed, now=now)
    return SimpleNamespace(organizer=organizer, round=round_, entries=entries)
