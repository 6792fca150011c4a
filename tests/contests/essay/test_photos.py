"""Photos: cleaned (EXIF with GPS gone), stored outside static/, refused when not images."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from contests.essay import services
from core.errors import Conflict, ValidationFailed
from core.extensions import db
from core.storage import storage
from core.uploads import FileTooLarge
from tests.conftest import T0
from tests.contests.essay.conftest import gps_exif, image_bytes


def stored_files(app) -> list[Path]:
    root = Path(app.config["UPLOAD_FOLDER"]) / "essay"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_gps_exif_fixture_really_carries_a_location():
    with Image.open(io.BytesIO(image_bytes(exif=gps_exif()))) as image:
        assert image.getexif().get_ifd(0x8825)[2] == (21.0, 1.0, 30.5)


def test_upload_photo_strips_exif_and_gps(app, entry):
    photo = services.upload_photo(
        entry=entry, data=image_bytes(exif=gps_exif()), caption="Tấm ảnh", now=T0
    )

    data = storage().read(photo.storage_key)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info
    assert b"Nguyen Thi Mai" not in data
    assert photo.caption == "Tấm ảnh"
    assert photo.mimetype == "image/jpeg"
    assert (photo.width, photo.height) == (64, 48)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_upload_photo_accepts_png_and_webp(entry, fmt):
    photo = services.upload_photo(entry=entry, data=image_bytes(fmt), now=T0)

    assert photo.storage_key.startswith("essay/")


def test_upload_crafted_non_image_refused_and_nothing_stored(app, entry):
    before = stored_files(app)
    crafted = b"\xff\xd8\xff\xe0" + b"<?php system($_GET['c']); ?>" * 20

    with pytest.raises(ValidationFailed):
        services.upload_photo(entry=entry, data=crafted, now=T0)

    assert entry.photos == []
    assert stored_files(app) == before


def test_upload_gif_refused(app, entry):
    before = stored_files(app)
    with pytest.raises(ValidationFailed):
        services.upload_photo(entry=entry, data=image_bytes("GIF"), now=T0)

    assert stored_files(app) == before


def test_upload_oversize_refused_with_413_and_nothing_stored(app, entry):
    before = stored_files(app)
    big = image_bytes() + b"\0" * (services.MAX_PHOTO_BYTES + 1)

    with pytest.raises(FileTooLarge) as error:
        services.upload_photo(entry=entry, data=big, now=T0)

    assert error.value.status_code == 413
    assert stored_files(app) == before


def test_upload_beyond_round_photo_limit_refused(entry):
    services.upload_photo(entry=entry, data=image_bytes(), now=T0)
    services.upload_photo(entry=entry, data=image_bytes(), now=T0)

    with pytest.raises(Conflict):
        services.upload_photo(entry=entry, data=image_bytes(), now=T0)

    assert len(entry.photos) == 2


def test_upload_after_deadline_refused(entry, open_round):
    with pytest.raises(services.RoundClosed):
        services.upload_photo(entry=entry, data=image_bytes(), now=open_round.closes_at)


def test_delete_photo_removes_file(app, entry):
    photo = services.upload_photo(entry=entry, data=image_bytes(), now=T0)
    key = photo.storage_key

    services.delete_photo(photo=photo, now=T0)

    assert entry.photos == []
    assert storage().exists(key) is True  # until the deletion is committed
    db.session.commit()
    assert storage().exists(key) is False


def test_upload_photo_keeps_no_comment_xmp_iptc_or_icc(entry):
    from tests.images import SECRET, jpeg_with_everything, metadata_in

    photo = services.upload_photo(entry=entry, data=jpeg_with_everything(), now=T0)

    data = storage().read(photo.storage_key)
    assert metadata_in(data) == []
    assert SECRET.encode() not in data


def test_upload_pixel_flood_refused_and_nothing_stored(app, entry):
    from tests.images import flood_png

    before = stored_files(app)

    with pytest.raises(ValidationFailed) as error:
        services.upload_photo(entry=entry, data=flood_png(8900), now=T0)

    assert error.value.field == "file"
    assert entry.photos == []
    assert stored_files(app) == before
