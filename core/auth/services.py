"""Sign-in rules: throttling failed attempts per account and per address."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from limits import parse

from core.accounts import services as accounts
from core.accounts.models import User
from core.clock import utcnow
from core.errors import DomainError
from core.extensions import limiter


class TooManyAttempts(DomainError):
    """Too many failed sign-ins for this account or from this address."""

    status_code = 429
    code = "too_many_attempts"


class BadCredentials(DomainError):
    """The username or password is wrong, or the account is disabled."""

    status_code = 401
    code = "bad_credentials"


def _limits():
    # Counters live in the limiter's storage (Redis when configured), under the app's prefix,
    # so every worker and app server sees the same counts.
    cfg = current_app.config
    prefix = cfg["RATELIMIT_KEY_PREFIX"]
    return (
        (parse(cfg["LOGIN_LIMIT_PER_ACCOUNT"]), f"{prefix}/login-account"),
        (parse(cfg["LOGIN_LIMIT_PER_IP"]), f"{prefix}/login-ip"),
    )


def _keys(username: str, address: str) -> tuple[str, str]:
    return ((username or "").strip().lower(), address or "unknown")


def check_throttle(*, username: str, address: str) -> None:
    """Refuse at once if this account or address has failed too often (shared via Redis)."""
    strategy = limiter.limiter
    for (limit, scope), key in zip(_limits(), _keys(username, address), strict=True):
        if not strategy.test(limit, scope, key):
            reset_at = strategy.get_window_stats(limit, scope, key).reset_time
            minutes = max(1, round((reset_at - _epoch_now()) / 60))
            raise TooManyAttempts(
                _(
                    "Too many failed sign-in attempts. Please try again in %(minutes)d minutes.",
                    minutes=minutes,
                )
            )


def _epoch_now() -> float:
    return utcnow().timestamp()


def record_failure(*, username: str, address: str) -> None:
    """Count one failed sign-in against the account and the address."""
    strategy = limiter.limiter
    for (limit, scope), key in zip(_limits(), _keys(username, address), strict=True):
        strategy.hit(limit, scope, key)


def sign_in(*, username: str, password: str, address: str, now: datetime | None = None) -> User:
    """Check credentials under the throttle; return the user or raise."""
    check_throttle(username=username, address=address)
    user = accounts.authenticate(username=username, password=password, now=now)
    if user is None:
        record_failure(username=username, address=address)
        raise BadCredentials(_("The username or password is not correct."))
    return user
