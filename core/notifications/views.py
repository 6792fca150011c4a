"""The signed-in user's notifications page."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from core.extensions import db
from core.notifications import services

bp = Blueprint("notifications", __name__)


@bp.route("/notifications")
@login_required
def index():
    """The signed-in user's notifications, newest first."""
    items = services.notifications_for(current_user)
    return render_template(
        "core/notifications/index.html",
        items=[(n, services.notification_text(n)) for n in items],
    )


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_read():
    """Mark every notification as read."""
    services.mark_all_read(user=current_user)
    db.session.commit()
    return redirect(url_for("notifications.index"))
