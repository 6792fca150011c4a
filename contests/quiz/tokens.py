"""Attempt tokens: the capability the quiz page sends with its answer saves (``X-Attempt-Token``).

``startAttempt`` and ``getAttempt`` hand the student a token naming the attempt, the user and the
signed-in session it was issued to, signed with the application's secret key (its own salt, so
no other signed value of the application passes for one). A save that brings a valid token is
authenticated by it alone: the save's one guarded statement checks that the attempt is still that
user's and open, the account active and that session still live, so a sign-out, a disabled
account or a closed attempt ends the token's use at once. A custom header cannot be sent
cross-site, so such a save needs no CSRF token.
"""

from __future__ import annotations

from typing import NamedTuple

from flask import Flask, current_app
from itsdangerous import BadData, URLSafeTimedSerializer

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


def _serializer(app: Flask) -> URLSafeTimedSerializer:
    serializer = app.extensions.get("mangxanh.attempt_tokens")
    if serializer is None:
        serializer = URLSafeTimedSerializer(app.secret_key, salt=SALT)
        app.extensions["mangxanh.attempt_tokens"] = serializer
    return serializer


def issue(*, attempt_id: int, user_id: int, session_id: int | None) -> str | None:
    """A token for the attempt, or None when the request has no stored session to name."""
    if session_id is None:
        return None
    return _serializer(current_app).dumps([attempt_id, user_id, session_id])


def read(token: str | None) -> Grant | None:
    """The grant of a well-signed, unexpired token; None for anything else."""
    if not token:
        return None
    max_age = current_app.config.get("QUIZ_ATTEMPT_TOKEN_SECONDS", DEFAULT_MAX_AGE)
    try:
        value = _serializer(current_app).loads(token, max_age=max_age)
    except BadData:
        return None
    if (
        not isinstance(value, list)
        or len(value) != 3
        or not all(type(item) is int for item in value)
    ):
        return None
    return Grant(*value)
