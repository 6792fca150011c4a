"""The judging demo: the closed round part-judged with two disagreements, last year published."""

from __future__ import annotations

import sqlalchemy as sa

from contests.essay.models import EssayContest
from contests.judging import services
from contests.judging.models import Assignment, Result
from core.accounts.models import User
from demo import seed_demo
from demo.essay import TITLE
from demo.judging import EARLIER_TITLE
from tests.conftest import T0


def test_seed_demo_judging(db):
    seed_demo(now=T0)
    seed_demo(now=T0)

    contest = db.session.scalar(sa.select(EssayContest).where(EssayContest.title == TITLE))
    closed = next(r for r in contest.rounds if r.is_closed(T0))
    counts = services.counts(closed.id)
    progress = {p.name: p for p in services.progress(closed.id, now=T0)}
    open_cases = services.open_disagreements(closed.id)
    assert counts["entries"] == 40
    assert counts["third_marked"] == 1
    assert sorted(r.outcome for r in open_cases) == ["chief_judge", "reconcile"]
    assert 0 < counts["resolved"] < 40
    done = sorted(p.done for p in progress.values() if p.role == "active")
    assert done[0] < done[-1]
    judge1 = db.session.scalar(sa.select(User).where(User.username == "judge1"))
    assert services.find_setup(closed.id).chief_judge_id == judge1.id
    assert services.agreement(closed.id) is not None

    earlier = db.session.scalar(
        sa.select(EssayContest).where(EssayContest.title == EARLIER_TITLE)
    ).rounds[0]
    assert services.find_setup(earlier.id).published_at is not None
    results = services.published_results(earlier.id)
    assert len(results) == 12
    student1 = db.session.scalar(sa.select(User).where(User.username == "student1"))
    assert [r.award.value for r, _sheets in services.my_results(student1)] in (
        ["first"],
        ["second"],
    )
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) >= 104
    assert db.session.scalar(sa.select(sa.func.count(Result.id))) == 12
