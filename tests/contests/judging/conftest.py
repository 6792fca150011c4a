"""Factories for judging tests: a closed round with entries from three schools, a judge pool,
a rubric (4 + 3 + 3 = 10 points) and helpers to mark and submit sheets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from contests.essay.models import Entry, EssayRound
from contests.judging import services
from contests.judging.models import Assignment, Rubric
from core.accounts.models import Role, User
from tests.conftest import T0
from tests.contests.essay import conftest as essay_fixtures

# The writing contest's fixtures, shared: a contest, rounds, entries, a request context.
contest = essay_fixtures.contest
make_round = essay_fixtures.make_round
make_entry = essay_fixtures.make_entry
_request_context = essay_fixtures._request_context

CRITERIA = [
    {"name": "Nội dung", "guidance": "Hành động đẹp được kể rõ ràng.", "max_points": "4"},
    {"name": "Bố cục", "guidance": "Mở bài, thân bài, kết bài.", "max_points": "3"},
    {"name": "Diễn đạt", "guidance": "Câu văn trong sáng.", "max_points": "3"},
]


@dataclass
class Judging:
    round: EssayRound
    organizer: User
    schools: list
    entries: list[Entry]
    judges: list[User]
    reserves: list[User]
    rubric: Rubric
    students: list[User] = field(default_factory=list)

    def sheets(self, entry: Entry) -> list[Assignment]:
        return [a for a in entry_assignments(entry)]


def entry_assignments(entry: Entry) -> list[Assignment]:
    import sqlalchemy as sa

    from core.extensions import db

    return list(
        db.session.scalars(
            sa.select(Assignment).where(Assignment.entry_id == entry.id).order_by(Assignment.id)
        )
    )


def criteria_ids(rubric: Rubric) -> list[int]:
    return [c.id for c in rubric.criteria]


def mark(assignment: Assignment, values, *, seq: int = 1, comment: str = "", submit=True, now=T0):
    """Fill a sheet with per-criterion values (list in rubric order) and submit it."""
    rubric = services.current_rubric(assignment.round_id)
    services.save_marks(
        assignment=assignment,
        marks=dict(zip(criteria_ids(rubric), values, strict=True)),
        comment=comment,
        seq=seq,
        now=now,
    )
    if submit:
        services.submit_marks(assignment=assignment, now=now)
    return assignment


@pytest.fixture
def judging(make, make_round, make_entry) -> Judging:
    """A round closed an hour before T0: 6 entries (2 from each of 3 schools), 4 active judges
    (schools A, B, C and one district specialist), 1 reserve, the rubric, the organizer."""
    round_ = make_round(opens_at=T0 - timedelta(days=10), closes_at=T0 - timedelta(hours=1))
    schools = [make.school(name=f"Trường THCS {n}") for n in ("An Bình", "Bình Minh", "Cao Sơn")]
    entries, students = [], []
    for school in schools:
        cls = make.school_class(school, name="8A1")
        for n in range(2):
            student = make.student(cls, full_name=f"Lê Văn {school.code}{n}")
            students.append(student)
            entries.append(make_entry(round_, student, n_words=40))
    judges = [
        make.user(None, Role.JUDGE, school_=s, full_name=f"Giám khảo {s.code}") for s in schools
    ]
    judges.append(make.user(None, Role.JUDGE, full_name="Chuyên viên Phòng"))
    reserves = [make.user(None, Role.JUDGE, full_name="Giám khảo dự bị")]
    organizer = make.organizer(full_name="Tổ chức")
    rubric = services.save_rubric(actor=organizer, round_=round_, criteria=CRITERIA, now=T0)
    services.set_pool(
        actor=organizer,
        round_=round_,
        active=[j.id for j in judges],
        reserve=[r.id for r in reserves],
        chief_judge_id=judges[3].id,
        now=T0,
    )
    return Judging(round_, organizer, schools, entries, judges, reserves, rubric, students)


@pytest.fixture
def assigned(judging) -> Judging:
    """The same round with judges assigned (k = 2) at T0."""
    services.run_assignment(actor=judging.organizer, round_=judging.round, seed=7, now=T0)
    return judging
