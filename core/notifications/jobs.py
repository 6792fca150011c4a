"""Scheduled notification work: the e-mail copy of unread notifications."""

from __future__ import annotations

from datetime import datetime

from core.notifications import services


def send_notification_emails(*, now: datetime) -> int:
    """E-mail unread notifications when an SMTP server is configured (otherwise nothing)."""
    return services.send_notification_emails(now=now)
