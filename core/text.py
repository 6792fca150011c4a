"""Plain text typed by people (titles, essays, reasons, comments), cleaned the same way everywhere."""

from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext as _

from core.errors import ValidationFailed

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MANY_BLANKS = re.compile(r"\n{3,}")


def clean_text(value: str | None, *, limit: int, field: str, single_line: bool = False) -> str:
    """Return plain text (NFC, no control characters, paragraphs kept) or refuse if too long."""
    text = unicodedata.normalize("NFC", value or "")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    if single_line:
        text = " ".join(text.split())
    else:
        text = "\n".join(line.rstrip() for line in text.split("\n"))
        text = _MANY_BLANKS.sub("\n\n", text).strip()
    if len(text) > limit:
        raise ValidationFailed(
            _("The text is too long (at most %(limit)d characters).", limit=limit), field=field
        )
    return text
