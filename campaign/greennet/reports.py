"""The school's self-review and the district summary, as .xlsx and as PDF with charts.

Reports are official documents in Vietnamese (the language of the district office), so their
headings are fixed Vietnamese text, like the columns of an import format.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from campaign.greennet import services
from campaign.greennet.models import ActivityStatus, MilestoneKind, Movement, Tier
from core import pdf as core_pdf
from core.i18n import format_number, format_when
from core.schools.models import School, SchoolLevel
from core.spreadsheets import workbook_bytes

if TYPE_CHECKING:
    import pandas as pd

TIER_VI = {Tier.EXCELLENT: "Xuất sắc", Tier.GOOD: "Tốt", Tier.PASS: "Đạt", Tier.FAIL: "Chưa đạt"}
STATUS_VI = {
    ActivityStatus.DRAFT: "Nháp",
    ActivityStatus.SUBMITTED: "Chờ duyệt",
    ActivityStatus.RETURNED: "Trả lại bổ sung",
    ActivityStatus.APPROVED: "Đã duyệt",
}
LEVEL_VI = {SchoolLevel.MN: "Mầm non", SchoolLevel.TH: "Tiểu học", SchoolLevel.THCS: "THCS"}
GREEN = (46, 125, 50)
GREY = (200, 200, 200)


def tier_counts(rows) -> pd.DataFrame:
    """Schools per level (rows) and tier (columns), every level and tier present, zeros included."""
    import pandas as pd  # on use: pandas is not loaded when the application starts

    frame = pd.DataFrame(
        {"level": [r.school.level for r in rows], "tier": [r.tier for r in rows]},
        dtype=object,
    )
    counts = frame.groupby(["level", "tier"]).size().unstack()
    return counts.reindex(index=list(SchoolLevel), columns=list(Tier)).fillna(0).astype(int)


REVIEW_VI = {MilestoneKind.MIDTERM: "Sơ kết", MilestoneKind.FINAL: "Tổng kết"}


def review_name(milestone) -> str:
    """The report's type: the milestone the organizer chose, never the calendar.

    Without a choice it is the milestone the school's figures are locked at, else a plain
    self-review ("Tự đánh giá") of the figures as they are.
    """
    return REVIEW_VI.get(milestone, "Tự đánh giá")


def _school_score(movement, school, milestone, now):
    """The school's figures for the chosen milestone (its locked record when locked there)."""
    kind = services.milestone_kind(milestone) if milestone is not None else None
    score = services.school_standing(movement, school, now=now, milestone=kind)
    return score, kind or score.shown_milestone


def school_xlsx(movement: Movement, school: School, *, milestone=None, now=None) -> bytes:
    """The school's self-review workbook: summary, criteria and activities."""
    score, kind = _school_score(movement, school, milestone, now)
    record = score.records.get(kind)
    summary = [
        ["Trường", school.name],
        ["Năm học", movement.school_year],
        ["Báo cáo", review_name(kind)],
        ["Đã khóa", "Có" if record else "Chưa"],
        ["Tổng điểm", score.points],
        ["Điểm tối đa", score.max_points],
        ["Tỉ lệ (%)", score.percent],
        ["Xếp loại", TIER_VI[score.tier]],
        ["Thứ hạng trong cấp học", score.rank],
    ]
    criteria = [
        [
            c.criterion.code,
            c.criterion.title,
            c.criterion.max_points,
            c.points,
            "Tự động" if c.criterion.computed else c.approved,
            c.pending,
            "Còn thiếu" if c.missing else "",
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
            STATUS_VI[a.status],
            a.verifier_comment,
            len(a.evidence),
        ]
        for a in services.activities_for(movement, school)
    ]
    return workbook_bytes(
        [
            ("Tổng hợp", ["Mục", "Giá trị"], summary),
            (
                "Tiêu chí",
                [
                    "Mã",
                    "Tiêu chí",
                    "Điểm tối đa",
                    "Điểm đạt",
                    "Hoạt động đã duyệt",
                    "Chờ duyệt",
                    "Ghi chú",
                ],
                criteria,
            ),
            (
                "Hoạt động",
                [
                    "Ngày",
                    "Tiêu chí",
                    "Hoạt động",
                    "Số người tham gia",
                    "Tự chấm",
                    "Điểm duyệt",
                    "Trạng thái",
                    "Nhận xét",
                    "Số minh chứng",
                ],
                activities,
            ),
        ]
    )


def _recorded(records: dict, kind: MilestoneKind) -> list:
    """A locked milestone's percentage, tier and rank, or blanks while it is not locked."""
    record = records.get(kind)
    if record is None:
        return [None, None, None]
    return [record.percent, TIER_VI[record.tier], record.rank]


def district_xlsx(movement: Movement, *, milestone=None, now=None) -> bytes:
    """The district summary workbook: every school's score, tier and rank within its level,
    with the locked sơ kết and tổng kết figures beside them."""
    rows = services.standings(movement, now=now, milestone=milestone)
    ranking = [
        [
            LEVEL_VI[r.school.level],
            r.rank,
            r.school.code,
            r.school.name,
            r.points,
            r.max_points,
            r.percent,
            TIER_VI[r.tier],
            r.pending,
            r.overdue,
            *_recorded(r.records, MilestoneKind.MIDTERM),
            *_recorded(r.records, MilestoneKind.FINAL),
        ]
        for r in rows
    ]
    counts = tier_counts(rows)
    tiers = [
        [LEVEL_VI[level], int(counts.loc[level].sum()), *(int(n) for n in counts.loc[level])]
        for level in SchoolLevel
    ]
    return workbook_bytes(
        [
            (
                "Xếp hạng",
                [
                    "Cấp học",
                    "Hạng",
                    "Mã trường",
                    "Trường",
                    "Tổng điểm",
                    "Điểm tối đa",
                    "Tỉ lệ (%)",
                    "Xếp loại",
                    "Chờ duyệt",
                    "Quá hạn bổ sung",
                    "Sơ kết (%)",
                    "Sơ kết xếp loại",
                    "Sơ kết hạng",
                    "Tổng kết (%)",
                    "Tổng kết xếp loại",
                    "Tổng kết hạng",
                ],
                ranking,
            ),
            ("Xếp loại", ["Cấp học", "Số trường"] + [TIER_VI[t] for t in Tier], tiers),
        ]
    )


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
        pdf.cell(18, 5, f"{_vi(value)}/{_vi(maximum)}")
        pdf.set_y(y + 6)
    pdf.ln(3)


def _vi(value: float) -> str:
    """A number as the Vietnamese report writes it: 12,5 (decimal comma)."""
    return format_number(value, locale="vi")


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
            text = "" if value is None else (_vi(value) if isinstance(value, float) else str(value))
            while text and pdf.get_string_width(text) > w - 1:
                text = text[:-2] + "…"
            pdf.cell(w, 6, text, border=1)
        pdf.ln()
    pdf.ln(3)


def school_pdf(movement: Movement, school: School, *, milestone=None, now=None) -> bytes:
    """The school's report for a milestone as a PDF with a chart of points per criterion."""
    score, kind = _school_score(movement, school, milestone, now)
    pdf = core_pdf.new_document(title=f"Báo cáo tự đánh giá {school.name}")
    pdf.add_page()
    pdf.set_font(core_pdf.FONT, "B", 14)
    pdf.multi_cell(
        0,
        8,
        f"BÁO CÁO {review_name(kind).upper()} PHONG TRÀO THI ĐUA \u201cMẠNG XANH\u201d",
        new_x="LMARGIN",
        new_y="NEXT",
        align="C",
    )
    pdf.set_font(core_pdf.FONT, "", 11)
    pdf.multi_cell(
        0,
        6,
        f"{school.name} — năm học {movement.school_year}",
        new_x="LMARGIN",
        new_y="NEXT",
        align="C",
    )
    pdf.ln(4)
    pdf.multi_cell(
        0,
        6,
        f"Tổng điểm: {_vi(score.points)}/{_vi(score.max_points)} ({_vi(score.percent)}%). "
        f"Xếp loại: {TIER_VI[score.tier]}. Thứ hạng trong cấp học: {score.rank}.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    _bar_chart(
        pdf,
        "Điểm theo tiêu chí",
        [c.criterion.code for c in score.criteria],
        [c.points for c in score.criteria],
        [c.criterion.max_points for c in score.criteria],
    )
    _table(
        pdf,
        ["Mã", "Tiêu chí", "Tối đa", "Đạt", "Ghi chú"],
        [14, 110, 18, 18, 30],
        [
            [
                c.criterion.code,
                c.criterion.title,
                c.criterion.max_points,
                c.points,
                "Còn thiếu" if c.missing else "",
            ]
            for c in score.criteria
        ],
    )
    activities = services.activities_for(movement, school)
    pdf.set_font(core_pdf.FONT, "B", 11)
    pdf.cell(0, 8, "Các hoạt động", new_x="LMARGIN", new_y="NEXT")
    _table(
        pdf,
        ["Ngày", "Mã", "Hoạt động", "Tự chấm", "Duyệt", "Trạng thái"],
        [20, 14, 90, 18, 18, 30],
        [
            [
                format_when(a.happened_on, locale="vi"),
                a.criterion.code,
                a.title,
                a.self_score,
                a.awarded_points,
                STATUS_VI[a.status],
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
        orientation="L", title=f"Tổng hợp phong trào Mạng xanh {movement.school_year}"
    )
    pdf.add_page()
    pdf.set_font(core_pdf.FONT, "B", 14)
    pdf.multi_cell(
        0,
        8,
        "TỔNG HỢP KẾT QUẢ PHONG TRÀO THI ĐUA \u201cMẠNG XANH\u201d",
        new_x="LMARGIN",
        new_y="NEXT",
        align="C",
    )
    pdf.set_font(core_pdf.FONT, "", 11)
    pdf.multi_cell(
        0,
        6,
        f"{movement.title} — năm học {movement.school_year}",
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
        counts = ", ".join(f"{TIER_VI[t]}: {per_level.loc[level, t]}" for t in Tier)
        pdf.set_font(core_pdf.FONT, "B", 12)
        pdf.cell(
            0,
            8,
            f"Cấp {LEVEL_VI[level]} ({len(mine)} trường) — {counts}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        _bar_chart(
            pdf,
            "Tỉ lệ điểm đạt (%)",
            [r.school.code for r in mine],
            [r.percent for r in mine],
            [100.0] * len(mine),
        )
        _table(
            pdf,
            [
                "Hạng",
                "Trường",
                "Điểm",
                "%",
                "Xếp loại",
                "Chờ duyệt",
                *["%", "Xếp loại", "Hạng"] * 2,
            ],
            [12, 76, 18, 16, 22, 18, 16, 22, 14, 16, 22, 14],
            [
                [
                    r.rank,
                    r.school.name,
                    r.points,
                    r.percent,
                    TIER_VI[r.tier],
                    r.pending,
                    *_recorded(r.records, MilestoneKind.MIDTERM),
                    *_recorded(r.records, MilestoneKind.FINAL),
                ]
                for r in mine
            ],
            groups=[("Kết quả", 6), ("Sơ kết", 3), ("Tổng kết", 3)],
        )
    return core_pdf.to_bytes(pdf)
