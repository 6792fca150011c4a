"""Movement rules: criteria sets, activities and evidence, verification, scores, tiers, ranks.

Workflow of an activity: a coordinator writes it (draft), adds evidence and submits it; the
district approves it (optionally adjusting the score, with a comment), or returns it for more
evidence with a deadline; a returned activity is edited and submitted again. A school's
assessment can be locked at a milestone (its score and tier are frozen in a snapshot) and
reopened only with a reason. Every verification step is written to the audit log, because
awards can be revoked and the district must show who decided what, when, and why.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

import sqlalchemy as sa
from flask_babel import gettext as _

from campaign import services as campaign_services
from campaign.greennet import metrics
from campaign.greennet.models import (
    Activity,
    ActivityStatus,
    Assessment,
    CriteriaSet,
    Criterion,
    Evidence,
    EvidenceKind,
    Milestone,
    MilestoneKind,
    Movement,
    Snapshot,
    Tier,
)
from core import audit
from core.accounts.models import Role, RoleAssignment
from core.clock import local_today, local_zone, utcnow
from core.errors import Conflict, NotFound, ValidationFailed
from core.extensions import db
from core.schools.models import School, SchoolLevel
from core.spreadsheets import ImportRejected, Report, clean_text, read_table, workbook_bytes
from core.storage import storage
from core.uploads import clean_image

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
PDF_MAGIC = b"%PDF-"


class AssessmentLocked(Conflict):
    """The school's assessment is locked at a milestone."""

    code = "locked"


# --- movements and milestones ----------------------------------------------------------------


def default_milestones(start_year: int) -> list[tuple[MilestoneKind, str, date]]:
    return [
        (MilestoneKind.LAUNCH, "Phát động phong trào", date(start_year, 9, 15)),
        (MilestoneKind.MIDTERM, "Sơ kết học kỳ I", date(start_year + 1, 1, 20)),
        (MilestoneKind.FINAL, "Tổng kết năm học", date(start_year + 1, 5, 25)),
    ]


def create_movement(
    *,
    actor,
    school_year: str,
    title: str,
    campaign_id: int | None = None,
    now: datetime | None = None,
) -> Movement:
    """Start a movement for a school year, with launch, mid-term and final milestones."""
    if not re.fullmatch(r"\d{4}-\d{4}", school_year or "") or (
        int(school_year[5:]) != int(school_year[:4]) + 1
    ):
        raise ValidationFailed(_("Write the school year as 2025-2026."), field="school_year")
    if db.session.scalar(sa.select(Movement.id).where(Movement.school_year == school_year)):
        raise Conflict(
            _("There is already a movement for %(year)s.", year=school_year), field="school_year"
        )
    movement = Movement(
        school_year=school_year,
        title=title.strip(),
        campaign_id=campaign_id,
        created_at=now or utcnow(),
    )
    for kind, label, due in default_milestones(int(school_year[:4])):
        movement.milestones.append(Milestone(kind=kind, title=label, due_on=due))
    db.session.add(movement)
    db.session.flush()
    audit.record(
        actor=actor,
        action="greennet.movement.create",
        obj=movement,
        after={"school_year": school_year},
        now=now,
    )
    return movement


def update_tiers(
    *,
    actor,
    movement: Movement,
    excellent_min: float,
    good_min: float,
    pass_min: float,
    quota_percent: float | None,
    now: datetime | None = None,
) -> None:
    """Change the tier thresholds (percent of maximum) and the top-tier quota."""
    if not (100 >= excellent_min > good_min > pass_min >= 0):
        raise ValidationFailed(
            _("Thresholds must fall from Excellent to Pass, between 0 and 100."),
            field="excellent_min",
        )
    if quota_percent is not None and not (0 < quota_percent <= 100):
        raise ValidationFailed(_("The quota is a percentage between 1 and 100."), field="quota")
    before = _tier_settings(movement)
    movement.excellent_min, movement.good_min, movement.pass_min = excellent_min, good_min, pass_min
    movement.excellent_quota_percent = quota_percent
    audit.record(
        actor=actor,
        action="greennet.tiers",
        obj=movement,
        before=before,
        after=_tier_settings(movement),
        now=now,
    )
    db.session.flush()


def _tier_settings(movement: Movement) -> dict:
    return {
        "excellent_min": movement.excellent_min,
        "good_min": movement.good_min,
        "pass_min": movement.pass_min,
        "quota": movement.excellent_quota_percent,
    }


def set_milestone_date(*, actor, milestone: Milestone, due_on: date, now=None) -> None:
    before = {"due_on": milestone.due_on.isoformat()}
    milestone.due_on = due_on
    audit.record(
        actor=actor,
        action="greennet.milestone",
        obj=milestone,
        before=before,
        after={"due_on": due_on.isoformat()},
        now=now,
    )
    db.session.flush()


def movements() -> list[Movement]:
    return list(db.session.scalars(sa.select(Movement).order_by(Movement.school_year.desc())))


def current_movement(now: datetime | None = None) -> Movement | None:
    """The movement of the current school year, else the latest one."""
    from core.clock import school_year

    year = school_year(now)
    found = db.session.scalar(sa.select(Movement).where(Movement.school_year == year))
    return found or db.session.scalar(sa.select(Movement).order_by(Movement.school_year.desc()))


def period(movement: Movement) -> tuple[datetime, datetime]:
    """The movement's school year as UTC instants: 1 August to 1 August (local time)."""
    zone = local_zone()
    since = datetime.combine(date(movement.start_year, 8, 1), time(), zone).astimezone(UTC)
    until = datetime.combine(date(movement.start_year + 1, 8, 1), time(), zone).astimezone(UTC)
    return since, until


# --- criteria --------------------------------------------------------------------------------


def current_set(movement: Movement, level: SchoolLevel) -> CriteriaSet | None:
    """The newest version of a level's criteria."""
    return db.session.scalar(
        sa.select(CriteriaSet)
        .where(CriteriaSet.movement_id == movement.id, CriteriaSet.level == level)
        .order_by(CriteriaSet.version.desc())
        .limit(1)
    )


def _set_in_use(criteria_set: CriteriaSet) -> bool:
    return bool(
        db.session.scalar(
            sa.select(sa.func.count(Activity.id))
            .join(Criterion, Criterion.id == Activity.criterion_id)
            .where(Criterion.criteria_set_id == criteria_set.id)
        )
    )


def _new_version(*, actor, movement, level, source, now=None) -> CriteriaSet:
    latest = current_set(movement, level)
    if latest is not None and _set_in_use(latest):
        raise Conflict(
            _(
                "Schools have already logged activities against these criteria; "
                "edit criteria one by one instead of replacing the set."
            )
        )
    created = CriteriaSet(
        movement_id=movement.id,
        level=level,
        version=(latest.version + 1) if latest else 1,
        source=source,
        created_by_id=getattr(actor, "id", None),
        created_at=now or utcnow(),
    )
    db.session.add(created)
    return created


def _check_criterion(
    *,
    code,
    title,
    max_points,
    evidence_kinds,
    max_count,
    computed,
    metric,
) -> list[tuple[str, str]]:
    problems = []
    if not code:
        problems.append(("code", _("The code is missing.")))
    if not title:
        problems.append(("title", _("The title is missing.")))
    if max_points is None or max_points <= 0 or max_points > 100:
        problems.append(("max_points", _("Maximum points must be a number from 0.5 to 100.")))
    if max_count is None or max_count < 1:
        problems.append(("max_count", _("The count must be a whole number of at least 1.")))
    for kind in evidence_kinds:
        if kind not in {k.value for k in EvidenceKind}:
            problems.append(("evidence_kinds", _("Unknown evidence kind: %(kind)s.", kind=kind)))
    if computed and metric not in metrics.REGISTRY:
        problems.append(("metric", _("Unknown metric: %(metric)s.", metric=metric or "—")))
    if not computed and metric:
        problems.append(("metric", _("Only computed criteria name a metric.")))
    return problems


def add_criterion(
    *,
    actor,
    movement: Movement,
    level: SchoolLevel,
    code: str,
    title: str,
    guidance: str = "",
    max_points: float,
    evidence_kinds: list[str] = (),
    max_count: int = 1,
    computed: bool = False,
    metric: str | None = None,
    now: datetime | None = None,
) -> Criterion:
    """Add one criterion to a level's current set (version 1 is made if none exists)."""
    code = (code or "").strip()
    problems = _check_criterion(
        code=code,
        title=(title or "").strip(),
        max_points=max_points,
        evidence_kinds=list(evidence_kinds),
        max_count=max_count,
        computed=computed,
        metric=metric or None,
    )
    if problems:
        raise ValidationFailed(problems[0][1], field=problems[0][0])
    criteria_set = current_set(movement, level) or _new_version(
        actor=actor, movement=movement, level=level, source="manual", now=now
    )
    db.session.flush()
    if any(c.code == code for c in criteria_set.criteria):
        raise Conflict(_("The code %(code)s is already used.", code=code), field="code")
    criterion = Criterion(
        code=code,
        title=title.strip(),
        guidance=(guidance or "").strip(),
        max_points=float(max_points),
        evidence_kinds=",".join(evidence_kinds),
        max_count=int(max_count),
        computed=bool(computed),
        metric=metric if computed else None,
        position=len(criteria_set.criteria) + 1,
    )
    criteria_set.criteria.append(criterion)
    db.session.flush()
    audit.record(
        actor=actor,
        action="greennet.criterion.create",
        obj=criterion,
        after={"code": code, "max_points": criterion.max_points},
        now=now,
    )
    return criterion


#: The columns of a criteria workbook (Vietnamese headers are part of the file format).
CRITERIA_COLUMNS = {
    "code": "Mã",
    "title": "Tiêu chí",
    "guidance": "Hướng dẫn",
    "max_points": "Điểm tối đa",
    "evidence": "Minh chứng",
    "max_count": "Số lần tính",
    "metric": "Chỉ số tự động",
}
CRITERIA_REQUIRED = ("code", "title", "max_points")
#: How evidence kinds may be written in the sheet.
EVIDENCE_WORDS = {
    "ảnh": "photo",
    "anh": "photo",
    "photo": "photo",
    "tệp": "file",
    "tep": "file",
    "file": "file",
    "pdf": "file",
    "liên kết": "link",
    "lien ket": "link",
    "link": "link",
}


def _number(value):
    text = clean_text(value).replace(",", ".")
    try:
        return float(text) if text else None
    except ValueError:
        return None


def import_criteria(
    *, actor, movement: Movement, level: SchoolLevel, stream, filename: str, now=None
) -> Report:
    """Import a level's criteria from .xlsx/.csv as a new version: all rows or none."""
    report = Report()
    table = read_table(stream, filename, CRITERIA_COLUMNS, CRITERIA_REQUIRED, report)
    if table is None:
        raise ImportRejected(report)
    rows = []
    seen = set()
    for number, values in table.rows:
        code = clean_text(values.get("code"))
        kinds_text = clean_text(values.get("evidence")).lower()
        kinds = []
        for word in [w.strip() for w in re.split(r"[,;/]", kinds_text) if w.strip()]:
            kinds.append(EVIDENCE_WORDS.get(word, word))
        metric = clean_text(values.get("metric")) or None
        count_value = _number(values.get("max_count"))
        item = {
            "code": code,
            "title": clean_text(values.get("title")),
            "guidance": clean_text(values.get("guidance")),
            "max_points": _number(values.get("max_points")),
            "evidence_kinds": kinds,
            "max_count": int(count_value)
            if count_value and count_value.is_integer()
            else (1 if count_value is None else 0),
            "computed": metric is not None,
            "metric": metric,
        }
        checked = {k: v for k, v in item.items() if k != "guidance"}
        for column, message in _check_criterion(**checked):
            report.add(number, CRITERIA_COLUMNS.get(column, CRITERIA_COLUMNS["evidence"]), message)
        if code in seen:
            report.add(
                number, CRITERIA_COLUMNS["code"], _("The code %(code)s appears twice.", code=code)
            )
        seen.add(code)
        rows.append(item)
    if not report.ok:
        raise ImportRejected(report)
    try:
        criteria_set = _new_version(
            actor=actor, movement=movement, level=level, source="import", now=now
        )
    except Conflict as error:
        report.add(None, None, error.message)
        raise ImportRejected(report) from None
    for position, item in enumerate(rows, start=1):
        item["evidence_kinds"] = ",".join(item["evidence_kinds"])
        criteria_set.criteria.append(Criterion(position=position, **item))
    db.session.flush()
    report.counts = {"criteria": len(rows), "version": criteria_set.version}
    audit.record(
        actor=actor,
        action="greennet.criteria.import",
        obj=criteria_set,
        after={"level": level.value, "version": criteria_set.version, "rows": len(rows)},
        now=now,
    )
    return report


def criteria_workbook(criteria_set: CriteriaSet | None) -> bytes:
    """The criteria as a workbook in the import format (an empty template when None)."""
    kinds_vi = {"photo": "ảnh", "file": "tệp", "link": "liên kết"}
    rows = []
    for c in criteria_set.criteria if criteria_set else []:
        rows.append(
            [
                c.code,
                c.title,
                c.guidance,
                c.max_points,
                ", ".join(kinds_vi[k] for k in c.evidence_kinds.split(",") if k),
                c.max_count,
                c.metric or "",
            ]
        )
    return workbook_bytes([("Tiêu chí", list(CRITERIA_COLUMNS.values()), rows)])


def copy_from_last_year(*, actor, movement: Movement, now=None) -> int:
    """Copy every level's criteria from the previous school year's movement; return how many."""
    previous_year = f"{movement.start_year - 1}-{movement.start_year}"
    previous = db.session.scalar(sa.select(Movement).where(Movement.school_year == previous_year))
    if previous is None:
        raise NotFound(_("There is no movement for %(year)s to copy from.", year=previous_year))
    count = 0
    for level in SchoolLevel:
        source = current_set(previous, level)
        if source is None:
            continue
        target = _new_version(actor=actor, movement=movement, level=level, source="copy", now=now)
        for c in source.criteria:
            target.criteria.append(
                Criterion(
                    code=c.code,
                    title=c.title,
                    guidance=c.guidance,
                    max_points=c.max_points,
                    evidence_kinds=c.evidence_kinds,
                    max_count=c.max_count,
                    computed=c.computed,
                    metric=c.metric,
                    position=c.position,
                )
            )
            count += 1
    db.session.flush()
    audit.record(
        actor=actor,
        action="greennet.criteria.copy",
        obj=movement,
        after={"from": previous_year, "criteria": count},
        now=now,
    )
    return count


# --- assessments and activities ----------------------------------------------------------------


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


def _check_open(movement_id: int, school_id: int) -> None:
    locked = db.session.scalar(
        sa.select(Assessment.locked_at).where(
            Assessment.movement_id == movement_id, Assessment.school_id == school_id
        )
    )
    if locked is not None:
        raise AssessmentLocked(
            _("The school's assessment is locked; the district must reopen it first.")
        )


def _check_score(criterion: Criterion, score: float) -> None:
    if score is None or score < 0 or score > criterion.max_points:
        raise ValidationFailed(
            _("The score must be between 0 and %(max)s.", max=_fmt(criterion.max_points)),
            field="self_score",
        )


def _fmt(value: float) -> str:
    return f"{value:g}"


def criteria_for_school(movement: Movement, school: School) -> list[Criterion]:
    criteria_set = current_set(movement, school.level)
    return list(criteria_set.criteria) if criteria_set else []


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
    _check_open(movement.id, school.id)
    criterion = db.session.get(Criterion, criterion_id)
    valid = {c.id for c in criteria_for_school(movement, school) if not c.computed}
    if criterion is None or criterion.id not in valid:
        raise ValidationFailed(_("Choose one of your level's criteria."), field="criterion_id")
    _check_score(criterion, self_score)
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
    _check_open(activity.movement_id, activity.school_id)
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


def add_pdf(*, actor, activity: Activity, data: bytes, filename: str = "", now=None) -> Evidence:
    """Attach a PDF document: checked by its magic bytes and size."""
    from core.uploads import FileTooLarge

    _check_editable(activity)
    if len(data) > EVIDENCE_MAX_BYTES:
        raise FileTooLarge(_("The file is larger than %(mb)d MB.", mb=10), field="file")
    if not data.startswith(PDF_MAGIC) or b"%%EOF" not in data[-2048:]:
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
    _check_open(activity.movement_id, activity.school_id)
    if activity.status != ActivityStatus.DRAFT:
        raise Conflict(_("Only drafts can be deleted."))
    keys = [e.storage_key for e in activity.evidence if e.storage_key]
    db.session.delete(activity)
    db.session.flush()
    for key in keys:
        storage().delete(key)


# --- verification --------------------------------------------------------------------------------


def coordinator_ids(school_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(RoleAssignment.user_id).where(
                RoleAssignment.role == Role.COORDINATOR, RoleAssignment.school_id == school_id
            )
        )
    )


def approve_activity(
    *, actor, activity: Activity, points: float | None = None, comment: str = "", now=None
) -> Activity:
    """Approve a submitted activity, or adjust an approved one; a changed score needs a comment."""
    now = now or utcnow()
    _check_open(activity.movement_id, activity.school_id)
    if activity.status not in (ActivityStatus.SUBMITTED, ActivityStatus.APPROVED):
        raise Conflict(_("Only submitted or approved activities can be approved."))
    points = activity.self_score if points is None else float(points)
    _check_score(activity.criterion, points)
    comment = (comment or "").strip()
    previous = (
        activity.awarded_points
        if activity.status == ActivityStatus.APPROVED
        else activity.self_score
    )
    if points != previous and not comment:
        raise ValidationFailed(_("Explain in a comment why the score is changed."), field="comment")
    before = {
        "status": activity.status.value,
        "points": activity.awarded_points,
        "self_score": activity.self_score,
    }
    activity.status = ActivityStatus.APPROVED
    activity.awarded_points = points
    activity.verifier_comment = comment or activity.verifier_comment
    activity.return_deadline = None
    activity.verified_at, activity.verified_by_id = now, getattr(actor, "id", None)
    activity.updated_at = now
    action = (
        "greennet.activity.adjust" if points != activity.self_score else "greennet.activity.approve"
    )
    audit.record(
        actor=actor,
        action=action,
        obj=activity,
        before=before,
        after={"status": "approved", "points": points},
        reason=comment or None,
        now=now,
    )
    campaign_services.notify(
        user_ids=coordinator_ids(activity.school_id),
        kind="activity_approved",
        params={"title": activity.title},
        endpoint="greennet.activity",
        values={"activity_id": activity.id},
        now=now,
    )
    db.session.flush()
    return activity


def return_activity(
    *, actor, activity: Activity, reason: str, deadline: date, now: datetime | None = None
) -> Activity:
    """Send an activity back for more evidence, with a reason and a resubmission deadline."""
    now = now or utcnow()
    _check_open(activity.movement_id, activity.school_id)
    if activity.status not in (ActivityStatus.SUBMITTED, ActivityStatus.APPROVED):
        raise Conflict(_("Only submitted or approved activities can be returned."))
    if not (reason or "").strip():
        raise ValidationFailed(_("Say what evidence is missing."), field="comment")
    if deadline is None or deadline < local_today(now):
        raise ValidationFailed(_("The deadline must be today or later."), field="deadline")
    before = {"status": activity.status.value, "points": activity.awarded_points}
    activity.status = ActivityStatus.RETURNED
    activity.awarded_points = None
    activity.verifier_comment = reason.strip()
    activity.return_deadline = deadline
    activity.verified_at, activity.verified_by_id = now, getattr(actor, "id", None)
    activity.updated_at = now
    audit.record(
        actor=actor,
        action="greennet.activity.return",
        obj=activity,
        before=before,
        after={"status": "returned", "deadline": deadline.isoformat()},
        reason=reason.strip(),
        now=now,
    )
    campaign_services.notify(
        user_ids=coordinator_ids(activity.school_id),
        kind="activity_returned",
        params={"title": activity.title},
        endpoint="greennet.activity",
        values={"activity_id": activity.id},
        now=now,
    )
    db.session.flush()
    return activity


def lock_assessment(
    *, actor, movement: Movement, school: School, milestone: Milestone, now=None
) -> Snapshot:
    """Lock a school's assessment at a milestone and freeze its score and tier."""
    now = now or utcnow()
    if milestone.movement_id != movement.id:
        raise NotFound()
    assessment = assessment_for(movement, school)
    if assessment.is_locked:
        raise AssessmentLocked(_("The assessment is already locked."))
    if db.session.scalar(
        sa.select(Snapshot.id).where(
            Snapshot.assessment_id == assessment.id, Snapshot.milestone_id == milestone.id
        )
    ):
        raise Conflict(_("This milestone has already been recorded for the school."))
    score = next(
        s for s in standings(movement, level=school.level, now=now) if s.school.id == school.id
    )
    snapshot = Snapshot(
        assessment_id=assessment.id,
        milestone_id=milestone.id,
        points=score.points,
        percent=score.percent,
        tier=score.tier,
        taken_at=now,
    )
    db.session.add(snapshot)
    assessment.locked_at, assessment.locked_by_id = now, getattr(actor, "id", None)
    assessment.locked_milestone_id = milestone.id
    db.session.flush()
    audit.record(
        actor=actor,
        action="greennet.assessment.lock",
        obj=assessment,
        after={"milestone": milestone.kind.value, "points": score.points, "tier": score.tier.value},
        now=now,
    )
    return snapshot


def reopen_assessment(
    *, actor, movement: Movement, school: School, reason: str, now=None
) -> Assessment:
    """Reopen a locked assessment; only with a written reason."""
    assessment = assessment_for(movement, school)
    if not assessment.is_locked:
        raise Conflict(_("The assessment is not locked."))
    if not (reason or "").strip():
        raise ValidationFailed(
            _("A reason is required to reopen a locked assessment."), field="reason"
        )
    before = {
        "locked_at": assessment.locked_at.isoformat(),
        "milestone": assessment.locked_milestone.kind.value
        if assessment.locked_milestone
        else None,
    }
    assessment.locked_at = assessment.locked_by_id = assessment.locked_milestone_id = None
    audit.record(
        actor=actor,
        action="greennet.assessment.reopen",
        obj=assessment,
        before=before,
        after={"locked_at": None},
        reason=reason.strip(),
        now=now,
    )
    db.session.flush()
    return assessment


# --- scores, tiers, ranks -------------------------------------------------------------------------


@dataclass
class CriterionScore:
    criterion: Criterion
    points: float = 0.0
    approved: int = 0
    pending: int = 0
    returned: int = 0
    drafts: int = 0
    #: Raw metric value for computed criteria (rate or count); None when not computed.
    value: float | None = None
    available: bool = True

    @property
    def missing(self) -> bool:
        return self.points < self.criterion.max_points and not self.pending


@dataclass
class SchoolScore:
    school: School
    points: float = 0.0
    max_points: float = 0.0
    tier: Tier = Tier.FAIL
    rank: int = 0
    pending: int = 0
    overdue: int = 0
    locked: bool = False
    criteria: list[CriterionScore] = field(default_factory=list)

    @property
    def percent(self) -> float:
        return round(100 * self.points / self.max_points, 2) if self.max_points else 0.0


def tier_for(percent: float, movement: Movement) -> Tier:
    """The tier a percentage earns by the movement's thresholds (≥ is inclusive)."""
    if percent >= movement.excellent_min:
        return Tier.EXCELLENT
    if percent >= movement.good_min:
        return Tier.GOOD
    if percent >= movement.pass_min:
        return Tier.PASS
    return Tier.FAIL


def apply_tiers(scores: list[SchoolScore], movement: Movement) -> None:
    """Tier and rank the schools of one level, in place.

    Ranks are shared on equal percentages (1, 1, 3). The top-tier quota is never exceeded: the
    highest-ranked excellent schools keep the tier up to ``floor(quota × schools)``; if a tie
    straddles the cut, every tied school drops to Tốt, so equal scores always get equal tiers.
    """
    ordered = sorted(scores, key=lambda s: (-s.percent, s.school.code))
    previous, rank = None, 0
    for index, score in enumerate(ordered, start=1):
        if score.percent != previous:
            rank, previous = index, score.percent
        score.rank = rank
        score.tier = tier_for(score.percent, movement)
    if movement.excellent_quota_percent is None:
        return
    allowed = math.floor(movement.excellent_quota_percent * len(ordered) / 100 + 1e-9)
    excellent = [s for s in ordered if s.tier == Tier.EXCELLENT]
    keep = {id(s) for s in excellent[:allowed]}
    if allowed < len(excellent) and allowed > 0:
        cut = excellent[allowed].percent
        keep = {id(s) for s in excellent[:allowed] if s.percent != cut}
    for score in excellent:
        if id(score) not in keep:
            score.tier = Tier.GOOD


def standings(
    movement: Movement, *, level: SchoolLevel | None = None, now: datetime | None = None
) -> list[SchoolScore]:
    """Every school's score, tier and rank within its level (a handful of queries in all)."""
    today = local_today(now or utcnow())
    query = sa.select(School).order_by(School.level, School.code)
    if level is not None:
        query = query.where(School.level == level)
    schools = list(db.session.scalars(query))
    sets = {}
    for criteria_set in db.session.scalars(
        sa.select(CriteriaSet)
        .where(CriteriaSet.movement_id == movement.id)
        .options(sa.orm.selectinload(CriteriaSet.criteria))
    ):
        if (
            criteria_set.level not in sets
            or criteria_set.version > sets[criteria_set.level].version
        ):
            sets[criteria_set.level] = criteria_set
    # Plain rows, not ORM objects: a district has thousands of activities.
    activities = defaultdict(list)
    for row in db.session.execute(
        sa.select(
            Activity.school_id,
            Activity.criterion_id,
            Activity.status,
            Activity.awarded_points,
            Activity.return_deadline,
        ).where(
            Activity.movement_id == movement.id, Activity.school_id.in_([s.id for s in schools])
        )
    ):
        activities[row.school_id].append(row)
    locked = set(
        db.session.scalars(
            sa.select(Assessment.school_id).where(
                Assessment.movement_id == movement.id, Assessment.locked_at.is_not(None)
            )
        )
    )
    since, until = period(movement)
    metric_cache: dict[str, metrics.MetricValues] = {}
    needed = {c.metric for s in sets.values() for c in s.criteria if c.computed and c.metric}
    school_ids = [s.id for s in schools]
    for name in sorted(needed):
        metric_cache[name] = metrics.evaluate(name, school_ids, since=since, until=until)
    results = []
    for school in schools:
        criteria_set = sets.get(school.level)
        score = SchoolScore(school=school, locked=school.id in locked)
        by_criterion = defaultdict(list)
        for activity in activities[school.id]:
            by_criterion[activity.criterion_id].append(activity)
            if activity.status == ActivityStatus.SUBMITTED:
                score.pending += 1
            if (
                activity.status == ActivityStatus.RETURNED
                and activity.return_deadline is not None
                and activity.return_deadline < today
            ):
                score.overdue += 1
        for criterion in criteria_set.criteria if criteria_set else []:
            item = CriterionScore(criterion=criterion)
            if criterion.computed:
                values = metric_cache[criterion.metric]
                item.value = values.values.get(school.id, 0.0)
                item.available = values.available
                share = metrics.fraction(criterion.metric, item.value, target=criterion.max_count)
                item.points = round(criterion.max_points * share, 2)
            else:
                mine = by_criterion.get(criterion.id, [])
                awarded = sorted(
                    (a.awarded_points or 0.0 for a in mine if a.status == ActivityStatus.APPROVED),
                    reverse=True,
                )
                item.approved = len(awarded)
                item.pending = sum(a.status == ActivityStatus.SUBMITTED for a in mine)
                item.returned = sum(a.status == ActivityStatus.RETURNED for a in mine)
                item.drafts = sum(a.status == ActivityStatus.DRAFT for a in mine)
                item.points = round(
                    min(criterion.max_points, sum(awarded[: criterion.max_count])), 2
                )
            score.criteria.append(item)
            score.points += item.points
            score.max_points += criterion.max_points
        score.points = round(score.points, 2)
        results.append(score)
    for lvl in SchoolLevel:
        apply_tiers([r for r in results if r.school.level == lvl], movement)
    results.sort(key=lambda s: (list(SchoolLevel).index(s.school.level), s.rank, s.school.code))
    return results


def school_standing(movement: Movement, school: School, now=None) -> SchoolScore:
    return next(
        s for s in standings(movement, level=school.level, now=now) if s.school.id == school.id
    )


def snapshots(movement: Movement) -> dict[int, dict[str, Snapshot]]:
    """school id → milestone kind → snapshot, for the trend over the year."""
    found: dict[int, dict[str, Snapshot]] = defaultdict(dict)
    rows = db.session.execute(
        sa.select(Snapshot, Assessment.school_id, Milestone.kind)
        .join(Assessment, Assessment.id == Snapshot.assessment_id)
        .join(Milestone, Milestone.id == Snapshot.milestone_id)
        .where(Assessment.movement_id == movement.id)
    ).all()
    for snapshot, school_id, kind in rows:
        found[school_id][kind.value] = snapshot
    return found


def activities_for(movement: Movement, school: School) -> list[Activity]:
    return list(
        db.session.scalars(
            sa.select(Activity)
            .where(Activity.movement_id == movement.id, Activity.school_id == school.id)
            .options(sa.orm.selectinload(Activity.evidence), sa.orm.joinedload(Activity.criterion))
            .order_by(Activity.happened_on.desc(), Activity.id.desc())
        ).unique()
    )


def verification_queue(movement: Movement, *, level: SchoolLevel | None = None) -> list[Activity]:
    """Submitted activities waiting for the district, oldest first."""
    query = (
        sa.select(Activity)
        .join(School, School.id == Activity.school_id)
        .where(Activity.movement_id == movement.id, Activity.status == ActivityStatus.SUBMITTED)
        .options(sa.orm.joinedload(Activity.school), sa.orm.joinedload(Activity.criterion))
        .order_by(Activity.submitted_at, Activity.id)
    )
    if level is not None:
        query = query.where(School.level == level)
    return list(db.session.scalars(query).unique())


def remind_return_deadlines(*, now: datetime | None = None) -> int:
    """Tell coordinators two days before a returned activity's deadline (once per activity)."""
    now = now or utcnow()
    today = local_today(now)
    from datetime import timedelta

    due = db.session.scalars(
        sa.select(Activity).where(
            Activity.status == ActivityStatus.RETURNED,
            Activity.return_deadline.is_not(None),
            Activity.return_deadline >= today,
            Activity.return_deadline <= today + timedelta(days=2),
        )
    ).all()
    count = 0
    for activity in due:
        count += campaign_services.notify(
            user_ids=coordinator_ids(activity.school_id),
            kind="return_deadline_near",
            params={
                "title": activity.title,
                "deadline": activity.return_deadline.strftime("%d/%m/%Y"),
            },
            endpoint="greennet.activity",
            values={"activity_id": activity.id},
            dedupe_key=f"deadline:{activity.id}:{activity.return_deadline.isoformat()}",
            now=now,
        )
    return count


def update_criterion(
    *,
    actor,
    criterion: Criterion,
    title: str,
    guidance: str = "",
    max_points: float,
    evidence_kinds: list[str] = (),
    max_count: int = 1,
    computed: bool = False,
    metric: str | None = None,
    now: datetime | None = None,
) -> Criterion:
    """Change one criterion in place (audited from → to); its code stays."""
    problems = _check_criterion(
        code=criterion.code,
        title=(title or "").strip(),
        max_points=max_points,
        evidence_kinds=list(evidence_kinds),
        max_count=max_count,
        computed=computed,
        metric=metric or None,
    )
    if problems:
        raise ValidationFailed(problems[0][1], field=problems[0][0])
    if computed and not criterion.computed and _criterion_in_use(criterion):
        raise Conflict(
            _("Schools have logged activities against this criterion; it cannot become computed.")
        )
    before = _criterion_dict(criterion)
    criterion.title = title.strip()
    criterion.guidance = (guidance or "").strip()
    criterion.max_points = float(max_points)
    criterion.evidence_kinds = ",".join(evidence_kinds)
    criterion.max_count = int(max_count)
    criterion.computed = bool(computed)
    criterion.metric = metric if computed else None
    db.session.flush()
    audit.record(
        actor=actor,
        action="greennet.criterion.update",
        obj=criterion,
        before=before,
        after=_criterion_dict(criterion),
        now=now,
    )
    return criterion


def delete_criterion(*, actor, criterion: Criterion, now: datetime | None = None) -> None:
    """Remove a criterion nobody has logged an activity against."""
    if _criterion_in_use(criterion):
        raise Conflict(
            _("Schools have logged activities against this criterion; it cannot be deleted.")
        )
    audit.record(
        actor=actor,
        action="greennet.criterion.delete",
        obj=criterion,
        before=_criterion_dict(criterion),
        now=now,
    )
    criterion.criteria_set.criteria.remove(criterion)
    db.session.flush()


def _criterion_in_use(criterion: Criterion) -> bool:
    return bool(
        db.session.scalar(
            sa.select(sa.func.count(Activity.id)).where(Activity.criterion_id == criterion.id)
        )
    )


def _criterion_dict(criterion: Criterion) -> dict:
    return {
        "title": criterion.title,
        "max_points": criterion.max_points,
        "evidence_kinds": criterion.evidence_kinds,
        "max_count": criterion.max_count,
        "metric": criterion.metric,
    }


def lock_all(
    *, actor, movement: Movement, milestone: Milestone, level: SchoolLevel | None = None, now=None
) -> int:
    """Lock every open school (of a level) at a milestone; return how many were locked."""
    query = sa.select(School).order_by(School.code)
    if level is not None:
        query = query.where(School.level == level)
    count = 0
    for school in db.session.scalars(query):
        assessment = assessment_for(movement, school)
        recorded = db.session.scalar(
            sa.select(Snapshot.id).where(
                Snapshot.assessment_id == assessment.id, Snapshot.milestone_id == milestone.id
            )
        )
        if assessment.is_locked or recorded:
            continue
        lock_assessment(actor=actor, movement=movement, school=school, milestone=milestone, now=now)
        count += 1
    return count
