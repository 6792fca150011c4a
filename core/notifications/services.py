"""Notifications: tell users something in-app (and by e-mail when SMTP is configured).

The kernel keeps the notices; each package registers the kinds it sends, with their text, from its
own ``init_app`` (``register_kind``). A notice stores its kind and parameters, and its text is
rendered in the reader's language when it is shown.
"""

from __future__ import annotations

import smtplib
from datetime import datetime
from email.message import EmailMessage

import sqlalchemy as sa
from flask import Flask, current_app

from core.clock import utcnow
from core.extensions import db
from core.notifications.models import Notification


def register_kind(app: Flask, kind: str, text) -> None:
    """Let a package declare a kind of notification and its (lazily translated) text."""
    app.extensions.setdefault("mangxanh.notification_kinds", {})[kind] = text


def kinds() -> dict:
    """Every registered kind of notification and its text (``%(param)s`` filled when shown)."""
    return current_app.extensions.get("mangxanh.notification_kinds", {})


def notification_text(notification: Notification) -> str:
    """The notification's message in the current language."""
    template = kinds().get(notification.kind)
    if template is None:
        return notification.kind
    try:
        return str(template) % (notification.params or {})
    except (KeyError, TypeError, ValueError):
        return str(template)


def notify(
    *,
    user_ids,
    kind: str,
    params: dict | None = None,
    endpoint: str | None = None,
    values: dict | None = None,
    dedupe_key: str | None = None,
    now: datetime | None = None,
) -> int:
    """Add one notification per user; with ``dedupe_key`` a user is told only once. Return count.

    ``endpoint`` and ``values`` name the page it leads to (as ``url_for`` takes them); the URL is
    built when the notification is shown, so a job can tell people without a request.
    """
    if kind not in kinds():
        raise ValueError(f"unknown notification kind {kind!r}")
    now = now or utcnow()
    user_ids = sorted(set(user_ids))
    if not user_ids:
        return 0
    skip: set[int] = set()
    if dedupe_key is not None:
        skip = set(
            db.session.scalars(
                sa.select(Notification.user_id).where(
                    Notification.user_id.in_(user_ids), Notification.dedupe_key == dedupe_key
                )
            )
        )
    count = 0
    for user_id in user_ids:
        if user_id in skip:
            continue
        db.session.add(
            Notification(
                user_id=user_id,
                kind=kind,
                params=params or {},
                endpoint=endpoint,
                endpoint_values=values,
                dedupe_key=dedupe_key,
                created_at=now,
            )
        )
        count += 1
    db.session.flush()
    return count


def unread_count(user) -> int:
    """How many notifications the user has not read yet."""
    return db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    )


def notifications_for(user, *, limit: int = 50) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def mark_all_read(*, user, now: datetime | None = None) -> int:
    """Mark every unread notification of the user as read; return how many."""
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow())
    )
    return result.rowcount or 0


def send_notification_emails(*, now: datetime | None = None, sender=None) -> int:
    """E-mail notifications not yet sent, when an SMTP server is configured; return how many."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return 0
    now = now or utcnow()
    # The recipient's model through the relationship (by name, like the audit log's actor), so
    # notifications import no account module: accounts and every domain use notifications.
    User = Notification.user.property.mapper.class_
    pending = db.session.execute(
        sa.select(Notification, User.email)
        .join(User, User.id == Notification.user_id)
        .where(
            Notification.emailed_at.is_(None),
            Notification.read_at.is_(None),
            User.email.is_not(None),
        )
        .order_by(Notification.id)
        .limit(200)
    ).all()
    send = sender or _smtp_send
    count = 0
    for notification, email in pending:
        send(
            to=email, subject=notification_text(notification), body=notification_text(notification)
        )
        notification.emailed_at = now
        count += 1
    db.session.flush()
    return count


def _smtp_send(*, to: str, subject: str, body: str) -> None:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config.get("MAIL_DEFAULT_SENDER", "mangxanh@localhost")
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(config["MAIL_SERVER"], int(config.get("MAIL_PORT", 25)), timeout=10) as smtp:
        smtp.send_message(message)
