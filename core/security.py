"""Security headers and cookie flags, with a CSP that allows only this site.

The headers are the same on every answer, so they are built once, when the application is
created, and added to each response by one hook (Flask-Talisman rebuilt its CSP string on every
request). With FORCE_HTTPS, plain HTTP is redirected to HTTPS and secure answers carry HSTS.
"""

from __future__ import annotations

from flask import Flask, redirect, request

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

#: Every answer's security headers, in the order they are sent.
HEADERS = (
    ("Permissions-Policy", ", ".join(f"{k}={v}" for k, v in PERMISSIONS.items())),
    ("X-Frame-Options", FRAME_OPTIONS),
    ("X-Content-Type-Options", "nosniff"),
    ("Content-Security-Policy", "; ".join(f"{k} {v}" for k, v in CSP.items())),
    ("Referrer-Policy", REFERRER_POLICY),
)
HSTS = ("Strict-Transport-Security", f"max-age={HSTS_MAX_AGE}")


def _is_https() -> bool:
    return request.is_secure or request.headers.get("X-Forwarded-Proto", "http") == "https"


def init_app(app: Flask) -> None:
    force_https = app.config.get("FORCE_HTTPS", False)
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.jinja_env.globals.setdefault("csp_nonce", lambda: "")
    # Each application keeps its own FORCE_HTTPS in these closures: nothing is shared.
    if force_https:

        @app.before_request
        def _force_https():
            if not app.debug and not _is_https():
                return redirect(request.url.replace("http://", "https://", 1), code=302)
            return None

    @app.after_request
    def _security_headers(response):
        set_header = response.headers.__setitem__
        for name, value in HEADERS:
            set_header(name, value)
        if force_https and _is_https():
            set_header(*HSTS)
        return response
