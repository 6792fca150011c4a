"""How the report channel is throttled without stopping a second child in the same school lab.

A whole school shares one address, so reports are counted per browser session and device (a
random id in the signed session cookie), and the address only has a ceiling a whole school
cannot reach in an hour. Both limits are settings read on every request.
"""

from __future__ import annotations

import secrets

from flask import current_app, session
from flask_limiter.util import get_remote_address

from core.extensions import limiter

DEVICE_KEY = "safety_device"


def device_key() -> str:
    """The browser's own id, kept in the signed session cookie (made on first use)."""
    device = session.get(DEVICE_KEY)
    if not device:
        device = secrets.token_urlsafe(16)
        session[DEVICE_KEY] = device
    return f"device:{device}"


def address_key() -> str:
    return f"address:{get_remote_address()}"


def _setting(name: str):
    return lambda: current_app.config[name]


def report_limits():
    """Decorate a report-filing route: per device, and a school-sized ceiling per address."""

    def decorate(view):
        view = limiter.limit(
            _setting("SAFETY_REPORT_ADDRESS_LIMIT"),
            key_func=address_key,
            methods=["POST"],
        )(view)
        return limiter.limit(
            _setting("SAFETY_REPORT_LIMIT"),
            key_func=device_key,
            methods=["POST"],
        )(view)

    return decorate


def follow_up_limits(view):
    """Decorate a follow-up route (reference + secret phrase): per device and per address."""
    view = limiter.limit(
        _setting("SAFETY_FOLLOW_UP_ADDRESS_LIMIT"), key_func=address_key, methods=["POST"]
    )(view)
    return limiter.limit(_setting("SAFETY_FOLLOW_UP_LIMIT"), key_func=device_key, methods=["POST"])(
        view
    )
