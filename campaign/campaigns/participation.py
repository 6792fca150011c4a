"""Participation in a campaign: eligible students per school and level, and the share of them
who took part in each contest.

Contest data comes through the one seam below, ``CONTEST_SOURCES``: the contests package offers
``participants_by_school(*, since, until)`` (quiz) and ``entries_by_school(*, since, until)``
(essay), both ``-> dict[int, int]`` keyed by school id, imported plainly (``campaign`` depends on
``contests``, never the other way round). A renamed function fails at import, loudly, instead of
scoring every school 0.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from campaign.campaigns.models import Campaign
from contests.essay.services import entries_by_school
from contests.quiz.services import participants_by_school
from core.accounts.models import User
from core.clock import local_zone
from core.extensions import db
from core.schools.models import School, SchoolLevel
from core.spreadsheets import workbook_bytes

#: source name → the counting function the contests package offers.
CONTEST_SOURCES = {
    "quiz_participants": participants_by_school,
    "essay_entries": entries_by_school,
}


def contest_counts(source: str, *, since: datetime, until: datetime) -> dict[int, int]:
    """Call the contests package's counting function: school id → count."""
    counts = CONTEST_SOURCES[source](since=since, until=until)
    return {int(k): int(v) for k, v in counts.items()}


def eligible_students(school_ids: list[int]) -> dict[int, int]:
    """Active student accounts per school (the denominator of every participation rate)."""
    rows = db.session.execute(
        sa.select(User.school_id, sa.func.count(sa.distinct(User.id)))
        .where(User.is_active_student, User.school_id.in_(school_ids))
        .group_by(User.school_id)
    ).all()
    return {school_id: count for school_id, count in rows}


def _campaign_period(campaign: Campaign) -> tuple[datetime, datetime]:
    zone = local_zone()
    since = datetime.combine(campaign.starts_on, time(), zone).astimezone(UTC)
    until = datetime.combine(campaign.ends_on + timedelta(days=1), time(), zone).astimezone(UTC)
    return since, until


def participation(campaign: Campaign) -> dict:
    """Per school and level: eligible students and the share who took part in each contest.

    Contest counts come from the contests package through ``CONTEST_SOURCES``.
    """
    schools = list(db.session.scalars(sa.select(School).order_by(School.level, School.code)))
    ids = [s.id for s in schools]
    since, until = _campaign_period(campaign)
    eligible = eligible_students(ids)
    quiz = contest_counts("quiz_participants", since=since, until=until)
    essay = contest_counts("essay_entries", since=since, until=until)

    def share(counts, school_id):
        total = eligible.get(school_id, 0)
        return round(100 * min(counts.get(school_id, 0), total) / total, 1) if total else 0.0

    rows = [
        {
            "school": s,
            "eligible": eligible.get(s.id, 0),
            "quiz": quiz.get(s.id, 0),
            "quiz_rate": share(quiz, s.id),
            "essay": essay.get(s.id, 0),
            "essay_rate": share(essay, s.id),
        }
        for s in schools
    ]
    levels = []
    for level in SchoolLevel:
        mine = [r for r in rows if r["school"].level == level]
        total = sum(r["eligible"] for r in mine)
        quiz_total = sum(min(r["quiz"], r["eligible"]) for r in mine)
        essay_total = sum(min(r["essay"], r["eligible"]) for r in mine)
        levels.append(
            {
                "level": level,
                "schools": len(mine),
                "eligible": total,
                "quiz": quiz_total,
                "quiz_rate": round(100 * quiz_total / total, 1) if total else 0.0,
                "essay": essay_total,
                "essay_rate": round(100 * essay_total / total, 1) if total else 0.0,
            }
        )
    return {"rows": rows, "levels": levels}


def participation_xlsx(campaign: Campaign) -> bytes:
    """Participation by school and by level as a workbook, in the reader's language."""
    data = participation(campaign)
    level_names = {
        SchoolLevel.MN: _("Kindergarten"),
        SchoolLevel.TH: _("Primary"),
        SchoolLevel.THCS: _("Lower secondary"),
    }
    rate = _("Rate (%)")
    return workbook_bytes(
        [
            (
                _("By school"),
                [
                    _("School code"),
                    _("School"),
                    _("Level"),
                    _("Students"),
                    _("Law quiz"),
                    rate,
                    _("Writing contest entries"),
                    rate,
                ],
                [
                    [
                        r["school"].code,
                        r["school"].name,
                        level_names[r["school"].level],
                        r["eligible"],
                        r["quiz"],
                        r["quiz_rate"],
                        r["essay"],
                        r["essay_rate"],
                    ]
                    for r in data["rows"]
                ],
            ),
            (
                _("By level"),
                [
                    _("Level"),
                    _("Number of schools"),
                    _("Students"),
                    _("Law quiz"),
                    rate,
                    _("Writing contest entries"),
                    rate,
                ],
                [
                    [
                        level_names[r["level"]],
                        r["schools"],
                        r["eligible"],
                        r["quiz"],
                        r["quiz_rate"],
                        r["essay"],
                        r["essay_rate"],
                    ]
                    for r in data["levels"]
                ],
            ),
        ]
    )
