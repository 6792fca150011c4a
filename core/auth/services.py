"""Sign-in rules: throttling failed attempts per account at an address, and per address."""

from __future__ import annotations

import hashlib
import ipaddress
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from limits import parse_many

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


def _limits(address: str):
    """(limit, scope, key) triples that apply to a sign-in from ``address``.

    Counters live in the limiter's storage (Redis when configured), under the app's prefix, so
    every worker and app server sees the same counts. An account is limited per address only:
    failures elsewhere never lock its owner out. The per-address limit (all accounts together)
    is far above what one school fails by itself, and skips trusted school networks.
    """
    cfg = current_app.config
    prefix = cfg["RATELIMIT_KEY_PREFIX"]
    triples = [
        (limit, f"{prefix}/login-account-address")
        for limit in parse_many(cfg["LOGIN_LIMIT_PER_ACCOUNT"])
    ]
    if not _trusted(address):
        triples += [
            (limit, f"{prefix}/login-ip") for limit in parse_many(cfg["LOGIN_LIMIT_PER_IP"])
        ]
    return triples


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in current_app.config["LOGIN_TRUSTED_NETWORKS"])


def _key(scope: str, username: str, address: str) -> str:
    address = address or "unknown"
    if scope.endswith("/login-ip"):
        return address
    name = (username or "").strip().lower()
    # Bounded and free of separators whatever the username holds.
    return hashlib.sha256(f"{name}\n{address}".encode()).hexdigest()


def check_throttle(*, username: str, address: str) -> None:
    """Refuse at once if this account failed too often from this address, or the address did."""
    strategy = limiter.limiter
    for limit, scope in _limits(address):
        key = _key(scope, username, address)
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
    """Count one failed sign-in against the account at this address, and the address."""
    strategy = limiter.limiter
    for limit, scope in _limits(address):
        strategy.hit(limit, scope, _key(scope, username, address))


def sign_in(*, username: str, password: str, address: str, now: datetime | None = None) -> User:
    """Check credentials under the throttle; return the user or raise."""
    check_throttle(username=username, address=address)
    user = accounts.authenticate(username=username, password=password, now=now)
    if user is None:
        record_failure(username=username, address=address)
        raise BadCredentials(_("The username or password is not correct."))
    return user
