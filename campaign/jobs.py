"""Scheduled campaign work. A campaign's state is read from its dates; jobs only send messages."""

from __future__ import annotations

from datetime import datetime

from campaign import services


def send_notification_emails(*, now: datetime) -> int:
    """E-mail unread notifications when an SMTP server is configured (otherwise nothing)."""
    return services.send_notification_emails(now=now)
