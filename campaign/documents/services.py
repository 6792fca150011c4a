"""Official documents: keep the organizer's draft, and render it as .docx or PDF."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from campaign.documents import drafting
from campaign.documents.docx_writer import docx_bytes
from campaign.documents.models import DocumentDraft
from campaign.documents.pdf_writer import pdf_bytes
from campaign.documents.subjects import Subject, is_final
from core import audit
from core.clock import utcnow
from core.errors import Conflict, ValidationFailed
from core.extensions import db

FORMATS = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


class NotFinal(Conflict):
    """The figures behind the document may still change."""


def stored_draft(subject: Subject) -> DocumentDraft | None:
    return db.session.scalar(
        sa.select(DocumentDraft).where(
            DocumentDraft.kind == subject.kind.slug, DocumentDraft.scope == subject.scope
        )
    )


def draft_for(subject: Subject) -> DocumentDraft:
    """The saved draft, or a new one pre-filled from the data (not saved)."""
    return stored_draft(subject) or drafting.new_draft(subject)


def save_draft(
    *,
    actor,
    subject: Subject,
    subject_line: str,
    sections: dict[str, str],
    recipients: str,
    number: int | None,
    issued_on: date | None,
    now: datetime | None = None,
) -> DocumentDraft:
    """Keep the organizer's text, number and date; a number once given stays unless changed."""
    now = now or utcnow()
    if number is not None and number < 1:
        raise ValidationFailed(_("A document number is a positive whole number."), field="number")
    draft = stored_draft(subject)
    before = None
    if draft is None:
        draft = drafting.new_draft(subject)
        db.session.add(draft)
    else:
        before = {"number": draft.number, "issued_on": str(draft.issued_on or "")}
    allowed = drafting.SECTIONS[subject.kind.slug]
    draft.sections = {key: (sections.get(key) or "").strip() for key in allowed}
    draft.subject = subject_line.strip() or drafting.default_subject_line(subject)
    draft.recipients = recipients.strip()
    draft.number = number
    draft.issued_on = issued_on
    draft.updated_at, draft.updated_by_id = now, getattr(actor, "id", None)
    db.session.flush()
    audit.record(
        actor=actor,
        action="document.save",
        obj=draft,
        before=before,
        after={"number": number, "issued_on": str(issued_on or "")},
        now=now,
    )
    return draft


def render(subject: Subject, fmt: str) -> bytes:
    """The document as .docx or PDF; refused while its figures are not final."""
    if fmt not in FORMATS:
        raise ValidationFailed(_("Choose docx or pdf."), field="format")
    if not is_final(subject):
        raise NotFinal(
            _("The figures are not final yet: lock the milestone or publish the results first.")
        )
    document = drafting.build(subject, draft_for(subject))
    return docx_bytes(document) if fmt == "docx" else pdf_bytes(document)


def file_name(subject: Subject, fmt: str) -> str:
    return f"{subject.kind.slug}-{subject.scope.replace(':', '-')}.{fmt}"
