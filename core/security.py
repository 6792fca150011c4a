"""Security headers and cookie flags (Flask-Talisman), with a CSP that allows only this site."""

from __future__ import annotations

from flask import Flask
from flask_talisman import Talisman

CSP = {
    "default-src": "'self'",
    "img-src": "'self' data: blob:",
    "script-src": "'self'",
    "style-src": "'self'",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


PERMISSIONS = {"geolocation": "()", "camera": "()", "microphone": "()"}
FRAME_OPTIONS = "DENY"
REFERRER_POLICY = "same-origin"
HSTS_MAX_AGE = 31_536_000


def init_app(app: Flask) -> None:
    force_https = app.config.get("FORCE_HTTPS", False)
    # One Talisman per application: it keeps its settings on itself, so a shared instance
    # would give every application the settings of the last one created.
    Talisman(
        app,
        force_https=force_https,
        strict_transport_security=force_https,
        strict_transport_security_max_age=HSTS_MAX_AGE,
        session_cookie_secure=app.config.get("SESSION_COOKIE_SECURE", True),
        session_cookie_http_only=True,
        content_security_policy=CSP,
        frame_options=FRAME_OPTIONS,
        referrer_policy=REFERRER_POLICY,
        permissions_policy=PERMISSIONS,
    )

    @app.after_request
    def _no_sniff(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response
