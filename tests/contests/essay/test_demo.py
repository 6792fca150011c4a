"""The demo writing contest: an open round for student1, a closed round of 40 essays."""

from __future__ import annotations

import sqlalchemy as sa

from contests.essay import services
from contests.essay.anonymity import judge_payload
from contests.essay.models import Entry, EntryStatus, EssayContest, SimilarityFlag
from core.accounts.models import User
from demo import seed_demo
from demo.essay import TITLE, load_demo_essays
from tests.conftest import T0


def test_seed_demo_writing_contest(db):
    seed_demo(now=T0)
    seed_demo(now=T0)

    contest = db.session.scalar(sa.select(EssayContest).where(EssayContest.title == TITLE))
    assert (
        db.session.scalar(
            sa.select(sa.func.count(EssayContest.id)).where(EssayContest.title == TITLE)
        )
        == 1
    )
    campaign_slug = db.session.execute(
        sa.text("SELECT slug FROM campaign WHERE id = :id"), {"id": contest.campaign_id}
    ).scalar()
    assert campaign_slug == "van-hoa-ung-xu-tren-khong-gian-mang"
    closed, open_ = sorted(contest.rounds, key=lambda r: r.opens_at)
    student1 = db.session.scalar(sa.select(User).where(User.username == "student1"))
    assert open_.is_open(T0) and open_.admits(student1)
    assert services.open_rounds_for(student1, now=T0) == [open_]
    assert closed.is_closed(T0)
    entries = db.session.scalars(sa.select(Entry).where(Entry.round_id == closed.id)).all()
    assert len(entries) == 40
    assert {e.status for e in entries} == {EntryStatus.SUBMITTED}
    assert len({e.school_id for e in entries}) >= 5
    assert student1.id not in {e.student_id for e in entries}
    flags = db.session.scalars(sa.select(SimilarityFlag)).all()
    by_key = {e["key"]: e for e in load_demo_essays()}
    assert [(f.entry.title, f.other_entry.title) for f in flags] == [
        (by_key["e12"]["title"], by_key["e38"]["title"])
    ]
    assert len(flags) == 1
    payload = judge_payload(next(e for e in entries if "Nguyễn Thị Mai" in e.body))
    assert "Nguyễn Thị Mai" not in payload["body"]
