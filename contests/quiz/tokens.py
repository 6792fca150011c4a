"""Attempt tokens: the capability the quiz page sends with its answer saves (``X-Attempt-Token``).

``startAttempt`` and ``getAttempt`` hand the student a token naming the attempt, the user and the
signed-in session it was issued to, signed with HMAC-SHA256 under a key derived from the
application's secret key and its own salt (so no other signed value of the application passes for
one) and compared in constant time. A save that brings a valid token is authenticated by it alone: the save's one guarded statement checks that the attempt is still that
user's and open, the account active and that session still live, so a sign-out, a disabled
account or a closed attempt ends the token's use at once. A custom header cannot be sent
cross-site, so such a save needs no CSRF token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import NamedTuple

from flask import Flask, current_app

from core.clock import utcnow

HEADER = "X-Attempt-Token"
SALT = "mangxanh.quiz.attempt-token"
#: How long a token is honoured (QUIZ_ATTEMPT_TOKEN_SECONDS): the page gets a new one each time
#: it starts or resumes the attempt, and no attempt outlasts its round.
DEFAULT_MAX_AGE = 12 * 3600


class Grant(NamedTuple):
    """What a valid token grants: saves to ``attempt_id`` as ``user_id`` in ``session_id``."""

    attempt_id: int
    user_id: int
    session_id: int


def _key(app: Flask) -> bytes:
    """The tokens' HMAC key: HMAC-SHA256 of the salt under the secret key (no other signed value
    of the application uses it), derived once per secret key."""
    cached = app.extensions.get("mangxanh.attempt_token_key")
    if cached is None or cached[0] != app.secret_key:
        secret = app.secret_key.encode() if isinstance(app.secret_key, str) else app.secret_key
        cached = (app.secret_key, hmac.new(secret, SALT.encode(), hashlib.sha256).digest())
        app.extensions["mangxanh.attempt_token_key"] = cached
    return cached[1]


def _signature(key: bytes, payload: str) -> str:
    digest = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def issue(*, attempt_id: int, user_id: int, session_id: int | None) -> str | None:
    """A token for the attempt, or None when the request has no stored session to name.

    ``<attempt>.<user>.<session>.<issued at>.<HMAC-SHA256 of the rest>``.
    """
    if session_id is None:
        return None
    payload = f"{attempt_id}.{user_id}.{session_id}.{int(utcnow().timestamp())}"
    return f"{payload}.{_signature(_key(current_app), payload)}"


def read(token: str | None) -> Grant | None:
    """The grant of a well-signed, unexpired token; None for anything else."""
    if not token or len(token) > 200:
        return None
    payload, _, signature = token.rpartition(".")
    parts = payload.split(".")
    if len(parts) != 4 or not all(p.isascii() and p.isdigit() for p in parts):
        return None
    if not hmac.compare_digest(signature.encode(), _signature(_key(current_app), payload).encode()):
        return None
    attempt_id, user_id, session_id, issued = (int(p) for p in parts)
    max_age = current_app.config.get("QUIZ_ATTEMPT_TOKEN_SECONDS", DEFAULT_MAX_AGE)
    # A minute's grace for an app server whose clock is a little behind the issuer's.
    if not -60 <= utcnow().timestamp() - issued <= max_age:
        return None
    return Grant(attempt_id, user_id, session_id)
