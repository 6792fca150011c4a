"""The school's self-review and the district summary as PDF, with charts.

The same labels and figures as the .xlsx (``reports``), so the two formats say the same; they
follow the reader's language like the .xlsx.
"""

from __future__ import annotations

from flask_babel import gettext as _

from campaign.greennet import services
from campaign.greennet.models import MilestoneKind, Movement, Tier
from campaign.greennet.reports import (
    level_label,
    recorded_columns,
    review_name,
    school_score,
    status_label,
    tier_counts,
    tier_label,
)
from core import pdf as core_pdf
from core.i18n import format_number, format_when
from core.schools.models import School, SchoolLevel

GREEN = (46, 125, 50)
GREY = (200, 200, 200)


def _bar_chart(
    pdf, title: str, labels: list[str], values: list[float], maxima: list[float]
) -> None:
    """Draw a horizontal bar chart: each value against its maximum."""
    pdf.set_font(core_pdf.FONT, "B", 11)
    pdf.cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(core_pdf.FONT, "", 8)
    left, width = pdf.l_margin + 28, pdf.w - pdf.l_margin - pdf.r_margin - 48
    top_max = max(maxima) if maxima else 1
    for label, value, maximum in zip(labels, values, maxima, strict=True):
        if pdf.will_page_break(7):
            pdf.add_page()
        y = pdf.get_y()
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(28, 5, label[:18])
        pdf.set_fill_color(*GREY)
        pdf.rect(left, y + 0.5, width * (maximum / top_max), 4, style="F")
        pdf.set_fill_color(*GREEN)
        pdf.rect(left, y + 0.5, width * (min(value, maximum) / top_max), 4, style="F")
        pdf.set_xy(left + width + 2, y)
        pdf.cell(18, 5, f"{format_number(value)}/{format_number(maximum)}")
        pdf.set_y(y + 6)
    pdf.ln(3)


def _table(
    pdf,
    headers: list[str],
    widths: list[float],
    rows: list[list],
    *,
    groups: list[tuple[str, int]] = (),
) -> None:
    """A bordered table; ``groups`` is an optional header row above: (label, columns spanned)."""
    pdf.set_font(core_pdf.FONT, "B", 8)
    pdf.set_fill_color(221, 238, 221)
    if groups:
        column = 0
        for label, span in groups:
            pdf.cell(sum(widths[column : column + span]), 6, label, border=1, fill=True, align="C")
            column += span
        pdf.ln()
    for header, w in zip(headers, widths, strict=True):
        pdf.cell(w, 6, header, border=1, fill=True)
    pdf.ln()
    pdf.set_font(core_pdf.FONT, "", 8)
    for row in rows:
        if pdf.will_page_break(6):
            pdf.add_page()
        for value, w in zip(row, widths, strict=True):
            text = (
                ""
                if value is None
                else (format_number(value) if isinstance(value, float) else str(value))
            )
            while text and pdf.get_string_width(text) > w - 1:
                text = text[:-2] + "…"
            pdf.cell(w, 6, text, border=1)
        pdf.ln()
    pdf.ln(3)


def school_pdf(movement: Movement, school: School, *, milestone=None, now=None) -> bytes:
    """The school's report for a milestone as a PDF with a chart of points per criterion."""
    score, kind = school_score(movement, school, milestone, now)
    pdf = core_pdf.new_document(title=_("Self-review report of %(school)s", school=school.name))
    pdf.add_page()
    pdf.set_font(core_pdf.FONT, "B", 14)
    pdf.multi_cell(
        0,
        8,
        _(
            "%(review)s REPORT OF THE \u201cMẠNG XANH\u201d EMULATION MOVEMENT",
            review=review_name(kind).upper(),
        ),
        new_x="LMARGIN",
        new_y="NEXT",
        align="C",
    )
    pdf.set_font(core_pdf.FONT, "", 11)
    pdf.multi_cell(
        0,
        6,
        _("%(name)s — school year %(year)s", name=school.name, year=movement.school_year),
        new_x="LMARGIN",
        new_y="NEXT",
        align="C",
    )
    pdf.ln(4)
    pdf.multi_cell(
        0,
        6,
        _(
            "Total points: %(points)s/%(maximum)s (%(percent)s%%). Tier: %(tier)s. "
            "Rank within the level: %(rank)s.",
            points=format_number(score.points),
            maximum=format_number(score.max_points),
            percent=format_number(score.percent),
            tier=tier_label(score.tier),
            rank=score.rank,
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    _bar_chart(
        pdf,
        _("Points by criterion"),
        [c.criterion.code for c in score.criteria],
        [c.points for c in score.criteria],
        [c.criterion.max_points for c in score.criteria],
    )
    _table(
        pdf,
        [_("Code"), _("Criterion"), _("Maximum"), _("Earned"), _("Note")],
        [14, 110, 18, 18, 30],
        [
            [
                c.criterion.code,
                c.criterion.title,
                c.criterion.max_points,
                c.points,
                _("Missing") if c.missing else "",
            ]
            for c in score.criteria
        ],
    )
    activities = services.activities_for(movement, school)
    pdf.set_font(core_pdf.FONT, "B", 11)
    pdf.cell(0, 8, _("The activities"), new_x="LMARGIN", new_y="NEXT")
    _table(
        pdf,
        [
            _("Date"),
            _("Code"),
            _("Activity"),
            _("Self-assessed"),
            _("Approved (points)"),
            _("Status"),
        ],
        [20, 14, 90, 18, 18, 30],
        [
            [
                format_when(a.happened_on, locale="vi"),
                a.criterion.code,
                a.title,
                a.self_score,
                a.awarded_points,
                status_label(a.status),
            ]
            for a in activities
        ],
    )
    return core_pdf.to_bytes(pdf)


def district_pdf(movement: Movement, *, milestone=None, now=None) -> bytes:
    """The district summary as a PDF (landscape): per level a chart of schools' scores and the
    ranking, with the locked sơ kết and tổng kết figures beside them like the .xlsx."""
    rows = services.standings(movement, now=now, milestone=milestone)
    pdf = core_pdf.new_document(
        orientation="L",
        title=_("Mạng xanh movement summary %(year)s", year=movement.school_year),
    )
    pdf.add_page()
    pdf.set_font(core_pdf.FONT, "B", 14)
    pdf.multi_cell(
        0,
        8,
        _("RESULTS OF THE \u201cMẠNG XANH\u201d EMULATION MOVEMENT"),
        new_x="LMARGIN",
        new_y="NEXT",
        align="C",
    )
    pdf.set_font(core_pdf.FONT, "", 11)
    pdf.multi_cell(
        0,
        6,
        _("%(name)s — school year %(year)s", name=movement.title, year=movement.school_year),
        new_x="LMARGIN",
        new_y="NEXT",
        align="C",
    )
    pdf.ln(4)
    per_level = tier_counts(rows)
    for level in SchoolLevel:
        mine = [r for r in rows if r.school.level == level]
        if not mine:
            continue
        counts = ", ".join(f"{tier_label(t)}: {per_level.loc[level, t]}" for t in Tier)
        pdf.set_font(core_pdf.FONT, "B", 12)
        pdf.cell(
            0,
            8,
            _(
                "Level %(level)s (%(n)d schools) — %(counts)s",
                level=level_label(level),
                n=len(mine),
                counts=counts,
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        _bar_chart(
            pdf,
            _("Percentage of points earned (%)"),
            [r.school.code for r in mine],
            [r.percent for r in mine],
            [100.0] * len(mine),
        )
        _table(
            pdf,
            [
                _("Rank"),
                _("School"),
                _("Points"),
                "%",
                _("Tier"),
                _("Awaiting approval"),
                *["%", _("Tier"), _("Rank")] * 2,
            ],
            [12, 76, 18, 16, 22, 18, 16, 22, 14, 16, 22, 14],
            [
                [
                    r.rank,
                    r.school.name,
                    r.points,
                    r.percent,
                    tier_label(r.tier),
                    r.pending,
                    *recorded_columns(r.records, MilestoneKind.MIDTERM),
                    *recorded_columns(r.records, MilestoneKind.FINAL),
                ]
                for r in mine
            ],
            groups=[(_("Result"), 6), (_("Mid-year review"), 3), (_("End-of-year review"), 3)],
        )
    return core_pdf.to_bytes(pdf)
