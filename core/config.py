"""Configuration classes. The environment is read when a class is instantiated, never at import."""

from __future__ import annotations

import ipaddress
import os
import secrets
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """The configuration cannot run the application safely."""


def _networks(value: str | None) -> tuple:
    """Parse a comma-separated list of addresses or CIDR blocks (``203.0.113.0/24,10.1.2.3``)."""
    try:
        return tuple(
            ipaddress.ip_network(part.strip(), strict=False)
            for part in (value or "").split(",")
            if part.strip()
        )
    except ValueError as error:
        raise ConfigError(f"LOGIN_TRUSTED_NETWORKS: {error}") from error


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Production settings, each overridable from the environment."""

    ENV_NAME = "production"
    DEBUG = False
    TESTING = False

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.INSTANCE_PATH = env.get("INSTANCE_PATH", str(PROJECT_ROOT / "instance"))
        self.SECRET_KEY = env.get("SECRET_KEY") or self.default_secret_key()
        self.SQLALCHEMY_DATABASE_URI = env.get("DATABASE_URL") or self.default_database_url()
        self.REDIS_URL = env.get("REDIS_URL") or None
        self.TIMEZONE = env.get("TIMEZONE", "Asia/Ho_Chi_Minh")
        self.BABEL_DEFAULT_LOCALE = env.get("BABEL_DEFAULT_LOCALE", "vi")
        self.BABEL_DEFAULT_TIMEZONE = self.TIMEZONE
        self.SESSION_COOKIE_SECURE = _bool(env.get("SESSION_COOKIE_SECURE"), self.secure_default())
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        #: How long "keep me signed in" lasts; each use starts the period again (core.auth).
        self.REMEMBER_COOKIE_DURATION = timedelta(days=int(env.get("REMEMBER_ME_DAYS", "30")))
        self.FORCE_HTTPS = _bool(env.get("FORCE_HTTPS"), False)
        self.PROXY_COUNT = int(env.get("PROXY_COUNT", "0"))
        self.MAIL_SERVER = env.get("MAIL_SERVER") or None
        self.UPLOAD_FOLDER = env.get("UPLOAD_FOLDER", str(Path(self.INSTANCE_PATH) / "uploads"))
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.RATELIMIT_KEY_PREFIX = env.get("RATELIMIT_KEY_PREFIX", "mangxanh")
        #: Failed sign-ins from one address, all accounts together: far above what one school
        #: behind one NAT fails by itself (core.auth.services).
        self.LOGIN_LIMIT_PER_IP = env.get("LOGIN_LIMIT_PER_ADDRESS", "1000 per 15 minutes")
        #: School addresses the per-address limit never applies to (each account still has its
        #: own per-address limit there).
        self.LOGIN_TRUSTED_NETWORKS = _networks(env.get("LOGIN_TRUSTED_NETWORKS"))
        self.SCHEDULER_EMBEDDED = _bool(env.get("SCHEDULER_EMBEDDED"), False)
        #: The district safeguarding lead, told at once when the safeguarding role is asked for
        #: or given (core.accounts.grants); without such an account, district safeguarding staff.
        self.SAFEGUARDING_LEAD_USERNAME = env.get("SAFEGUARDING_LEAD_USERNAME", "safeguard")
        #: How often the scheduler checks it still holds its lock, or retries taking it (s).
        self.SCHEDULER_LOCK_CHECK_SECONDS = float(env.get("SCHEDULER_LOCK_CHECK_SECONDS", "5"))
        #: How long a worker keeps the question bank it read for starts (seconds; 0: off).
        self.QUIZ_BANK_CACHE_SECONDS = int(env.get("QUIZ_BANK_CACHE_SECONDS", "30"))

    # Settings that are the same everywhere.
    #: No ping on every checkout: core.db.ping_when_idle pings connections that sat idle.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "mx_session"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    #: The remember-me cookie: a random token, replaced on each use (core.auth.sessions).
    REMEMBER_ME_COOKIE_NAME = "mx_remember"
    #: Flask-Login's own remember cookie (``<user id>|HMAC``) is never set; under a name no
    #: cookie has, Flask-Login never reads one either and hands over to our request loader.
    REMEMBER_COOKIE_NAME = "mx_flask_login_remember_unused"
    #: How long a signed-out or ended session's row is kept before the scheduler deletes it.
    LOGIN_SESSION_RETENTION = timedelta(days=7)
    #: CSRF tokens live as long as the session, so a long quiz never loses its token.
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_SSL_STRICT = False
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024
    LANGUAGES = ("vi", "en")
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_STRATEGY = "moving-window"
    #: Failed sign-ins of one account from one address: a short wait after a few, a longer one
    #: after many. Other addresses are not affected, so guessing never locks the owner out.
    LOGIN_LIMIT_PER_ACCOUNT = "5 per minute;20 per 15 minutes"
    ACTIVATION_CODE_DAYS = 60
    #: argon2id parameters recommended by OWASP (19 MiB memory, 2 iterations, 1 lane).
    ARGON2_TIME_COST = 2
    ARGON2_MEMORY_COST = 19456
    ARGON2_PARALLELISM = 1
    #: Flask-Compress only where a view asks for it (core.extensions.compress).
    COMPRESS_REGISTER = False
    COMPRESS_MIMETYPES = ["application/json", "text/html"]
    COMPRESS_ALGORITHM = ["br", "gzip"]
    API_TITLE = "Mạng Xanh API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    SEED_DEMO_PASSWORD = "demo1234"  # noqa: S105 - the documented demo password

    def secure_default(self) -> bool:
        return True

    def default_secret_key(self) -> str:
        raise ConfigError("SECRET_KEY must be set outside development and tests.")

    def default_database_url(self) -> str:
        raise ConfigError("DATABASE_URL must be set in production (PostgreSQL).")


class DevConfig(Config):
    """`make run`: SQLite under instance/, a per-machine secret key, the scheduler embedded."""

    ENV_NAME = "development"
    DEBUG = False

    def secure_default(self) -> bool:
        return False

    def default_secret_key(self) -> str:
        path = Path(self.INSTANCE_PATH) / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32))
        return path.read_text().strip()

    def default_database_url(self) -> str:
        return f"sqlite:///{Path(self.INSTANCE_PATH) / 'mangxanh.sqlite3'}"


class TestConfig(Config):
    """Tests: a throwaway database, cheap password hashing, no HTTPS redirects."""

    ENV_NAME = "testing"
    TESTING = True
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 64
    RATELIMIT_STRATEGY = "fixed-window"
    QUIZ_ELIGIBLE_CACHE_SECONDS = 0

    def __init__(self, environ: dict[str, str] | None = None, **overrides) -> None:
        super().__init__(environ)
        # Every test reads the bank afresh (ids come back after a rolled-back test).
        self.QUIZ_BANK_CACHE_SECONDS = 0
        for key, value in overrides.items():
            setattr(self, key, value)

    def secure_default(self) -> bool:
        return False

    def default_secret_key(self) -> str:
        return "test-secret-key"

    def default_database_url(self) -> str:
        return "sqlite://"


def config_from_env(environ: dict[str, str] | None = None) -> Config:
    """Pick the configuration class named by APP_ENV (production unless told otherwise)."""
    env = os.environ if environ is None else environ
    name = env.get("APP_ENV", "production")
    classes = {"production": Config, "development": DevConfig, "testing": TestConfig}
    if name not in classes:
        raise ConfigError(f"APP_ENV must be one of {', '.join(classes)}, not {name!r}.")
    return classes[name](env)
