"""Notifications: notices to users in-app and by e-mail; each package registers its own kinds."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask_login import current_user

from core.notifications import models, services, views  # noqa: F401 - models: the table
from core.scheduler import Job, register_job


def init_app(app: Flask) -> None:
    """Register the notifications page, the unread count in the top bar and the e-mail job."""

    app.register_blueprint(views.bp)

    @app.context_processor
    def _notifications():
        if current_user and current_user.is_authenticated:
            return {"notification_count": services.unread_count(current_user)}
        return {}

    register_job(
        app,
        Job(
            "notification-emails",
            "core.notifications.jobs:send_notification_emails",
            timedelta(minutes=5),
        ),
    )
