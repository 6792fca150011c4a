"""The plan's setting as data: the Gia Lâm education office and Youth Union issue the
movement's and the contests' documents (the 2021 plan predates the two-tier local government,
so an organizer edits these on the settings page when the bodies change)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from campaign.campaigns.models import Campaign
from campaign.greennet.models import Movement
from contests.essay.models import EssayContest
from core.extensions import db
from core.organisations import services
from core.organisations.models import IssuerLink, Organisation, OrganisationKind

OFFICE = {
    "kind": OrganisationKind.EDUCATION_OFFICE,
    "name": "Phòng Giáo dục và Đào tạo",
    "parent_name": "UBND huyện Gia Lâm",
    "place_name": "Gia Lâm",
    "symbol": "PGDĐT",
    "signer_title": "Trưởng phòng",
    "signer_name": "Nguyễn Văn Thành",
}
YOUTH_UNION = {
    "kind": OrganisationKind.YOUTH_UNION,
    "name": "Ban Chấp hành Huyện đoàn Gia Lâm",
    "parent_name": "Đoàn TNCS Hồ Chí Minh",
    "place_name": "Gia Lâm",
    "symbol": "HĐTN",
    "signer_title": "Bí thư",
    "signer_name": "Lê Thị Hồng",
}


def _find_or_make(values: dict) -> Organisation:
    found = db.session.scalar(sa.select(Organisation).where(Organisation.name == values["name"]))
    return found or services.save_organisation(actor=None, **values)


def seed_organisations(*, now: datetime) -> None:
    """The office and the Youth Union; they issue the movement's, campaign's and contests'
    documents (idempotent: an install migrated with a default office keeps it, renamed)."""
    office = db.session.scalar(
        sa.select(Organisation).where(
            Organisation.kind == OrganisationKind.EDUCATION_OFFICE, Organisation.parent_name == ""
        )
    )
    if office is not None:  # the migration's default office: complete it with the plan's data
        services.save_organisation(actor=None, organisation=office, **OFFICE, now=now)
    office = _find_or_make(OFFICE)
    union = _find_or_make(YOUTH_UNION)
    for subject_type, model in (
        ("movement", Movement),
        ("campaign", Campaign),
        ("essay_contest", EssayContest),
    ):
        linked = set(
            db.session.scalars(
                sa.select(IssuerLink.subject_id).where(IssuerLink.subject_type == subject_type)
            )
        )
        for subject_id in db.session.scalars(sa.select(model.id)):
            if subject_id in linked:
                continue
            ids = [office.id, union.id] if subject_type == "campaign" else [office.id]
            services.set_issuers(
                actor=None,
                subject_type=subject_type,
                subject_id=subject_id,
                organisation_ids=ids,
                now=now,
            )
