"""Who took part, per class: for a school's coordinators, each student of each class against each
quiz round and essay round of a campaign (and the same as a workbook).

The contest figures come from the contests packages' services: ``round_takers`` (quiz) and
``school_progress`` (essay). The page is private (the school's own staff and the district): the
names are the students' full names.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from campaign.campaigns.models import Campaign
from contests.essay import services as essay_services
from contests.essay.models import EntryStatus, EssayContest, EssayRound
from contests.quiz import services as quiz_services
from contests.quiz.models import QuizContest, QuizRound, RoundKind
from core.accounts.models import User
from core.extensions import db
from core.schools.models import School, SchoolClass
from core.spreadsheets import workbook_bytes


@dataclass(frozen=True)
class StudentLine:
    name: str
    quiz: list[bool]
    essay: list[bool]


@dataclass(frozen=True)
class ClassBlock:
    name: str
    students: list[StudentLine]
    quiz_counts: list[int]
    essay_counts: list[int]


def _quiz_rounds(campaign: Campaign) -> list[tuple[int, str]]:
    rows = db.session.execute(
        sa.select(QuizRound.id, QuizContest.title, QuizRound.title)
        .join(QuizContest, QuizContest.id == QuizRound.contest_id)
        .where(QuizContest.campaign_id == campaign.id, QuizRound.kind == RoundKind.RANKED)
        .order_by(QuizRound.opens_at, QuizRound.id)
    )
    return [(round_id, f"{contest} — {title}") for round_id, contest, title in rows]


def _essay_rounds(campaign: Campaign) -> list[EssayRound]:
    return list(
        db.session.scalars(
            sa.select(EssayRound)
            .join(EssayContest, EssayContest.id == EssayRound.contest_id)
            .where(EssayContest.campaign_id == campaign.id)
            .order_by(EssayRound.opens_at, EssayRound.id)
        )
    )


def class_participation(campaign: Campaign, school: School) -> dict:
    """Per class of the school: each active student and the rounds they took or submitted to."""
    quiz_rounds = _quiz_rounds(campaign)
    essay_rounds = _essay_rounds(campaign)
    took = quiz_services.round_takers(round_ids=[r for r, _t in quiz_rounds], school_id=school.id)
    submitted = set()
    for round_ in essay_rounds:
        for line in essay_services.school_progress(round_=round_, school=school):
            if line.status == EntryStatus.SUBMITTED.value:
                submitted.add((line.student_id, round_.id))
    students = db.session.execute(
        sa.select(User.id, User.full_name, SchoolClass.name)
        .join(SchoolClass, SchoolClass.id == User.class_id)
        .where(User.school_id == school.id, User.is_active_student)
        .order_by(SchoolClass.grade, SchoolClass.name, User.full_name, User.id)
    ).all()
    classes: dict[str, list[StudentLine]] = {}
    for student_id, name, class_name in students:
        classes.setdefault(class_name, []).append(
            StudentLine(
                name=name,
                quiz=[(student_id, r) in took for r, _t in quiz_rounds],
                essay=[(student_id, r.id) in submitted for r in essay_rounds],
            )
        )
    blocks = [
        ClassBlock(
            name=name,
            students=lines,
            quiz_counts=[sum(s.quiz[i] for s in lines) for i in range(len(quiz_rounds))],
            essay_counts=[sum(s.essay[i] for s in lines) for i in range(len(essay_rounds))],
        )
        for name, lines in classes.items()
    ]
    return {
        "quiz_rounds": [title for _r, title in quiz_rounds],
        "essay_rounds": [f"{r.contest.title} — {r.name}" for r in essay_rounds],
        "classes": blocks,
    }


def class_participation_xlsx(campaign: Campaign, school: School) -> bytes:
    """The same as a workbook, headers in the reader's language: students, then class totals."""
    data = class_participation(campaign, school)
    rounds = data["quiz_rounds"] + data["essay_rounds"]
    yes = _("Yes")
    students = [
        [block.name, line.name, *[yes if done else "" for done in line.quiz + line.essay]]
        for block in data["classes"]
        for line in block.students
    ]
    totals = [
        [block.name, len(block.students), *block.quiz_counts, *block.essay_counts]
        for block in data["classes"]
    ]
    return workbook_bytes(
        [
            (_("Students"), [_("Class"), _("Student"), *rounds], students),
            (_("By class"), [_("Class"), _("Students"), *rounds], totals),
        ]
    )
