"""The JSON API the student editor uses: load, autosave, photos, consent, submit, withdraw.

A student reaches only their own entry: another student's entry id answers 404, as if it did
not exist. A closed round answers 409 with a message the page shows as it is.
"""

from __future__ import annotations

from flask import url_for
from flask_login import current_user, login_required
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from contests.essay import services
from contests.essay.models import Entry, EntryPhoto, EntryStatus
from contests.essay.permissions import can_edit_entry, can_write
from core.api import ApiBlueprint
from core.clock import utcnow
from core.errors import Forbidden, NotFound
from core.extensions import db

blp = ApiBlueprint("essay_api", __name__, description="Writing contests: the student's entry")


class PhotoSchema(Schema):
    id = fields.Integer()
    caption = fields.String()
    width = fields.Integer()
    height = fields.Integer()
    url = fields.Function(lambda p: url_for("essay.photo", photo_id=p.id))


class ReceiptSchema(Schema):
    code = fields.String()
    submitted_at = fields.DateTime()


class EntrySchema(Schema):
    id = fields.Integer()
    code = fields.String()
    status = fields.Function(lambda e: e.status.value)
    title = fields.String()
    body = fields.String()
    word_count = fields.Integer()
    seq = fields.Integer()
    saved_at = fields.DateTime(allow_none=True)
    submitted_at = fields.DateTime(allow_none=True)
    consent_student = fields.Boolean()
    consent_parent = fields.Boolean()
    photos = fields.List(fields.Nested(PhotoSchema))
    receipt = fields.Function(
        lambda e: (
            {"code": e.code, "submitted_at": e.submitted_at.isoformat()}
            if e.status == EntryStatus.SUBMITTED
            else None
        )
    )


class RoundSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    theme = fields.String()
    prompt = fields.String()
    opens_at = fields.DateTime()
    closes_at = fields.DateTime()
    min_words = fields.Integer()
    max_words = fields.Integer()
    max_photos = fields.Integer()
    allow_withdraw = fields.Boolean()
    is_open = fields.Function(lambda r: r.is_open(utcnow()))
    seconds_remaining = fields.Function(
        lambda r: max(0, int((r.closes_at - utcnow()).total_seconds()))
    )


class MyEntrySchema(Schema):
    round = fields.Nested(RoundSchema)
    entry = fields.Nested(EntrySchema, allow_none=True)


class DraftSchema(Schema):
    title = fields.String(load_default="", validate=validate.Length(max=2000))
    body = fields.String(required=True, validate=validate.Length(max=200_000))
    seq = fields.Integer(required=True, validate=validate.Range(min=1, max=2**62))


class SaveResultSchema(Schema):
    accepted = fields.Boolean()
    entry = fields.Nested(EntrySchema)


class ConsentSchema(Schema):
    student = fields.Boolean(required=True)
    parent = fields.Boolean(required=True)


class VersionSchema(Schema):
    seq = fields.Integer()
    title = fields.String()
    body = fields.String()
    word_count = fields.Integer()
    saved_at = fields.DateTime()


class PhotoFileSchema(Schema):
    file = Upload(required=True)


class PhotoFormSchema(Schema):
    caption = fields.String(load_default="")


def _writable_round(round_id: int):
    round_ = services.get_round(round_id)
    if not can_write(current_user, round_):
        raise Forbidden()
    return round_


def _own_entry(entry_id: int) -> Entry:
    entry = db.session.get(Entry, entry_id)
    if entry is None or not can_edit_entry(current_user, entry):
        raise NotFound()
    return entry


@blp.route("/essay/rounds/<int:round_id>/entry", methods=["GET"])
@blp.operation(
    "getMyEntry", "The signed-in student's entry in a round (null before the first save)"
)
@blp.response(200, MyEntrySchema)
@login_required
def get_my_entry(round_id: int):
    round_ = _writable_round(round_id)
    return {"round": round_, "entry": services.find_entry(round_=round_, student=current_user)}


@blp.route("/essay/rounds/<int:round_id>/entry", methods=["PUT"])
@blp.operation("saveDraft", "Autosave the draft; an older seq never overwrites a newer save")
@blp.arguments(DraftSchema)
@blp.response(200, SaveResultSchema)
@login_required
def save_draft(data, round_id: int):
    round_ = _writable_round(round_id)
    entry = services.start_entry(round_=round_, student=current_user)
    result = services.save_draft(
        entry=entry, title=data["title"], body=data["body"], seq=data["seq"]
    )
    return {"accepted": result.accepted, "entry": result.entry}


@blp.route("/essay/entries/<int:entry_id>/photos", methods=["POST"])
@blp.operation("uploadPhoto", "Add a photo (JPEG, PNG or WebP up to 5 MB; EXIF removed)")
@blp.arguments(PhotoFileSchema, location="files")
@blp.arguments(PhotoFormSchema, location="form")
@blp.response(201, PhotoSchema)
@login_required
def upload_photo(files, form, entry_id: int):
    entry = _own_entry(entry_id)
    photo = services.upload_photo(entry=entry, data=files["file"].read(), caption=form["caption"])
    return photo


@blp.route("/essay/entries/<int:entry_id>/photos/<int:photo_id>", methods=["DELETE"])
@blp.operation("deletePhoto", "Remove a photo from the draft")
@blp.response(204)
@login_required
def delete_photo(entry_id: int, photo_id: int):
    entry = _own_entry(entry_id)
    photo = db.session.get(EntryPhoto, photo_id)
    if photo is None or photo.entry_id != entry.id:
        raise NotFound()
    services.delete_photo(photo=photo)


@blp.route("/essay/entries/<int:entry_id>/consent", methods=["PUT"])
@blp.operation("setConsent", "Whether the entry may be published with the author's name")
@blp.arguments(ConsentSchema)
@blp.response(200, EntrySchema)
@login_required
def set_consent(data, entry_id: int):
    entry = _own_entry(entry_id)
    services.set_consent(entry=entry, student=data["student"], parent=data["parent"])
    return entry


@blp.route("/essay/entries/<int:entry_id>/versions", methods=["GET"])
@blp.operation("listVersions", "Kept earlier states of the draft, newest first (for undo)")
@blp.response(200, VersionSchema(many=True))
@login_required
def list_versions(entry_id: int):
    return services.list_versions(_own_entry(entry_id))


@blp.route("/essay/entries/<int:entry_id>/submit", methods=["POST"])
@blp.operation("submitEntry", "Submit the entry; a retry returns the same receipt")
@blp.response(200, ReceiptSchema)
@login_required
def submit_entry(entry_id: int):
    entry = _own_entry(entry_id)
    receipt = services.submit_entry(entry=entry)
    return receipt


@blp.route("/essay/entries/<int:entry_id>/withdraw", methods=["POST"])
@blp.operation("withdrawEntry", "Take a submitted entry back to editing, where the round allows")
@blp.response(200, EntrySchema)
@login_required
def withdraw_entry(entry_id: int):
    entry = _own_entry(entry_id)
    services.withdraw_entry(entry=entry)
    return entry
