"""Anonymous follow-up: the reporter's secret phrase, the replies of staff and what the reporter adds.

At submission the reporter gets the report's reference and a secret phrase (four groups of four
easy-to-read characters). Only its argon2id hash is stored. With both, and without an account,
the reporter reads the staff's replies and adds to the report. A wrong phrase is answered exactly
as an unknown reference is: the same error, after the same argon2id work (an unknown reference is
checked against a dummy hash).
"""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _

from campaign.safety.models import MessageAuthor, SafetyReport, SafetyReportMessage
from campaign.safety.permissions import can_view_safety_report, recipients
from core import audit
from core.accounts.services import password_hasher
from core.clock import utcnow
from core.errors import Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.notifications.services import notify

#: No 0/O, 1/I/L: the phrase is copied by hand from a screen to paper.
PHRASE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
SECRET_GROUPS = 4
SECRET_GROUP_LENGTH = 4  # 31**16 ≈ 2**79
MAX_MESSAGE_LENGTH = 5000


class FollowUpNotFound(NotFound):
    """The one answer for an unknown reference and for a wrong secret phrase."""

    code = "follow_up_not_found"

    def default_message(self) -> str:
        return _("No report matches this reference and secret phrase. Check both and try again.")


def new_secret() -> str:
    """A fresh secret phrase, e.g. ``K7PM-3QXA-H9TD-WR4E``."""
    return "-".join(
        "".join(secrets.choice(PHRASE_ALPHABET) for _ in range(SECRET_GROUP_LENGTH))
        for _ in range(SECRET_GROUPS)
    )


def normalize_secret(secret: str) -> str:
    """Upper case without spaces or dashes, so "k7pm 3qxa…" matches "K7PM-3QXA-…"."""
    return "".join(ch for ch in (secret or "").upper() if ch.isalnum())


def hash_secret(secret: str) -> str:
    return password_hasher().hash(normalize_secret(secret))


def _dummy_hash() -> str:
    dummy = current_app.extensions.get("mangxanh.safety_dummy_hash")
    if dummy is None:
        dummy = hash_secret(new_secret())
        current_app.extensions["mangxanh.safety_dummy_hash"] = dummy
    return dummy


def _verify(stored: str | None, secret: str) -> bool:
    try:
        return password_hasher().verify(stored or _dummy_hash(), normalize_secret(secret))
    except (VerificationError, InvalidHashError):
        return False


def find_for_reporter(*, reference: str, secret: str) -> SafetyReport:
    """The report with this reference whose secret phrase is ``secret``; otherwise one answer."""
    reference = (reference or "").strip().upper()
    report = db.session.scalar(sa.select(SafetyReport).where(SafetyReport.reference == reference))
    # The hash is checked even when the reference is unknown, so both take the same time.
    matches = _verify(report.secret_hash if report else None, secret)
    if report is None or report.secret_hash is None or not matches:
        raise FollowUpNotFound()
    return report


def _clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(_("Write your message first."), field="text")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise ValidationFailed(
            _("Keep the message under %(count)d characters.", count=MAX_MESSAGE_LENGTH),
            field="text",
        )
    return text


def add_reporter_message(
    *, reference: str, secret: str, text: str, now: datetime | None = None
) -> SafetyReportMessage:
    """The reporter adds to their report; the designated staff are told (never what it says)."""
    now = now or utcnow()
    report = find_for_reporter(reference=reference, secret=secret)
    message = SafetyReportMessage(
        report=report, author=MessageAuthor.REPORTER, text=_clean_text(text), created_at=now
    )
    db.session.add(message)
    report.updated_at = now
    db.session.flush()
    notify(
        user_ids=recipients(report.school_id),
        kind="safety_report_follow_up",
        params={"reference": report.reference},
        endpoint="safety.show",
        values={"report_id": report.id},
        now=now,
    )
    return message


def reply(*, user, report: SafetyReport, text: str, now: datetime | None = None):
    """Designated staff answer the reporter; audited without the text (admins read the log)."""
    if not can_view_safety_report(user, report):
        raise Forbidden()
    now = now or utcnow()
    message = SafetyReportMessage(
        report=report,
        author=MessageAuthor.STAFF,
        staff_id=user.id,
        text=_clean_text(text),
        created_at=now,
    )
    db.session.add(message)
    report.updated_at = now
    db.session.flush()
    audit.record(
        actor=user, action="safety.reply", obj=report, after={"message": message.id}, now=now
    )
    db.session.flush()
    return message
