"""Uploaded images keep their pixels and nothing else, and a pixel flood is refused unread."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageFile

from core.errors import ValidationFailed
from core.uploads import MAX_PIXELS, clean_image
from tests.images import (
    SECRET,
    flood_png,
    jpeg_with_everything,
    metadata_in,
    png_with_everything,
    webp_with_everything,
)

MB = 1024 * 1024


@pytest.fixture(autouse=True)
def _request_context(app):
    with app.test_request_context():
        yield


def test_fixtures_really_carry_every_kind_of_metadata():
    assert metadata_in(jpeg_with_everything()) == [
        "APP13:Photoshop 3.0",
        "APP1:Exif",
        "APP1:http://ns.adob",
        "APP2:ICC_PROFILE",
        "COM",
    ]
    assert metadata_in(png_with_everything()) == ["iCCP", "tEXt", "zTXt", "iTXt", "iTXt", "eXIf"]
    assert metadata_in(webp_with_everything()) == ["ICCP", "EXIF", "XMP "]


@pytest.mark.parametrize(
    ("make", "mimetype"),
    [
        (jpeg_with_everything, "image/jpeg"),
        (lambda: png_with_everything(mode="RGBA"), "image/png"),
        (lambda: png_with_everything(mode="RGB"), "image/jpeg"),
        (webp_with_everything, "image/jpeg"),
    ],
    ids=["jpeg", "png-alpha", "png", "webp"],
)
def test_clean_image_keeps_no_metadata_at_all(make, mimetype):
    cleaned = clean_image(make(), max_bytes=5 * MB)

    assert cleaned.mimetype == mimetype
    assert metadata_in(cleaned.data) == []
    for secret in (SECRET.encode(), b"Hoang Khanh Ngan", b"Duong Xa", b"xmpmeta"):
        assert secret not in cleaned.data
    with Image.open(io.BytesIO(cleaned.data)) as image:
        assert image.size == (64, 48)
        assert image.convert("RGB").getpixel((32, 24)) == pytest.approx((30, 120, 60), abs=3)


def test_clean_image_refuses_a_pixel_flood_without_decoding(monkeypatch):
    flood = flood_png(8900)
    decoded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: decoded.append("load"))
    monkeypatch.setattr(ImageFile.ImageFile, "verify", lambda self: decoded.append("verify"))

    with pytest.raises(ValidationFailed) as error:
        clean_image(flood, max_bytes=5 * MB)

    assert len(flood) < 400_000
    assert decoded == []
    assert error.value.field == "file"
    assert error.value.message == (
        "Ảnh có hơn 40 megapixel (quá nhiều điểm ảnh). Vui lòng chọn ảnh nhỏ hơn."
    )


def test_clean_image_refuses_a_flood_beyond_pillows_own_guard():
    with pytest.raises(ValidationFailed) as error:
        clean_image(flood_png(12_700), max_bytes=5 * MB)

    assert error.value.message == (
        "Ảnh có hơn 40 megapixel (quá nhiều điểm ảnh). Vui lòng chọn ảnh nhỏ hơn."
    )


def test_pillow_guard_is_set_to_the_limit():
    assert Image.MAX_IMAGE_PIXELS == MAX_PIXELS == 40_000_000


def test_clean_image_stores_at_most_2048_pixels_on_the_long_side():
    out = io.BytesIO()
    Image.new("RGB", (3000, 1500), (200, 10, 10)).save(out, format="PNG")

    cleaned = clean_image(out.getvalue(), max_bytes=5 * MB, max_side=4000)

    assert (cleaned.width, cleaned.height) == (2048, 1024)
    with Image.open(io.BytesIO(cleaned.data)) as image:
        assert image.size == (2048, 1024)
