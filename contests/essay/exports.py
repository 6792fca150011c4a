"""Exports of a round: the organizers' workbook and the anonymous PDF bundle for judges.

Both follow the reader's language (Vietnamese unless they chose English).
"""

from __future__ import annotations

import io

import sqlalchemy as sa
from flask_babel import gettext as _

from contests.essay import anonymity, services
from contests.essay.models import Entry, EntryStatus, EssayRound
from core.accounts.models import User
from core.extensions import db
from core.i18n import format_when
from core.pdf import new_document, to_bytes
from core.schools.models import School, SchoolClass
from core.spreadsheets import workbook_bytes
from core.storage import storage


def columns() -> list[str]:
    """The entries sheet's columns, in the reader's language."""
    return [
        _("Entry code"),
        _("Full name"),
        _("School"),
        _("Class"),
        _("Entry status"),
        _("Title"),
        _("Words"),
        _("Number of photos"),
        _("Time submitted"),
        _("Name may be published (student)"),
        _("Name may be published (parent)"),
        _("Reason for disqualification"),
    ]


def status_label(status: EntryStatus) -> str:
    labels = {
        EntryStatus.DRAFT: _("Draft entry"),
        EntryStatus.SUBMITTED: _("Submitted entry"),
        EntryStatus.WITHDRAWN: _("Withdrawn entry"),
        EntryStatus.DISQUALIFIED: _("Disqualified entry"),
    }
    return labels[status]


def entries_workbook(round_: EssayRound) -> bytes:
    """Every entry of the round, with its author (organizers only)."""
    rows = db.session.execute(
        sa.select(Entry, User.full_name, School.name, SchoolClass.name)
        .join(User, User.id == Entry.student_id)
        .outerjoin(School, School.id == Entry.school_id)
        .outerjoin(SchoolClass, SchoolClass.id == Entry.class_id)
        .where(Entry.round_id == round_.id)
        .options(sa.orm.selectinload(Entry.photos))
        .order_by(School.name, User.full_name)
    ).all()
    data = [
        [
            entry.code,
            name,
            school or "",
            class_name or "",
            status_label(entry.status),
            entry.title,
            entry.word_count,
            len(entry.photos),
            format_when(entry.submitted_at),
            _("Yes") if entry.consent_student else _("No"),
            _("Yes") if entry.consent_parent else _("No"),
            entry.disqualified_reason or "",
        ]
        for entry, name, school, class_name in rows
    ]
    return workbook_bytes([(_("Essay entries"), columns(), data)])


def anonymous_bundle(round_: EssayRound) -> bytes:
    """A PDF of the submitted entries known only by code, names and schools masked."""
    pdf = new_document(title=round_.name)
    pdf.add_page()
    pdf.set_font(size=16, style="B")
    pdf.multi_cell(0, 9, round_.name, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(size=11, style="")
    pdf.multi_cell(
        0,
        6,
        _("Anonymous entries for judging: each is known only by its code."),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    for entry in services.submitted_entries(round_):
        payload = anonymity.judge_payload(entry)
        pdf.add_page()
        pdf.set_font(size=10, style="B")
        pdf.cell(0, 6, payload["code"], new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(size=14, style="B")
        pdf.multi_cell(0, 8, payload["title"], new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(size=11, style="")
        for paragraph in services.paragraphs(payload["body"]):
            pdf.multi_cell(0, 6, paragraph, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        pdf.set_font(size=9, style="")
        pdf.cell(
            0,
            6,
            _("%(n)d words", n=payload["word_count"]),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        keys = {p.id: p.storage_key for p in entry.photos}
        for photo in payload["photos"]:
            pdf.ln(2)
            # Photos were re-encoded without metadata when uploaded.
            pdf.image(io.BytesIO(storage().read(keys[photo["id"]])), w=80)
            if photo["caption"]:
                pdf.multi_cell(0, 5, photo["caption"], new_x="LMARGIN", new_y="NEXT")
    return to_bytes(pdf)
