"""Photos attached to an entry (of the good deed it tells), while it may still be changed."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from contests.essay.models import (
    Entry,
    EntryPhoto,
)
from contests.essay.services.entries import require_editable, require_open
from contests.essay.services.text import clean_text
from core.clock import utcnow
from core.errors import Conflict
from core.extensions import db
from core.storage import storage
from core.uploads import clean_image

MAX_CAPTION_CHARS = 300


MAX_PHOTO_BYTES = 5 * 1024 * 1024


def upload_photo(
    *, entry: Entry, data: bytes, caption: str = "", now: datetime | None = None
) -> EntryPhoto:
    """Check, clean (EXIF stripped) and store a photo of the good deed."""
    now = now or utcnow()
    require_open(entry.round, now)
    require_editable(entry)
    caption = clean_text(caption, limit=MAX_CAPTION_CHARS, field="caption", single_line=True)
    if len(entry.photos) >= entry.round.max_photos:
        raise Conflict(
            _("This round allows at most %(n)d photos.", n=entry.round.max_photos), field="file"
        )
    image = clean_image(data, max_bytes=MAX_PHOTO_BYTES)
    key = storage().save(image.data, prefix="essay", suffix=image.suffix)
    photo = EntryPhoto(
        entry=entry,
        storage_key=key,
        mimetype=image.mimetype,
        width=image.width,
        height=image.height,
        caption=caption,
        created_at=now,
    )
    db.session.add(photo)
    db.session.flush()
    return photo


def delete_photo(*, photo: EntryPhoto, now: datetime | None = None) -> None:
    """Remove a photo from a draft (the file goes too)."""
    now = now or utcnow()
    require_open(photo.entry.round, now)
    require_editable(photo.entry)
    key = photo.storage_key
    photo.entry.photos.remove(photo)
    db.session.delete(photo)
    db.session.flush()
    storage().delete(key)
