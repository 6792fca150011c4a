"""Official documents for integrations: ``downloadOfficialDocument``."""

from __future__ import annotations

from flask import Response
from flask_login import current_user, login_required
from marshmallow import Schema, fields, validate

from campaign.documents import services
from campaign.documents.permissions import can_draft
from campaign.documents.subjects import KINDS, kind_or_404, resolve
from core.accounts.permissions import require
from core.api import ApiBlueprint
from core.storage import download_name

blp = ApiBlueprint("documents_api", __name__, description="Official documents")


class DocumentArgs(Schema):
    format = fields.String(required=True, validate=validate.OneOf(sorted(services.FORMATS)))
    movement_id = fields.Integer(validate=validate.Range(min=1))
    school_id = fields.Integer(validate=validate.Range(min=1))
    milestone = fields.String(validate=validate.OneOf(["so_ket", "tong_ket"]))
    contest_id = fields.Integer(validate=validate.Range(min=1))
    inspection_id = fields.Integer(validate=validate.Range(min=1))


@blp.route("/documents/<string:kind>", methods=["GET"])
@blp.operation(
    "downloadOfficialDocument",
    "An official document (.docx or PDF, NĐ 30/2020 layout) of a movement, a school's "
    "movement, a contest or an inspection. Kinds: " + ", ".join(KINDS),
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
        inspection_id=args.get("inspection_id"),
    )
    require(can_draft(current_user, subject))
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
