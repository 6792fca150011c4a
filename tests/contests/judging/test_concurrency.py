"""Two judges' browsers (or one double click) submitting at the same moment: evaluated once."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from campaign.campaigns.models import Campaign, CampaignStatus
from contests.essay import services as essay_services
from contests.essay.models import Entry, EntryVersion, EssayContest, EssayRound
from contests.judging import services
from contests.judging.models import (
    Assignment,
    AssignmentKind,
    JudgingRound,
    Mark,
    PoolMember,
    Resolution,
    Rubric,
    RubricCriterion,
)
from core.accounts.models import Role, RoleAssignment, User
from core.audit import AuditEntry
from core.clock import utcnow
from core.extensions import db
from core.schools.models import School, SchoolClass
from tests import factories
from tests.contests.essay.conftest import words
from tests.contests.judging.conftest import CRITERIA


@pytest.fixture
def committed(app, request):
    """A judged entry committed for real: two judges assigned, sheets filled, not submitted."""
    if request.config.getoption("--db") != "postgresql":
        pytest.skip("needs PostgreSQL: real row locks between two connections")
    with app.app_context(), app.test_request_context():
        now = utcnow()
        campaign = Campaign(
            slug="concurrency-judging",
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
            opens_at=now - timedelta(days=2),
            closes_at=now - timedelta(days=1),
            min_words=1,
            max_words=100,
        )
        db.session.add_all([contest, round_])
        db.session.flush()
        student = factories.student()
        entry = Entry(
            round_id=round_.id,
            student_id=student.id,
            school_id=student.school_id,
            class_id=student.class_id,
            code=essay_services.new_code(),
            status="submitted",
            title="T",
            body=words(20),
            word_count=20,
            submitted_at=now - timedelta(days=1, hours=1),
        )
        db.session.add(entry)
        judges = [factories.user(None, Role.JUDGE) for _ in range(3)]
        organizer = factories.organizer()
        services.save_rubric(actor=organizer, round_=round_, criteria=CRITERIA, now=now)
        services.set_pool(
            actor=organizer,
            round_=round_,
            active=[j.id for j in judges],
            reserve=[],
            chief_judge_id=None,
            now=now,
        )
        services.run_assignment(actor=organizer, round_=round_, seed=3, now=now)
        sheets = db.session.scalars(sa.select(Assignment).where(Assignment.entry_id == entry.id))
        ids = []
        for sheet, values in zip(sheets, (["4", "3", "3"], ["2", "2", "2"]), strict=True):
            rubric = services.current_rubric(round_.id)
            services.save_marks(
                assignment=sheet,
                marks=dict(zip([c.id for c in rubric.criteria], values, strict=True)),
                comment="",
                seq=1,
                now=now,
            )
            ids.append(sheet.id)
        db.session.commit()
        data = {
            "sheets": ids,
            "entry": entry.id,
            "round": round_.id,
            "contest": contest.id,
            "campaign": campaign.id,
            "users": [student.id, organizer.id, *(j.id for j in judges)],
            "class": student.class_id,
            "school": student.school_id,
        }
        db.session.remove()
    yield data
    with app.app_context():
        rubric_ids = sa.select(Rubric.id).where(Rubric.round_id == data["round"])
        assignment_ids = sa.select(Assignment.id).where(Assignment.round_id == data["round"])
        for statement in (
            sa.delete(Mark).where(Mark.assignment_id.in_(assignment_ids)),
            sa.delete(Resolution).where(Resolution.round_id == data["round"]),
            sa.delete(Assignment).where(Assignment.round_id == data["round"]),
            sa.delete(RubricCriterion).where(RubricCriterion.rubric_id.in_(rubric_ids)),
            sa.delete(Rubric).where(Rubric.round_id == data["round"]),
            sa.delete(PoolMember).where(PoolMember.round_id == data["round"]),
            sa.delete(JudgingRound).where(JudgingRound.round_id == data["round"]),
            sa.delete(AuditEntry).where(AuditEntry.actor_id.in_(data["users"])),
            sa.delete(EntryVersion).where(EntryVersion.entry_id == data["entry"]),
            sa.delete(Entry).where(Entry.id == data["entry"]),
            sa.delete(EssayRound).where(EssayRound.id == data["round"]),
            sa.delete(EssayContest).where(EssayContest.id == data["contest"]),
            sa.delete(Campaign).where(Campaign.id == data["campaign"]),
            sa.delete(RoleAssignment).where(RoleAssignment.user_id.in_(data["users"])),
            sa.delete(User).where(User.id.in_(data["users"])),
            sa.delete(SchoolClass).where(SchoolClass.id == data["class"]),
            sa.delete(School).where(School.id == data["school"]),
        ):
            db.session.execute(statement)
        db.session.commit()
        db.session.remove()


def _run_at_once(app, targets):
    barrier = threading.Barrier(len(targets))
    errors = []

    def submit(sheet_id):
        try:
            with app.app_context(), app.test_request_context():
                sheet = db.session.get(Assignment, sheet_id)
                barrier.wait(timeout=10)
                try:
                    services.submit_marks(assignment=sheet)
                    db.session.commit()
                finally:
                    db.session.remove()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=submit, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


@pytest.mark.postgres_only
def test_double_submit_concurrently_is_idempotent(app, committed):
    first, _second = committed["sheets"]

    errors = _run_at_once(app, [first, first])

    assert errors == []
    with app.app_context():
        sheet = db.session.get(Assignment, first)
        assert sheet.status.value == "submitted"
        assert (
            db.session.scalar(
                sa.select(sa.func.count(Resolution.id)).where(
                    Resolution.entry_id == committed["entry"]
                )
            )
            == 0
        )
        db.session.remove()


@pytest.mark.postgres_only
def test_two_judges_submitting_at_once_evaluated_once_with_one_third_judge(app, committed):
    errors = _run_at_once(app, committed["sheets"])

    assert errors == []
    with app.app_context():
        outcomes = db.session.scalars(
            sa.select(Resolution.outcome).where(Resolution.entry_id == committed["entry"])
        ).all()
        thirds = db.session.scalar(
            sa.select(sa.func.count(Assignment.id)).where(
                Assignment.entry_id == committed["entry"], Assignment.kind == AssignmentKind.THIRD
            )
        )
        assert (outcomes, thirds) == (["third_judge"], 1)
        db.session.remove()
