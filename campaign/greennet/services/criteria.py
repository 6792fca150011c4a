"""Criteria sets: one per school level and movement, in versions (``new_version``).

Once schools have logged activities against a set, it is no longer replaced whole (an import or
a copy from last year); its criteria are edited one at a time, and one in use is not deleted.
Adding a criterion to a set in use, or changing a criterion's maximum in it, changes every
school's maximum, so it is an explicit new version (``add_criterion(as_new_version=True)``,
``update_criterion(as_new_version=True)``): the set is copied, the change made in the copy, and
the schools' activities follow their criterion (same code) into the new version. Each locked
milestone keeps the version it was scored on. Wording, guidance and evidence are edited in place.

Just over 400 lines: every way a criteria set changes (import, copy, add, edit, versions) is here
so that the versioning rule above is enforced in one place.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from campaign.greennet import metrics
from campaign.greennet.models import (
    Activity,
    CriteriaSet,
    Criterion,
    EvidenceKind,
    Movement,
    Snapshot,
)
from core import audit
from core.clock import utcnow
from core.errors import Conflict, NotFound, ValidationFailed
from core.extensions import db
from core.i18n import format_number
from core.schools.models import School, SchoolLevel


def current_set(movement: Movement, level: SchoolLevel) -> CriteriaSet | None:
    """The newest version of a level's criteria."""
    return db.session.scalar(
        sa.select(CriteriaSet)
        .where(CriteriaSet.movement_id == movement.id, CriteriaSet.level == level)
        .order_by(CriteriaSet.version.desc())
        .limit(1)
    )


def criteria_versions(movement: Movement, level: SchoolLevel) -> list[CriteriaSet]:
    """Every version of a level's criteria, oldest first."""
    return list(
        db.session.scalars(
            sa.select(CriteriaSet)
            .where(CriteriaSet.movement_id == movement.id, CriteriaSet.level == level)
            .order_by(CriteriaSet.version)
        )
    )


def _set_in_use(criteria_set: CriteriaSet) -> bool:
    return bool(
        db.session.scalar(
            sa.select(sa.func.count(Activity.id))
            .join(Criterion, Criterion.id == Activity.criterion_id)
            .where(Criterion.criteria_set_id == criteria_set.id)
        )
    )


def _set_scored(criteria_set: CriteriaSet) -> bool:
    """Schools logged activities on it, or a milestone was locked on it."""
    return _set_in_use(criteria_set) or bool(
        db.session.scalar(
            sa.select(sa.func.count(Snapshot.id)).where(Snapshot.criteria_set_id == criteria_set.id)
        )
    )


def _copy(c: Criterion) -> Criterion:
    """A criterion with the same content, for another version or year of a set."""
    return Criterion(
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


def _amended_version(*, actor, movement, latest: CriteriaSet, now=None) -> CriteriaSet:
    """Copy a set in use into its next version; the activities follow their criterion's code."""
    created = CriteriaSet(
        movement_id=movement.id,
        level=latest.level,
        version=latest.version + 1,
        source="amend",
        created_by_id=getattr(actor, "id", None),
        created_at=now or utcnow(),
    )
    created.criteria.extend(_copy(c) for c in latest.criteria)
    db.session.add(created)
    db.session.flush()
    for old, new in zip(latest.criteria, created.criteria, strict=True):
        db.session.execute(
            sa.update(Activity).where(Activity.criterion_id == old.id).values(criterion_id=new.id)
        )
    return created


def new_version(*, actor, movement, level, source, now=None) -> CriteriaSet:
    """Start the next version of a level's set; refused once schools logged activities on it."""
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


def check_criterion(
    *,
    code,
    title,
    max_points,
    evidence_kinds,
    max_count,
    computed,
    metric,
) -> list[tuple[str, str]]:
    """Return every problem with a criterion's fields as (field, message) pairs; none if valid."""
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
    as_new_version: bool = False,
    now: datetime | None = None,
) -> Criterion:
    """Add one criterion to a level's current set (version 1 is made if none exists).

    When schools are already scored on the set, the new criterion changes their maximum: it is
    refused with the change spelled out (/100 → /105) unless ``as_new_version`` asks for one.
    """
    code = (code or "").strip()
    problems = check_criterion(
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
    latest = current_set(movement, level)
    if latest is not None and any(c.code == code for c in latest.criteria):
        raise Conflict(_("The code %(code)s is already used.", code=code), field="code")
    before_max = latest.max_total if latest is not None else 0.0
    if latest is not None and (as_new_version or _set_scored(latest)):
        if not as_new_version:
            before_text = format_number(before_max)
            after_text = format_number(before_max + float(max_points))
            raise Conflict(
                _(
                    "Schools are already scored on these criteria: adding %(code)s changes "
                    "the maximum from /%(before)s → /%(after)s. Add it as a new version.",
                    code=code,
                    before=before_text,
                    after=after_text,
                ),
                field="new_version",
            )
        criteria_set = _amended_version(actor=actor, movement=movement, latest=latest, now=now)
    else:
        criteria_set = latest or new_version(
            actor=actor, movement=movement, level=level, source="manual", now=now
        )
    db.session.flush()
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
        before={"version": latest.version, "max_total": before_max} if latest else None,
        after={
            "code": code,
            "max_points": criterion.max_points,
            "version": criteria_set.version,
            "max_total": criteria_set.max_total,
        },
        now=now,
    )
    return criterion


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
        target = new_version(actor=actor, movement=movement, level=level, source="copy", now=now)
        target.criteria.extend(_copy(c) for c in source.criteria)
        count += len(source.criteria)
    db.session.flush()
    audit.record(
        actor=actor,
        action="greennet.criteria.copy",
        obj=movement,
        after={"from": previous_year, "criteria": count},
        now=now,
    )
    return count


def criteria_for_school(movement: Movement, school: School) -> list[Criterion]:
    criteria_set = current_set(movement, school.level)
    return list(criteria_set.criteria) if criteria_set else []


def _scoring_changes(criterion: Criterion, *, max_count, computed, metric) -> bool:
    """The edit changes how the criterion turns activities or data into points."""
    return (
        int(max_count) != int(criterion.max_count)
        or bool(computed) != bool(criterion.computed)
        or ((metric or None) if computed else None) != (criterion.metric or None)
    )


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
    as_new_version: bool = False,
    now: datetime | None = None,
) -> Criterion:
    """Change one criterion (audited from → to); its code stays.

    When schools are already scored on its set, a new maximum changes every school's maximum:
    it is refused with the change spelled out (/100 → /105) unless ``as_new_version`` asks for
    one; the change is then made in (and the criterion returned from) the new version, and the
    old version stays as it was. A new ``max_count``, ``computed`` or ``metric`` changes live
    figures the same way and is refused alike. Wording and evidence kinds change in place.
    """
    problems = check_criterion(
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
    criteria_set = criterion.criteria_set
    new_max = float(max_points) != float(criterion.max_points)
    rescored = new_max or _scoring_changes(
        criterion, max_count=max_count, computed=computed, metric=metric
    )
    if as_new_version or (rescored and _set_scored(criteria_set)):
        latest = current_set(criteria_set.movement, criteria_set.level)
        if latest is None or latest.id != criteria_set.id:
            raise Conflict(_("Only the newest version of the criteria can be changed."))
        if not as_new_version and not new_max:
            raise Conflict(
                _(
                    "Schools are already scored on these criteria: changing how %(code)s is "
                    "counted changes their figures. Save it as a new version.",
                    code=criterion.code,
                ),
                field="as_new_version",
            )
        if not as_new_version:
            before_max = criteria_set.max_total
            before_text = format_number(before_max)
            after_text = format_number(before_max - criterion.max_points + float(max_points))
            raise Conflict(
                _(
                    "Schools are already scored on these criteria: changing %(code)s changes "
                    "the maximum from /%(before)s → /%(after)s. Save it as a new version.",
                    code=criterion.code,
                    before=before_text,
                    after=after_text,
                ),
                field="as_new_version",
            )
        amended = _amended_version(
            actor=actor, movement=criteria_set.movement, latest=criteria_set, now=now
        )
        criterion = next(c for c in amended.criteria if c.code == criterion.code)
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
        "version": criterion.criteria_set.version,
        "title": criterion.title,
        "max_points": criterion.max_points,
        "evidence_kinds": criterion.evidence_kinds,
        "max_count": criterion.max_count,
        "metric": criterion.metric,
    }
