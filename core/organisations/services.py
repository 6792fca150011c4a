"""Issuing bodies: edit them, say who issues what, find the body of a school."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from core import audit
from core.errors import ValidationFailed
from core.extensions import db
from core.organisations.models import IssuerLink, Organisation, OrganisationKind
from core.schools.models import School
from core.storage import storage
from core.uploads import clean_image

#: A logo is small: it sits beside a heading.
LOGO_MAX_BYTES = 5 * 1024 * 1024

FIELDS = ("kind", "name", "parent_name", "place_name", "symbol", "signer_title", "signer_name")


def organisations() -> list[Organisation]:
    """Every issuing body, offices first, then by name."""
    return list(
        db.session.scalars(sa.select(Organisation).order_by(Organisation.kind, Organisation.name))
    )


def _snapshot(organisation: Organisation) -> dict:
    return {name: str(getattr(organisation, name) or "") for name in FIELDS}


def save_organisation(
    *,
    actor,
    organisation: Organisation | None = None,
    kind: OrganisationKind | str,
    name: str,
    parent_name: str = "",
    place_name: str = "",
    symbol: str = "",
    signer_title: str = "",
    signer_name: str = "",
    school_id: int | None = None,
    now: datetime | None = None,
) -> Organisation:
    """Create or update an issuing body; every change is audited."""
    name = name.strip()
    if not name:
        raise ValidationFailed(_("An organisation needs a name."), field="name")
    kind = OrganisationKind(kind)
    if kind == OrganisationKind.SCHOOL and school_id is None:
        raise ValidationFailed(_("Choose the school this organisation is."), field="school_id")
    before = _snapshot(organisation) if organisation else None
    if organisation is None:
        organisation = Organisation()
        db.session.add(organisation)
    organisation.kind = kind
    organisation.name = name
    organisation.parent_name = parent_name.strip()
    organisation.place_name = place_name.strip()
    organisation.symbol = symbol.strip()
    organisation.signer_title = signer_title.strip()
    organisation.signer_name = signer_name.strip()
    organisation.school_id = school_id if kind == OrganisationKind.SCHOOL else None
    db.session.flush()
    audit.record(
        actor=actor,
        action="organisation.save",
        obj=organisation,
        before=before,
        after=_snapshot(organisation),
        now=now,
    )
    return organisation


def set_logo(*, actor, organisation: Organisation, data: bytes, now=None) -> Organisation:
    """Store the body's logo, re-encoded and stripped of metadata like every uploaded photo."""
    image = clean_image(data, max_bytes=LOGO_MAX_BYTES, max_side=600)
    before = {"logo_key": organisation.logo_key or ""}
    organisation.logo_key = storage().save(image.data, prefix="organisations", suffix=image.suffix)
    db.session.flush()
    audit.record(
        actor=actor,
        action="organisation.logo",
        obj=organisation,
        before=before,
        after={"logo_key": organisation.logo_key},
        now=now,
    )
    return organisation


def default_office() -> Organisation | None:
    """The first education office: the body that issues what names no other."""
    return db.session.scalar(
        sa.select(Organisation)
        .where(Organisation.kind == OrganisationKind.EDUCATION_OFFICE)
        .order_by(Organisation.id)
        .limit(1)
    )


def linked_issuers(subject_type: str, subject_id: int) -> list[Organisation]:
    """The bodies named to issue a subject's documents, signer first (none if none named)."""
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .join(IssuerLink, IssuerLink.organisation_id == Organisation.id)
            .where(IssuerLink.subject_type == subject_type, IssuerLink.subject_id == subject_id)
            .order_by(IssuerLink.position, IssuerLink.id)
        )
    )


def issuers_of(subject_type: str, subject_id: int) -> list[Organisation]:
    """The bodies that issue a subject's documents, signer first; the default office if none."""
    linked = linked_issuers(subject_type, subject_id)
    if linked:
        return linked
    office = default_office()
    return [office] if office else []


def set_issuers(
    *,
    actor,
    subject_type: str,
    subject_id: int,
    organisation_ids: list[int],
    now: datetime | None = None,
) -> None:
    """Name the bodies, signer first, that issue a subject's documents (audited)."""
    db.session.execute(
        sa.delete(IssuerLink).where(
            IssuerLink.subject_type == subject_type, IssuerLink.subject_id == subject_id
        )
    )
    seen: list[int] = []
    for organisation_id in organisation_ids:
        if organisation_id in seen or db.session.get(Organisation, organisation_id) is None:
            continue
        seen.append(organisation_id)
        db.session.add(
            IssuerLink(
                subject_type=subject_type,
                subject_id=subject_id,
                organisation_id=organisation_id,
                position=len(seen) - 1,
            )
        )
    db.session.flush()
    audit.record(
        actor=actor,
        action="organisation.issuers",
        object_type=subject_type,
        object_id=subject_id,
        after={"organisations": seen},
        now=now,
    )


def organisation_for_school(school: School) -> Organisation:
    """The school's own body; if none is recorded, one drafted from the school (not saved)."""
    found = db.session.scalar(sa.select(Organisation).where(Organisation.school_id == school.id))
    if found is not None:
        return found
    office = default_office()
    return Organisation(
        kind=OrganisationKind.SCHOOL,
        name=school.name,
        parent_name=(office.name if office else school.district.name),
        place_name=office.place_name if office else "",
        symbol="",
        signer_title="HIỆU TRƯỞNG",
        signer_name="",
        school_id=school.id,
    )


def issuer_heading(subject_type: str, subject_id: int, fallback: str = "") -> str:
    """The name that heads a subject's papers (a certificate's top line), else ``fallback``."""
    issuers = issuers_of(subject_type, subject_id)
    return issuers[0].name if issuers else fallback
