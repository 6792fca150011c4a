"""Checking uploaded images: decode to prove it is an image, re-encode, resize, drop EXIF."""

from __future__ import annotations

import io
from dataclasses import dataclass

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import DomainError, ValidationFailed

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
Image.MAX_IMAGE_PIXELS = 40_000_000


class FileTooLarge(DomainError):
    status_code = 413
    code = "too_large"


@dataclass(frozen=True)
class CleanImage:
    """A re-encoded image with no metadata."""

    data: bytes
    mimetype: str
    suffix: str
    width: int
    height: int


def clean_image(data: bytes, *, max_bytes: int, max_side: int = 1600) -> CleanImage:
    """Verify an uploaded image and return a clean JPEG (or PNG if it has transparency).

    The image is decoded completely (a renamed non-image or a truncated file is refused),
    turned upright from its EXIF orientation, shrunk to ``max_side`` pixels, and saved again
    without EXIF, GPS or any other metadata — a child's photo can carry a home location.
    """
    if len(data) > max_bytes:
        raise FileTooLarge(
            _("The image is larger than %(mb)d MB.", mb=max_bytes // (1024 * 1024)), field="file"
        )
    if not data:
        raise ValidationFailed(_("The file is empty."), field="file")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ALLOWED_FORMATS:
                raise ValidationFailed(
                    _("Only JPEG, PNG or WebP images are accepted."), field="file"
                )
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            has_alpha = image.mode in ("RGBA", "LA") or (
                image.mode == "P" and "transparency" in image.info
            )
            image = image.convert("RGBA" if has_alpha else "RGB")
            image.thumbnail((max_side, max_side))
            out = io.BytesIO()
            if has_alpha:
                image.save(out, format="PNG", optimize=True)
                mimetype, suffix = "image/png", ".png"
            else:
                image.save(out, format="JPEG", quality=85, optimize=True, progressive=True)
                mimetype, suffix = "image/jpeg", ".jpg"
            return CleanImage(out.getvalue(), mimetype, suffix, image.width, image.height)
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationFailed(
            _("The file is not a readable JPEG, PNG or WebP image."), field="file"
        ) from None
