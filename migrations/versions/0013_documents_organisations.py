"""documents: issuing bodies as data, document drafts, inspections of a school's movement

Revision ID: 0013_documents_organisations
Revises: 0012_role_grant_request
Create Date: 2026-12-06 21:40:00

Existing installs get one education office named after their district, so documents have an
issuer from the first day; an organizer completes it (parent body, place, signer) on the
settings page.
"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0013_documents_organisations"
down_revision = "0012_role_grant_request"
branch_labels = None
depends_on = None

KINDS = ("EDUCATION_OFFICE", "PEOPLES_COMMITTEE", "YOUTH_UNION", "SCHOOL")


def upgrade():
    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(*KINDS, name="organisationkind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("parent_name", sa.String(length=200), nullable=False),
        sa.Column("place_name", sa.String(length=100), nullable=False),
        sa.Column("symbol", sa.String(length=30), nullable=False),
        sa.Column("signer_title", sa.String(length=200), nullable=False),
        sa.Column("signer_name", sa.String(length=120), nullable=False),
        sa.Column("logo_key", sa.String(length=200), nullable=True),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("school_id"),
    )
    op.create_table(
        "organisation_issuer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subject_type", "subject_id", "organisation_id"),
    )
    op.create_index(
        "ix_organisation_issuer_organisation_id", "organisation_issuer", ["organisation_id"]
    )
    op.create_table(
        "document_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("scope", sa.String(length=120), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "scope"),
    )
    op.create_table(
        "inspection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("movement_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("REGULAR", "SURPRISE", name="inspectionkind", native_enum=False, length=12),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("PLANNED", "CONCLUDED", name="inspectionstatus", native_enum=False, length=12),
            nullable=False,
        ),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("team", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("school_representatives", sa.Text(), nullable=False),
        sa.Column("conclusion", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("concluded_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["movement_id"], ["movement.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_inspection_movement_id", "inspection", ["movement_id"])
    op.create_index("ix_inspection_school_id", "inspection", ["school_id"])
    op.create_table(
        "inspection_finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "rating",
            sa.Enum("MET", "PARTLY", "NOT_MET", name="rating", native_enum=False, length=12),
            nullable=True,
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["activity_id"], ["activity.id"]),
        sa.ForeignKeyConstraint(["criterion_id"], ["criterion.id"]),
        sa.ForeignKeyConstraint(["inspection_id"], ["inspection.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("inspection_id", "criterion_id"),
    )
    op.create_index("ix_inspection_finding_inspection_id", "inspection_finding", ["inspection_id"])
    op.create_table(
        "inspection_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["finding_id"], ["inspection_finding.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_inspection_photo_finding_id", "inspection_photo", ["finding_id"])
    # An existing install: one education office named after its district.
    op.execute(
        "INSERT INTO organisation (kind, name, parent_name, place_name, symbol, signer_title,"
        " signer_name, created_at)"
        " SELECT 'EDUCATION_OFFICE', name, '', '', 'PGDĐT', 'TRƯỞNG PHÒNG', '', CURRENT_TIMESTAMP"
        " FROM district ORDER BY id LIMIT 1"
    )


def downgrade():
    op.drop_index("ix_inspection_photo_finding_id", table_name="inspection_photo")
    op.drop_table("inspection_photo")
    op.drop_index("ix_inspection_finding_inspection_id", table_name="inspection_finding")
    op.drop_table("inspection_finding")
    op.drop_index("ix_inspection_school_id", table_name="inspection")
    op.drop_index("ix_inspection_movement_id", table_name="inspection")
    op.drop_table("inspection")
    op.drop_table("document_draft")
    op.drop_index("ix_organisation_issuer_organisation_id", table_name="organisation_issuer")
    op.drop_table("organisation_issuer")
    op.drop_table("organisation")
