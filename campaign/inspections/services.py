"""Plan an inspection, record findings per criterion, act on an activity, conclude.

A finding may return an activity for more evidence or adjust its verified score: both go
through the movement's own verification services, so they are audited like any other.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _

from campaign.greennet import services as greennet
from campaign.greennet.models import Activity, Movement
from campaign.inspections.models import (
    Finding,
    FindingPhoto,
    Inspection,
    InspectionKind,
    InspectionStatus,
    Rating,
)
from core import audit
from core.clock import utcnow
from core.errors import Conflict, ValidationFailed
from core.extensions import db
from core.schools.models import School
from core.storage import storage
from core.uploads import clean_image

PHOTO_MAX_BYTES = greennet.EVIDENCE_MAX_BYTES


def plan_inspection(
    *,
    actor,
    movement: Movement,
    school: School,
    kind: InspectionKind | str,
    starts_on: date,
    ends_on: date,
    team: str,
    scope: str = "",
    school_representatives: str = "",
    now: datetime | None = None,
) -> Inspection:
    """Plan an inspection; its checklist is the school's current criteria."""
    if ends_on < starts_on:
        raise ValidationFailed(_("The inspection cannot end before it starts."), field="ends_on")
    if not team.strip():
        raise ValidationFailed(_("Name the inspection team."), field="team")
    inspection = Inspection(
        movement_id=movement.id,
        school_id=school.id,
        kind=InspectionKind(kind),
        starts_on=starts_on,
        ends_on=ends_on,
        team=team.strip(),
        scope=scope.strip(),
        school_representatives=school_representatives.strip(),
        created_by_id=getattr(actor, "id", None),
        created_at=now or utcnow(),
    )
    db.session.add(inspection)
    for position, criterion in enumerate(greennet.criteria_for_school(movement, school)):
        inspection.findings.append(Finding(criterion_id=criterion.id, position=position))
    db.session.flush()
    audit.record(
        actor=actor,
        action="inspection.plan",
        obj=inspection,
        after={"school": school.id, "kind": inspection.kind.value, "starts_on": str(starts_on)},
        now=now,
    )
    return inspection


def _check_open(inspection: Inspection) -> None:
    if inspection.status == InspectionStatus.CONCLUDED:
        raise Conflict(_("The inspection is concluded."))


def record_finding(
    *, actor, finding: Finding, rating: Rating | str, note: str = "", now=None
) -> Finding:
    """Rate one criterion and note what the team saw."""
    _check_open(finding.inspection)
    finding.rating = Rating(rating)
    finding.note = note.strip()
    db.session.flush()
    audit.record(
        actor=actor,
        action="inspection.finding",
        obj=finding,
        after={"rating": finding.rating.value, "note": finding.note},
        now=now,
    )
    return finding


def add_finding_photo(
    *, actor, finding: Finding, data: bytes, filename: str = "", now=None
) -> FindingPhoto:
    """Attach a photo: re-encoded and stripped of metadata, as the movement's evidence is."""
    _check_open(finding.inspection)
    image = clean_image(data, max_bytes=PHOTO_MAX_BYTES, max_side=1600)
    key = storage().save(image.data, prefix="inspections", suffix=image.suffix)
    photo = FindingPhoto(
        storage_key=key,
        filename=(filename or "")[:200],
        size=len(image.data),
        created_at=now or utcnow(),
    )
    finding.photos.append(photo)
    db.session.flush()
    return photo


def _activity_of(finding: Finding, activity: Activity) -> Activity:
    inspection = finding.inspection
    if (
        activity.school_id != inspection.school_id
        or activity.movement_id != inspection.movement_id
        or activity.criterion_id != finding.criterion_id
    ):
        raise ValidationFailed(_("The activity is not one of this criterion at this school."))
    return activity


def return_from_finding(
    *, actor, finding: Finding, activity: Activity, reason: str, deadline: date, now=None
) -> Activity:
    """Return an activity for more evidence because of what the inspection found."""
    _check_open(finding.inspection)
    activity = _activity_of(finding, activity)
    greennet.return_activity(
        actor=actor, activity=activity, reason=reason, deadline=deadline, now=now
    )
    finding.activity_id = activity.id
    db.session.flush()
    return activity


def adjust_from_finding(
    *, actor, finding: Finding, activity: Activity, points: float, comment: str, now=None
) -> Activity:
    """Adjust an activity's verified score because of what the inspection found."""
    _check_open(finding.inspection)
    activity = _activity_of(finding, activity)
    greennet.approve_activity(
        actor=actor, activity=activity, points=points, comment=comment, now=now
    )
    finding.activity_id = activity.id
    db.session.flush()
    return activity


def conclude(*, actor, inspection: Inspection, conclusion: str, now=None) -> Inspection:
    """Conclude the inspection; its minutes may then be issued."""
    _check_open(inspection)
    if any(f.rating is None for f in inspection.findings):
        raise ValidationFailed(_("Rate every criterion before concluding."))
    inspection.conclusion = conclusion.strip()
    inspection.status = InspectionStatus.CONCLUDED
    inspection.concluded_at = now or utcnow()
    db.session.flush()
    audit.record(actor=actor, action="inspection.conclude", obj=inspection, now=now)
    return inspection
