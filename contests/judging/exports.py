"""Documents of a judged round: the .xlsx of every mark and result, and PDF certificates.

The workbook follows the reader's language (Vietnamese unless they chose English).
Certificates use ``core.pdf`` (DejaVu Sans embedded), so Vietnamese names render exactly.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import format_date, get_locale
from flask_babel import gettext as _

from contests.essay.models import Entry, EssayRound
from contests.judging import services
from contests.judging.models import Assignment, Award, Result
from core.accounts.models import User
from core.clock import local_zone
from core.extensions import db
from core.i18n import format_number
from core.organisations.services import issuer_heading
from core.pdf import new_document, to_bytes
from core.schools.models import School, SchoolClass
from core.spreadsheets import workbook_bytes


def mark_headers() -> list[str]:
    """The marks sheet's first columns, in the reader's language."""
    return [_("Entry code"), _("Judge"), _("Marking pass"), _("Sheet status")]


def result_headers() -> list[str]:
    """The results sheet's columns, in the reader's language."""
    return [
        _("Entry code"),
        _("Full name"),
        _("School"),
        _("Class"),
        _("Score"),
        _("Ranking"),
        _("Tied"),
        _("Prize"),
        _("Goes to the next round"),
    ]


def round_workbook(round_: EssayRound) -> bytes:
    """Every sheet (per-criterion marks, total, comment) and every result of the round."""
    rubric = services.current_rubric(round_.id)
    criteria = rubric.criteria if rubric else []
    sheets = db.session.scalars(
        sa.select(Assignment)
        .where(Assignment.round_id == round_.id)
        .options(
            sa.orm.joinedload(Assignment.entry),
            sa.orm.joinedload(Assignment.judge),
            sa.orm.selectinload(Assignment.marks),
        )
        .order_by(Assignment.entry_id, Assignment.id)
    ).all()
    mark_rows = []
    for sheet in sheets:
        values = {m.criterion_id: float(m.value) for m in sheet.marks}
        total = sheet.total()
        mark_rows.append(
            [
                sheet.entry.code,
                sheet.judge.full_name,
                sheet.kind.value,
                sheet.status.value,
                *(values.get(c.id) for c in criteria),
                float(total) if total is not None else None,
                sheet.comment,
            ]
        )
    latest = services.latest_resolutions(round_.id)
    results = {r.entry_id: r for r in services.published_results(round_.id)}
    rows = db.session.execute(
        sa.select(Entry, User.full_name, School.name, SchoolClass.name)
        .join(User, User.id == Entry.student_id)
        .outerjoin(School, School.id == Entry.school_id)
        .outerjoin(SchoolClass, SchoolClass.id == Entry.class_id)
        .where(Entry.round_id == round_.id, Entry.status == "submitted")
        .order_by(Entry.code)
    ).all()
    result_rows = []
    for entry, name, school, class_name in rows:
        result = results.get(entry.id)
        resolution = latest.get(entry.id)
        score = result.score if result else (resolution.value if resolution else None)
        result_rows.append(
            [
                entry.code,
                name,
                school or "",
                class_name or "",
                float(score) if score is not None else None,
                result.rank if result else None,
                (_("yes") if result.tied else "") if result else "",
                award_label(result.award) if result else "",
                (_("yes") if result.advanced else "") if result else "",
            ]
        )
    result_rows.sort(key=lambda r: (r[5] is None, r[5] or 0, r[0]))
    headers = mark_headers() + [c.name for c in criteria] + [_("Total"), _("Judge's comment")]
    return workbook_bytes(
        [(_("Marking sheets"), headers, mark_rows), (_("Results"), result_headers(), result_rows)]
    )


def award_label(award: Award) -> str:
    labels = {
        Award.FIRST: _("First prize"),
        Award.SECOND: _("Second prize"),
        Award.THIRD: _("Third prize"),
        Award.MERIT: _("Merit prize"),
        Award.PARTICIPATION: _("Took part"),
    }
    return labels[award]


#: The certificate's text stays between these margins, inside the inner border (mm).
CERT_MARGIN = 24
#: The footer line (date, entry code) sits here, above the inner border's bottom at 196 mm.
CERT_FOOTER_Y = 178
#: The body ends above the footer: long titles shrink, then wrap, then are cut to fit.
CERT_BODY_BOTTOM = 170


def certificate_date(day) -> str:
    """A date as a certificate writes it: "ngày 24 tháng 2 năm 2026" in Vietnamese."""
    if str(get_locale()).startswith("vi"):
        return format_date(day, format="'ngày' d 'tháng' M 'năm' y")
    return format_date(day, format="long")


def _fitted(pdf, text: str, *, size: float, lines: int, smallest: float = 11) -> list[str]:
    """Set the largest font size (down to ``smallest``) at which ``text`` takes at most
    ``lines`` lines; return the lines (the last one cut with "…" if it still does not fit)."""
    while True:
        pdf.set_font_size(size)
        wrapped = pdf.multi_cell(0, 8, text, align="C", dry_run=True, output="LINES")
        if len(wrapped) <= lines or size <= smallest:
            break
        size -= 1
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        last = wrapped[-1]
        while last and pdf.get_string_width(last + "…") > pdf.epw:
            last = last[:-1]
        wrapped[-1] = last.rstrip() + "…"
    return wrapped


def certificate_pdf(result: Result) -> bytes:
    """A one-page certificate (landscape A4) for a winner, or of participation.

    Whatever the length of the names and titles, everything stays on the page and inside the
    border: the body shrinks to fit and the date and the entry code have their own line.
    """
    entry = result.entry
    student = entry.student
    school = db.session.get(School, entry.school_id) if entry.school_id else None
    school_class = db.session.get(SchoolClass, entry.class_id) if entry.class_id else None
    round_ = entry.round
    pdf = new_document(orientation="L", title=_("Certificate"))
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(CERT_MARGIN, 20, CERT_MARGIN)
    pdf.add_page()
    pdf.set_draw_color(46, 125, 50)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 277, 190)
    pdf.set_line_width(0.4)
    pdf.rect(14, 14, 269, 182)
    pdf.set_y(24)
    pdf.set_font("DejaVu", "B", 12)
    # The contest's issuing body (data an organizer edits), else the school's district.
    issuer = issuer_heading(
        "essay_contest", round_.contest_id, fallback=school.district.name if school else ""
    )
    pdf.cell(0, 7, issuer.upper(), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 30)
    pdf.ln(6)
    winner = result.award != Award.PARTICIPATION
    title = _("CERTIFICATE OF MERIT") if winner else _("CERTIFICATE OF PARTICIPATION")
    pdf.set_text_color(46, 125, 50)
    pdf.cell(0, 15, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("DejaVu", "", 14)
    pdf.ln(3)
    pdf.cell(0, 9, _("This certifies that"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 26)
    for line in _fitted(pdf, student.full_name, size=26, lines=1, smallest=16):
        pdf.cell(0, 14, line, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 14)
    where = ", ".join(
        p
        for p in (
            (_("class %(name)s", name=school_class.name) if school_class else ""),
            school.name if school else "",
        )
        if p
    )
    if where:
        for line in _fitted(pdf, where, size=14, lines=1):
            pdf.cell(0, 8, line, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    if winner:
        pdf.set_font("DejaVu", "B", 18)
        pdf.cell(
            0,
            10,
            _("has won the %(award)s", award=award_label(result.award)),
            align="C",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_font("DejaVu", "", 13)
        score = format_number(result.score)
        pdf.cell(0, 7, _("with %(score)s points", score=score), align="C", new_x="LMARGIN")
        pdf.ln(7)
        pdf.set_font("DejaVu", "", 14)
    else:
        pdf.cell(0, 9, _("has taken part in"), align="C", new_x="LMARGIN", new_y="NEXT")
    room = max(1, int((CERT_BODY_BOTTOM - pdf.get_y()) // 8))
    for line in _fitted(pdf, round_.contest.title, size=14, lines=max(1, room - 1)):
        pdf.cell(0, 8, line, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font_size(14)
    for line in _fitted(pdf, round_.name, size=14, lines=1):
        pdf.cell(0, 8, line, align="C", new_x="LMARGIN", new_y="NEXT")
    day = result.published_at.astimezone(local_zone()).date()
    pdf.set_font("DejaVu", "", 12)
    pdf.set_xy(CERT_MARGIN, CERT_FOOTER_Y)
    pdf.cell(0, 8, _("Code %(code)s", code=entry.code), align="L")
    pdf.set_xy(CERT_MARGIN, CERT_FOOTER_Y)
    pdf.cell(0, 8, certificate_date(day), align="R")
    return to_bytes(pdf)
