"""The school's self-review and the district summary as .xlsx, and the labels and figures both
formats share (the PDFs with their charts are in ``report_pdfs``).

They follow the reader's language (Vietnamese unless they chose English); the official
documents (``campaign.documents``) are the ones that stay Vietnamese, with ``TIER_VI``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import gettext as _

from campaign.greennet import services
from campaign.greennet.models import ActivityStatus, MilestoneKind, Movement, Tier
from core.schools.models import School, SchoolLevel
from core.spreadsheets import workbook_bytes

if TYPE_CHECKING:
    import pandas as pd

#: Tiers as official documents write them, always Vietnamese.
TIER_VI = {Tier.EXCELLENT: "Xuất sắc", Tier.GOOD: "Tốt", Tier.PASS: "Đạt", Tier.FAIL: "Chưa đạt"}


def tier_label(tier: Tier) -> str:
    labels = {
        Tier.EXCELLENT: _("Excellent"),
        Tier.GOOD: _("Good"),
        Tier.PASS: _("Pass"),
        Tier.FAIL: _("Not yet passing"),
    }
    return labels[tier]


def status_label(status: ActivityStatus) -> str:
    labels = {
        ActivityStatus.DRAFT: _("Draft activity"),
        ActivityStatus.SUBMITTED: _("Awaiting approval"),
        ActivityStatus.RETURNED: _("Returned for evidence"),
        ActivityStatus.APPROVED: _("Approved activity"),
    }
    return labels[status]


def level_label(level: SchoolLevel) -> str:
    labels = {
        SchoolLevel.MN: _("Kindergarten"),
        SchoolLevel.TH: _("Primary"),
        SchoolLevel.THCS: _("Lower secondary"),
    }
    return labels[level]


def tier_counts(rows) -> pd.DataFrame:
    """Schools per level (rows) and tier (columns), every level and tier present, zeros included."""
    import pandas as pd  # on use: pandas is not loaded when the application starts

    frame = pd.DataFrame(
        {"level": [r.school.level for r in rows], "tier": [r.tier for r in rows]},
        dtype=object,
    )
    counts = frame.groupby(["level", "tier"]).size().unstack()
    return counts.reindex(index=list(SchoolLevel), columns=list(Tier)).fillna(0).astype(int)


def review_name(milestone) -> str:
    """The report's type: the milestone the organizer chose, never the calendar.

    Without a choice it is the milestone the school's figures are locked at, else a plain
    self-review ("Tự đánh giá") of the figures as they are.
    """
    if milestone == MilestoneKind.MIDTERM:
        return _("Mid-year review")
    if milestone == MilestoneKind.FINAL:
        return _("End-of-year review")
    return _("Self-review")


def school_score(movement, school, milestone, now):
    """The school's figures for the chosen milestone (its locked record when locked there)."""
    kind = services.milestone_kind(milestone) if milestone is not None else None
    score = services.school_standing(movement, school, now=now, milestone=kind)
    return score, kind or score.shown_milestone


def school_xlsx(movement: Movement, school: School, *, milestone=None, now=None) -> bytes:
    """The school's self-review workbook: summary, criteria and activities."""
    score, kind = school_score(movement, school, milestone, now)
    record = score.records.get(kind)
    summary = [
        [_("School"), school.name],
        [_("School year"), movement.school_year],
        [_("Report"), review_name(kind)],
        [_("Locked"), _("Yes") if record else _("Not yet")],
        [_("Total points"), score.points],
        [_("Maximum points"), score.max_points],
        [_("Percentage (%)"), score.percent],
        [_("Tier"), tier_label(score.tier)],
        [_("Rank within the level"), score.rank],
    ]
    criteria = [
        [
            c.criterion.code,
            c.criterion.title,
            c.criterion.max_points,
            c.points,
            _("Computed automatically") if c.criterion.computed else c.approved,
            c.pending,
            _("Missing") if c.missing else "",
        ]
        for c in score.criteria
    ]
    activities = [
        [
            a.happened_on,
            a.criterion.code,
            a.title,
            a.participants,
            a.self_score,
            a.awarded_points,
            status_label(a.status),
            a.verifier_comment,
            len(a.evidence),
        ]
        for a in services.activities_for(movement, school)
    ]
    return workbook_bytes(
        [
            (_("Summary"), [_("Item"), _("Value")], summary),
            (
                _("Criteria"),
                [
                    _("Code"),
                    _("Criterion"),
                    _("Maximum points"),
                    _("Points earned"),
                    _("Approved activities"),
                    _("Awaiting approval"),
                    _("Note"),
                ],
                criteria,
            ),
            (
                _("Activities"),
                [
                    _("Date"),
                    _("Criterion"),
                    _("Activity"),
                    _("Number of participants"),
                    _("Self-assessed"),
                    _("Approved points"),
                    _("Status"),
                    _("Verifier's comment"),
                    _("Pieces of evidence"),
                ],
                activities,
            ),
        ]
    )


def recorded_columns(records: dict, kind: MilestoneKind) -> list:
    """A locked milestone's percentage, tier and rank, or blanks while it is not locked."""
    record = records.get(kind)
    if record is None:
        return [None, None, None]
    return [record.percent, tier_label(record.tier), record.rank]


def district_xlsx(movement: Movement, *, milestone=None, now=None) -> bytes:
    """The district summary workbook: every school's score, tier and rank within its level,
    with the locked sơ kết and tổng kết figures beside them."""
    rows = services.standings(movement, now=now, milestone=milestone)
    ranking = [
        [
            level_label(r.school.level),
            r.rank,
            r.school.code,
            r.school.name,
            r.points,
            r.max_points,
            r.percent,
            tier_label(r.tier),
            r.pending,
            r.overdue,
            *recorded_columns(r.records, MilestoneKind.MIDTERM),
            *recorded_columns(r.records, MilestoneKind.FINAL),
        ]
        for r in rows
    ]
    counts = tier_counts(rows)
    tiers = [
        [level_label(level), int(counts.loc[level].sum()), *(int(n) for n in counts.loc[level])]
        for level in SchoolLevel
    ]
    return workbook_bytes(
        [
            (
                _("Ranking"),
                [
                    _("Level"),
                    _("Rank"),
                    _("School code"),
                    _("School"),
                    _("Total points"),
                    _("Maximum points"),
                    _("Percentage (%)"),
                    _("Tier"),
                    _("Awaiting approval"),
                    _("Overdue for more evidence"),
                    _("Mid-year review (%)"),
                    _("Mid-year review tier"),
                    _("Mid-year review rank"),
                    _("End-of-year review (%)"),
                    _("End-of-year review tier"),
                    _("End-of-year review rank"),
                ],
                ranking,
            ),
            (
                _("Tiers"),
                [_("Level"), _("Number of schools")] + [tier_label(t) for t in Tier],
                tiers,
            ),
        ]
    )
