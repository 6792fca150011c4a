"""Issuing bodies: the offices, committees, unions and schools whose names head official documents.

Since 1 July 2025 Vietnam's local government has two tiers (province; commune/ward), so the body
that issues a document is data an organizer edits, never a string in code.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.extensions import db


class OrganisationKind(enum.StrEnum):
    EDUCATION_OFFICE = "education_office"  #: Phòng / Sở Giáo dục và Đào tạo
    PEOPLES_COMMITTEE = "peoples_committee"  #: UBND xã, phường (or tỉnh)
    YOUTH_UNION = "youth_union"  #: Đoàn TNCS Hồ Chí Minh
    SCHOOL = "school"


class Organisation(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrganisationKind] = mapped_column(
        sa.Enum(OrganisationKind, native_enum=False, length=20)
    )
    #: The body's own name, e.g. "Phòng Giáo dục và Đào tạo" (the heading prints it uppercase).
    name: Mapped[str] = mapped_column(sa.String(200))
    #: The line above the name in a heading, e.g. "UBND huyện Gia Lâm"; empty for none.
    parent_name: Mapped[str] = mapped_column(sa.String(200), default="")
    #: The place of the date line: "<place>, ngày … tháng … năm …".
    place_name: Mapped[str] = mapped_column(sa.String(100), default="")
    #: The body's abbreviation after the kind of document in a number: "12/QĐ-<symbol>".
    symbol: Mapped[str] = mapped_column(sa.String(30), default="")
    #: The signer's title as printed above the signature (e.g. "TRƯỞNG PHÒNG").
    signer_title: Mapped[str] = mapped_column(sa.String(200), default="")
    signer_name: Mapped[str] = mapped_column(sa.String(120), default="")
    #: Storage key of the logo (re-encoded, metadata stripped), if any.
    logo_key: Mapped[str | None] = mapped_column(sa.String(200))
    #: The school this body is, for kind ``school``.
    school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("school.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    school = relationship("School")

    def number_symbol(self, kind_abbreviation: str) -> str:
        """The symbol part of a document number, e.g. "QĐ-PGDĐT"."""
        return f"{kind_abbreviation}-{self.symbol}" if self.symbol else kind_abbreviation

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name}>"


class IssuerLink(db.Model):
    """A body that issues the documents of something a domain owns (a campaign, a contest…).

    The kernel names no domain: ``subject_type`` is the table name the domain passes in.
    """

    __tablename__ = "organisation_issuer"
    __table_args__ = (sa.UniqueConstraint("subject_type", "subject_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(sa.String(40))
    subject_id: Mapped[int]
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    #: 0 is the body that signs; later ones co-issue (their names follow in the heading).
    position: Mapped[int] = mapped_column(default=0)

    organisation: Mapped[Organisation] = relationship()
