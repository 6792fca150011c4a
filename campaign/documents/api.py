"""Official documents for integrations: ``downloadOfficialDocument``."""

from __future__ import annotations

from flask import Response
from flask_login import current_user, login_required
from marshmallow import Schema, fields, validate

from campaign.documents import services
from campaign.documents.permissions import can_read
from campaign.documents.subjects import KINDS, kind_or_404, resolve
from core.accounts.permissions import require
from core.api import ApiBlueprint
from core.hardening import DB_INT_MAX
from core.storage import download_name

blp = ApiBlueprint("documents_api", __name__, description="Official documents")


#: An id a database integer column can hold (a larger one is refused, never a crash).
ID_RANGE = validate.Range(min=1, max=DB_INT_MAX)


class DocumentArgs(Schema):
    format = fields.String(required=True, validate=validate.OneOf(sorted(services.FORMATS)))
    movement_id = fields.Integer(validate=ID_RANGE)
    school_id = fields.Integer(validate=ID_RANGE)
    milestone = fields.String(validate=validate.OneOf(["so_ket", "tong_ket"]))
    contest_id = fields.Integer(
        validate=ID_RANGE,
        metadata={"description": "An essay contest (the id of an essay contest)."},
    )
    quiz_contest_id = fields.Integer(
        validate=ID_RANGE,
        metadata={
            "description": "A quiz contest. Essay and quiz contests are numbered apart, so "
            "a quiz contest is named here and never by contest_id."
        },
    )
    inspection_id = fields.Integer(validate=ID_RANGE)


#: The kinds as the path's enum (an unknown kind is a 404 from the router, as before).
KIND_PATH = "/documents/<any(" + ", ".join(f"'{k}'" for k in KINDS) + "):kind>"


@blp.route(KIND_PATH, methods=["GET"])
@blp.operation(
    "downloadOfficialDocument",
    "An official document (.docx or PDF, NĐ 30/2020 layout)",
    description="An official document of a movement, a school's "
    "movement, a contest or an inspection; name exactly one of movement_id, contest_id "
    "(an essay contest), quiz_contest_id (a quiz contest: the two kinds of contest are "
    "numbered apart) or inspection_id. Kinds: " + ", ".join(KINDS),
)
@blp.arguments(DocumentArgs, location="query")
@blp.response(
    200,
    content_type="application/octet-stream",
    description="The document: .docx or PDF",
)
@login_required
def download_official_document(args, kind: str):
    document_kind = kind_or_404(kind)
    subject = resolve(
        document_kind,
        movement_id=args.get("movement_id"),
        school_id=args.get("school_id"),
        milestone=args.get("milestone"),
        contest_id=args.get("contest_id"),
        quiz_contest_id=args.get("quiz_contest_id"),
        inspection_id=args.get("inspection_id"),
    )
    require(can_read(current_user, subject))
    fmt = args["format"]
    data = services.render(subject, fmt)
    name = download_name(services.file_name(subject, fmt), suffix=f".{fmt}", default="document")
    return Response(
        data,
        mimetype=services.FORMATS[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
