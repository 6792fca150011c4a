"""The lists of an award document: schools by tier, students with prizes, classes with prizes.

Fixed Vietnamese like the rest of an official document (see ``drafting``).
"""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from campaign.documents.layout import Paragraph, Table, vi_number
from campaign.documents.subjects import MILESTONES, Subject, final_quiz_snapshot, final_round
from campaign.greennet import services as greennet
from campaign.greennet.models import Tier
from campaign.greennet.reports import TIER_VI
from contests.essay.models import Entry
from contests.judging.models import Award, Result
from contests.quiz.models import LeaderboardEntry
from core.accounts.models import User
from core.extensions import db
from core.schools.models import School, SchoolClass

AWARD_VI = {
    Award.FIRST: "Giải Nhất",
    Award.SECOND: "Giải Nhì",
    Award.THIRD: "Giải Ba",
    Award.MERIT: "Giải Khuyến khích",
}


def _essay_prizes(subject: Subject) -> list[tuple[str, str, str, str]]:
    """(name, class, school, prize) of the essay contest's prize winners, by rank."""
    last = final_round(subject.contest)
    if last is None:
        return []
    # One statement for every winner with their class and school (not three loads each).
    rows = db.session.execute(
        sa.select(Result.award, User.full_name, SchoolClass.name, School.name)
        .join(Entry, Entry.id == Result.entry_id)
        .join(User, User.id == Entry.student_id)
        .outerjoin(SchoolClass, SchoolClass.id == User.class_id)
        .outerjoin(School, School.id == User.school_id)
        .where(Result.round_id == last.id, Result.award != Award.PARTICIPATION)
        .order_by(Result.rank)
    )
    return [
        (name, klass or "", school or "", AWARD_VI[award]) for award, name, klass, school in rows
    ]


#: The prize of a quiz contest's top ranks; later prize ranks are encouragement prizes.
QUIZ_PRIZE_VI = {1: "Giải Nhất", 2: "Giải Nhì", 3: "Giải Ba"}


def _quiz_prizes(subject: Subject) -> list[tuple[str, str, str, str]]:
    """(name, class, school, prize) of the quiz contest's prize ranks in its final ranking.

    The prize ranks are the contest's prize points (e.g. "10,8,6": three prizes), as the
    schools' prize points count them; three when the contest names none.
    """
    snapshot = final_quiz_snapshot(subject.quiz_contest)
    if snapshot is None:
        return []
    rounds = subject.quiz_contest.rounds
    prize_ranks = len(rounds[0].prizes) if rounds and rounds[0].prizes else 3
    entry = LeaderboardEntry
    rows = db.session.execute(
        sa.select(entry.rank, User.full_name, SchoolClass.name, School.name)
        .join(User, User.id == entry.ref_id)
        .outerjoin(SchoolClass, SchoolClass.id == entry.class_id)
        .outerjoin(School, School.id == entry.school_id)
        .where(
            entry.snapshot_id == snapshot.id,
            entry.scope == "student",
            entry.rank <= prize_ranks,
        )
        .order_by(entry.rank, User.full_name)
    )
    return [
        (name, klass or "", school or "", QUIZ_PRIZE_VI.get(rank, "Giải Khuyến khích"))
        for rank, name, klass, school in rows
    ]


def _classes_with_prizes(prizes: list[tuple[str, str, str, str]]) -> list[list[str]]:
    """The classes whose students won prizes, with how many, most first."""
    counts = Counter((klass, school) for _, klass, school, _ in prizes if klass)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0][1], item[0][0]))
    return [[str(i), klass, school, str(n)] for i, ((klass, school), n) in enumerate(ordered, 1)]


def _award_rows(subject: Subject) -> tuple[list, list, list]:
    """(schools by tier, students with prizes, classes with prizes) for an award document."""
    if subject.what == "contest":
        prizes = _quiz_prizes(subject) if subject.quiz_contest else _essay_prizes(subject)
        students = [[str(i), *row] for i, row in enumerate(prizes, 1)]
        return [], students, _classes_with_prizes(prizes)
    snaps = greennet.snapshots(subject.movement)
    kind = MILESTONES[subject.milestone].value
    schools = []
    for score in greennet.standings(subject.movement):
        snap = snaps.get(score.school.id, {}).get(kind)
        if snap and snap.tier in (Tier.EXCELLENT, Tier.GOOD):
            schools.append((snap.tier != Tier.EXCELLENT, score.school.name, snap))
    schools.sort(key=lambda s: (s[0], s[1]))
    rows = [
        [str(i), name, TIER_VI[snap.tier], f"{vi_number(snap.percent)}%"]
        for i, (_, name, snap) in enumerate(schools, 1)
    ]
    return rows, [], []


def award_annex(subject: Subject) -> list:
    schools, students, classes = _award_rows(subject)
    annex: list = []
    if schools or subject.what != "contest":
        annex.append(Paragraph("A. TẬP THỂ", bold=True, indent=False))
        annex.append(
            Table(
                ["STT", "Đơn vị", "Xếp loại", "Tỉ lệ điểm"],
                schools or [["", "Không có", "", ""]],
                [1, 6, 2, 2],
            )
        )
    if students or subject.what == "contest":
        annex.append(Paragraph("B. CÁ NHÂN", bold=True, indent=False))
        annex.append(
            Table(
                ["STT", "Họ và tên", "Lớp", "Trường", "Giải"],
                students or [["", "Không có", "", "", ""]],
                [1, 4, 1.5, 4, 2.5],
            )
        )
    if subject.what == "contest":
        annex.append(Paragraph("C. TẬP THỂ LỚP CÓ HỌC SINH ĐẠT GIẢI", bold=True, indent=False))
        annex.append(
            Table(
                ["STT", "Lớp", "Trường", "Số giải"],
                classes or [["", "Không có", "", ""]],
                [1, 2, 6, 2],
            )
        )
    return annex
