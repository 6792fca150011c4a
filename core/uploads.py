"""Checking uploaded images: size first, then decode, rebuild from the pixels alone, shrink.

A photo keeps nothing but its pixels. Metadata can name a child or place their home: EXIF (GPS,
owner), XMP, IPTC, an ICC profile's text, a JPEG comment (COM), PNG text chunks. Re-saving with
Pillow is not enough — it copies the comment and the ICC profile from the opened file — so the
picture is copied into a new image that has only pixels, and saved with explicit parameters.

A small file can declare a huge picture (a single-colour 8900 × 8900 PNG is 231 KB and decodes to
a gigabyte), so the declared size is read from the header, which Pillow does without decoding,
and anything over ``MAX_PIXELS`` is refused before a pixel is decoded.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import DomainError, ValidationFailed

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
#: The largest picture accepted, in pixels (a 40-megapixel phone camera still passes).
MAX_PIXELS = 40_000_000
#: The longest side of a stored photo.
MAX_SIDE = 2048
# Pillow's own bomb guard (a warning above this, an error above twice this) as a second line:
# clean_image refuses anything larger before decoding, but any other Image.open gets it too.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


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


def _flood() -> ValidationFailed:
    return ValidationFailed(
        _(
            "The image has more than %(limit)d megapixels. Please choose a smaller image.",
            limit=MAX_PIXELS // 1_000_000,
        ),
        field="file",
    )


def _pixels_only(image: Image.Image) -> Image.Image:
    """A new image made of ``image``'s pixels and nothing else (no info, no palette text)."""
    return Image.frombytes(image.mode, image.size, image.tobytes())


def clean_image(data: bytes, *, max_bytes: int, max_side: int = 1600) -> CleanImage:
    """Verify an uploaded image and return a clean JPEG (or PNG if it has transparency).

    The declared size is checked before decoding (over ``MAX_PIXELS`` is refused); the image
    is then decoded completely (a renamed non-image or a truncated file is refused), turned
    upright from its EXIF orientation, shrunk to ``max_side`` pixels (never over
    ``MAX_SIDE``), rebuilt from its pixels and saved without any metadata.
    """
    if len(data) > max_bytes:
        raise FileTooLarge(
            _("The image is larger than %(mb)d MB.", mb=max_bytes // (1024 * 1024)), field="file"
        )
    if not data:
        raise ValidationFailed(_("The file is empty."), field="file")
    max_side = min(max_side, MAX_SIDE)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ALLOWED_FORMATS:
                raise ValidationFailed(
                    _("Only JPEG, PNG or WebP images are accepted."), field="file"
                )
            if probe.width * probe.height > MAX_PIXELS:  # read from the header: nothing decoded
                raise _flood()
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.draft(None, (max_side, max_side))  # JPEG: decode at a reduced scale
            image.load()
            image = ImageOps.exif_transpose(image)
            has_alpha = image.mode in ("RGBA", "LA") or (
                image.mode == "P" and "transparency" in image.info
            )
            image = image.convert("RGBA" if has_alpha else "RGB")
            image.thumbnail((max_side, max_side))
            image = _pixels_only(image)
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
    except Image.DecompressionBombError:  # Pillow's own guard, over twice MAX_IMAGE_PIXELS
        raise _flood() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationFailed(
            _("The file is not a readable JPEG, PNG or WebP image."), field="file"
        ) from None
