"""A school's assessment and activities, with their evidence (photos, PDFs, links).

A coordinator writes an activity (draft), adds evidence and submits it; a returned activity is
edited and submitted again. Nothing changes while the school's assessment is locked.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from campaign.greennet.models import (
    Activity,
    ActivityStatus,
    Assessment,
    Criterion,
    Evidence,
    EvidenceKind,
    Movement,
)
from campaign.greennet.services.criteria import criteria_for_school
from core import audit
from core.clock import utcnow
from core.errors import Conflict, ValidationFailed
from core.extensions import db
from core.i18n import format_number
from core.schools.models import School
from core.storage import storage
from core.uploads import clean_image

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024


PDF_MAGIC = b"%PDF-"


class AssessmentLocked(Conflict):
    """The school's assessment is locked at a milestone."""

    code = "locked"


def assessment_for(movement: Movement, school: School) -> Assessment:
    """The school's assessment in the movement (made on first use)."""
    found = db.session.scalar(
        sa.select(Assessment).where(
            Assessment.movement_id == movement.id, Assessment.school_id == school.id
        )
    )
    if found is None:
        found = Assessment(movement_id=movement.id, school_id=school.id)
        db.session.add(found)
        db.session.flush()
    return found


def find_assessment(movement: Movement, school: School) -> Assessment | None:
    """The school's assessment if it exists (reading never creates one)."""
    return db.session.scalar(
        sa.select(Assessment).where(
            Assessment.movement_id == movement.id, Assessment.school_id == school.id
        )
    )


def check_open(movement_id: int, school_id: int) -> None:
    """Refuse any change while the school's assessment is locked at a milestone."""
    locked = db.session.scalar(
        sa.select(Assessment.locked_at).where(
            Assessment.movement_id == movement_id, Assessment.school_id == school_id
        )
    )
    if locked is not None:
        raise AssessmentLocked(
            _("The school's assessment is locked; the district must reopen it first.")
        )


def check_score(criterion: Criterion, score: float) -> None:
    """Refuse a score below 0 or above the criterion's maximum."""
    if score is None or score < 0 or score > criterion.max_points:
        raise ValidationFailed(
            _("The score must be between 0 and %(max)s.", max=format_number(criterion.max_points)),
            field="self_score",
        )


def save_activity(
    *,
    actor,
    movement: Movement,
    school: School,
    activity: Activity | None = None,
    criterion_id: int,
    title: str,
    happened_on: date,
    description: str = "",
    participants: int = 0,
    self_score: float = 0.0,
    now: datetime | None = None,
) -> Activity:
    """Create or edit a school's activity (drafts and returned activities only)."""
    now = now or utcnow()
    check_open(movement.id, school.id)
    criterion = db.session.get(Criterion, criterion_id)
    valid = {c.id for c in criteria_for_school(movement, school) if not c.computed}
    if criterion is None or criterion.id not in valid:
        raise ValidationFailed(_("Choose one of your level's criteria."), field="criterion_id")
    check_score(criterion, self_score)
    if activity is not None and not activity.editable:
        raise Conflict(_("Only drafts and returned activities can be edited."))
    if participants is not None and participants < 0:
        raise ValidationFailed(
            _("The number of participants cannot be negative."), field="participants"
        )
    created = activity is None
    if created:
        activity = Activity(
            movement_id=movement.id,
            school_id=school.id,
            created_by_id=getattr(actor, "id", None),
            created_at=now,
        )
        db.session.add(activity)
    activity.criterion_id = criterion.id
    activity.criterion = criterion
    activity.title = title.strip()
    activity.happened_on = happened_on
    activity.description = (description or "").strip()
    activity.participants = participants or 0
    activity.self_score = float(self_score)
    activity.updated_at = now
    assessment_for(movement, school)
    db.session.flush()
    return activity


def _check_editable(activity: Activity) -> None:
    check_open(activity.movement_id, activity.school_id)
    if not activity.editable:
        raise Conflict(_("Only drafts and returned activities can be changed."))


def add_photo(*, actor, activity: Activity, data: bytes, filename: str = "", now=None) -> Evidence:
    """Attach a photo: re-encoded, metadata stripped, at most 10 MB."""
    _check_editable(activity)
    image = clean_image(data, max_bytes=EVIDENCE_MAX_BYTES, max_side=1600)
    key = storage().save(image.data, prefix="greennet", suffix=image.suffix)
    return _add_evidence(
        activity,
        EvidenceKind.PHOTO,
        key=key,
        filename=filename,
        mimetype=image.mimetype,
        size=len(image.data),
        now=now,
    )


def _is_pdf_with_pages(data: bytes) -> bool:
    """A PDF header is not enough (a script can follow it): the document must parse and have
    at least one page."""
    if not data.startswith(PDF_MAGIC) or b"%%EOF" not in data[-2048:]:
        return False
    try:
        return len(PdfReader(io.BytesIO(data), strict=False).pages) > 0
    except (
        PyPdfError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        RecursionError,
    ):
        return False


def add_pdf(*, actor, activity: Activity, data: bytes, filename: str = "", now=None) -> Evidence:
    """Attach a PDF document: checked by its size and by parsing it (one page at least)."""
    from core.uploads import FileTooLarge

    _check_editable(activity)
    if len(data) > EVIDENCE_MAX_BYTES:
        raise FileTooLarge(_("The file is larger than %(mb)d MB.", mb=10), field="file")
    if not _is_pdf_with_pages(data):
        raise ValidationFailed(_("Only PDF documents can be attached as files."), field="file")
    key = storage().save(data, prefix="greennet", suffix=".pdf")
    return _add_evidence(
        activity,
        EvidenceKind.FILE,
        key=key,
        filename=filename,
        mimetype="application/pdf",
        size=len(data),
        now=now,
    )


def add_link(*, actor, activity: Activity, url: str, now=None) -> Evidence:
    """Attach a link to the school's post, website article or fanpage."""
    _check_editable(activity)
    url = (url or "").strip()
    if not re.fullmatch(r"https?://[^\s/$.?#][^\s]{2,490}", url):
        raise ValidationFailed(_("Enter a full web address starting with https://."), field="url")
    return _add_evidence(activity, EvidenceKind.LINK, url=url, filename=url[:200], now=now)


def add_evidence_file(
    *, actor, activity: Activity, data: bytes, filename: str, now=None
) -> Evidence:
    """Attach an uploaded file: a PDF if it says so, otherwise it must be an image."""
    if data.startswith(PDF_MAGIC):
        return add_pdf(actor=actor, activity=activity, data=data, filename=filename, now=now)
    return add_photo(actor=actor, activity=activity, data=data, filename=filename, now=now)


def _add_evidence(
    activity, kind, *, key=None, url=None, filename="", mimetype="", size=0, now=None
):
    evidence = Evidence(
        kind=kind,
        storage_key=key,
        url=url,
        filename=(filename or "")[:200],
        mimetype=mimetype,
        size=size,
        created_at=now or utcnow(),
    )
    activity.evidence.append(evidence)
    activity.updated_at = now or utcnow()
    db.session.flush()
    return evidence


def remove_evidence(*, actor, evidence: Evidence) -> None:
    """Remove evidence from a draft or returned activity (its file is deleted too)."""
    _check_editable(evidence.activity)
    key = evidence.storage_key
    evidence.activity.evidence.remove(evidence)
    db.session.flush()
    if key:
        storage().delete(key)


def missing_evidence(activity: Activity) -> list[EvidenceKind]:
    have = {e.kind for e in activity.evidence}
    return [k for k in activity.criterion.required_kinds if k not in have]


def submit_activity(*, actor, activity: Activity, now: datetime | None = None) -> Activity:
    """Send a draft or returned activity to the district; the evidence must be complete."""
    now = now or utcnow()
    _check_editable(activity)
    if activity.criterion.required_kinds and not activity.evidence:
        raise ValidationFailed(_("Add the evidence this criterion needs before submitting."))
    missing = missing_evidence(activity)
    if missing:
        raise ValidationFailed(_("Add the evidence this criterion needs before submitting."))
    before = activity.status.value
    result = db.session.execute(
        sa.update(Activity)
        .where(
            Activity.id == activity.id,
            Activity.status.in_([ActivityStatus.DRAFT, ActivityStatus.RETURNED]),
        )
        .values(status=ActivityStatus.SUBMITTED, submitted_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict(_("The activity has already been submitted."))
    db.session.refresh(activity)
    audit.record(
        actor=actor,
        action="greennet.activity.submit",
        obj=activity,
        before={"status": before},
        after={"status": "submitted", "self_score": activity.self_score},
        now=now,
    )
    return activity


def delete_activity(*, actor, activity: Activity) -> None:
    """Delete a draft (never a submitted or verified activity)."""
    check_open(activity.movement_id, activity.school_id)
    if activity.status != ActivityStatus.DRAFT:
        raise Conflict(_("Only drafts can be deleted."))
    keys = [e.storage_key for e in activity.evidence if e.storage_key]
    db.session.delete(activity)
    db.session.flush()
    for key in keys:
        storage().delete(key)


def activities_for(movement: Movement, school: School) -> list[Activity]:
    return list(
        db.session.scalars(
            sa.select(Activity)
            .where(Activity.movement_id == movement.id, Activity.school_id == school.id)
            .options(sa.orm.selectinload(Activity.evidence), sa.orm.joinedload(Activity.criterion))
            .order_by(Activity.happened_on.desc(), Activity.id.desc())
        ).unique()
    )
