"""Submitting twice at the same moment (two connections) gives one submission, one receipt."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from campaign.campaigns.models import Campaign, CampaignStatus
from contests.essay import services
from contests.essay.models import Entry, EntryStatus, EssayContest, EssayRound
from core.accounts.models import RoleAssignment, User
from core.clock import utcnow
from core.extensions import db
from core.schools.models import School, SchoolClass
from tests import factories
from tests.contests.essay.conftest import words


@pytest.fixture
def committed_round(app, request):
    """An open round and a student committed for real (no rolled-back transaction)."""
    if request.config.getoption("--db") != "postgresql":
        pytest.skip("needs PostgreSQL: real row locks between two connections")
    with app.app_context():
        now = utcnow()
        student = factories.student()
        campaign = Campaign(
            slug="concurrency-essay",
            title="Chiến dịch",
            starts_on=date(2026, 9, 5),
            ends_on=date(2027, 5, 31),
            status=CampaignStatus.PUBLISHED,
        )
        db.session.add(campaign)
        db.session.flush()
        contest = EssayContest(campaign_id=campaign.id, title="Cuộc thi")
        round_ = EssayRound(
            contest=contest,
            name="Vòng",
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(hours=1),
            min_words=1,
            max_words=100,
        )
        db.session.add_all([contest, round_])
        db.session.commit()
        ids = {
            "round": round_.id,
            "contest": contest.id,
            "campaign": campaign.id,
            "student": student.id,
            "class": student.class_id,
            "school": student.school_id,
        }
        db.session.remove()
    yield ids
    with app.app_context():
        for statement in (
            sa.delete(Entry).where(Entry.round_id == ids["round"]),
            sa.delete(EssayRound).where(EssayRound.id == ids["round"]),
            sa.delete(EssayContest).where(EssayContest.id == ids["contest"]),
            sa.delete(Campaign).where(Campaign.id == ids["campaign"]),
            sa.delete(RoleAssignment).where(RoleAssignment.user_id == ids["student"]),
            sa.delete(User).where(User.id == ids["student"]),
            sa.delete(SchoolClass).where(SchoolClass.id == ids["class"]),
            sa.delete(School).where(School.id == ids["school"]),
        ):
            db.session.execute(statement)
        db.session.commit()
        db.session.remove()


@pytest.fixture
def committed_entry(app, committed_round):
    """A draft with text in the committed round."""
    with app.app_context():
        round_ = db.session.get(EssayRound, committed_round["round"])
        student = db.session.get(User, committed_round["student"])
        entry = services.start_entry(round_=round_, student=student)
        services.save_draft(entry=entry, title="T", body=words(20), seq=1)
        db.session.commit()
        ids = {**committed_round, "entry": entry.id}
        db.session.remove()
    return ids


def run_together(app, work, prepare=lambda: None, n: int = 2) -> tuple[list, list]:
    """Run ``work(prepare())`` in ``n`` threads, ``work`` released in all at the same moment."""
    barrier = threading.Barrier(n)
    results, errors = [], []

    def target():
        try:
            with app.test_request_context():
                prepared = prepare()
                barrier.wait(timeout=10)
                results.append(work(prepared))
                db.session.commit()
        except Exception as error:  # pragma: no cover - reported by the test
            errors.append(error)
        finally:
            with app.app_context():
                db.session.remove()

    threads = [threading.Thread(target=target) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results, errors


@pytest.mark.postgres_only
def test_first_save_from_two_tabs_at_once_makes_one_entry(app, committed_round):
    def first_save(_):
        round_ = db.session.get(EssayRound, committed_round["round"])
        student = db.session.get(User, committed_round["student"])
        entry = services.start_entry(round_=round_, student=student)
        services.save_draft(entry=entry, title="T", body="một hai", seq=1)
        return entry.id

    ids, errors = run_together(app, first_save)

    assert errors == []
    assert len(ids) == 2
    assert ids[0] == ids[1]
    with app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count(Entry.id)).where(Entry.round_id == committed_round["round"])
        )
        assert count == 1
        db.session.remove()


@pytest.mark.postgres_only
def test_submit_twice_concurrently_gives_one_receipt(app, committed_entry):
    def load():
        # Both requests have read the draft before either submits.
        return db.session.get(Entry, committed_entry["entry"])

    receipts, errors = run_together(app, lambda entry: services.submit_entry(entry=entry), load)

    assert errors == []
    assert len(receipts) == 2
    assert receipts[0] == receipts[1]
    with app.app_context():
        entry = db.session.get(Entry, committed_entry["entry"])
        assert entry.status == EntryStatus.SUBMITTED
        assert entry.submitted_at == receipts[0].submitted_at
        db.session.remove()
