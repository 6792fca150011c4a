"""Lean routes: the few hottest JSON writes, served before Flask's per-request machinery.

During a contest, answer saves arrive by the thousand per second, and when a round opens
thousands of students start it within a minute. Through the full stack each request pays for a
request context, the session and sign-in lookups, CSRF, the rate limiter, the security-header
extension, the API framework's argument parsing and the ORM: measured, about 3 ms of CPU for a
0.1 ms database write, 5 ms for a start. A lean route is a small handler matched on method and
path that does only what that one request needs (quiz saves and starts: contests/quiz/api.py).

It is a faster way to the same answer, never a second set of rules:

- The session cookie is verified with Flask's own signing serializer (same key, salt and
  lifetime); the user id is Flask-Login's ``_user_id``; the CSRF header is checked exactly as
  Flask-WTF checks it (same salt, time limit and session key). Session protection's identifier
  is recomputed as Flask-Login computes it.
- The handler declines (returns ``None``) whenever anything is not the plain case: a body it
  does not expect, an attempt it cannot vouch for, a guarded write that changed nothing.
- Every request that is not plainly fine — no session, a remember-me cookie only, a bad or
  missing token, a changed address, a handler that declines or fails — goes on to the full
  application untouched (its body restored), which gives the canonical answer or error.

So the full application stays the specification: its routes, OpenAPI operations and tests are
unchanged, and tests run every lean route next to its full twin (``LEAN_ROUTES = False`` turns
them off, for tests and as an operator's switch).
"""

from __future__ import annotations

import hmac
import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from hashlib import sha512

import sqlalchemy as sa
from flask import Flask
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.http import parse_cookie

from core.cache import BoundedDict
from core.clock import utcnow
from core.db import begin_immediate

log = logging.getLogger(__name__)

#: A lean route never reads more than this; a larger body goes to the full application.
MAX_BODY = 16 * 1024

#: Verified session cookies and CSRF tokens remembered per worker (first in, first out).
VERIFIED_MAX = 20_000

#: Session keys after which the full application would rewrite a cookie (a pending remember-me
#: change); such a request is left to it.
_COOKIE_CHANGING_KEYS = ("_remember",)

_STATUS = {200: "200 OK", 201: "201 Created"}


#: Called with each statement a lean route runs (SQLAlchemy's events do not see them): the
#: query-count tests listen here.
statement_listeners: list[Callable[[str], None]] = []


class Prepared:
    """An SQLAlchemy statement compiled once per dialect and run straight on the driver's cursor.

    The statement is still written (and reviewed) as SQLAlchemy; only the per-execution work of
    a Connection (events, result objects, statement cache lookups) is skipped. Parameters and
    result columns go through the same type processors SQLAlchemy would apply.
    """

    def __init__(self, statement):
        self.statement = statement
        self._compiled: dict[str, tuple] = {}
        self._columns: dict[str, list] = {}

    def _for(self, dialect) -> tuple:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            built = self.statement.compile(dialect=dialect)
            binds = {
                name: processor
                for name, bind in built.binds.items()
                if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect))
            }
            order = list(built.positiontup) if built.positional else None
            compiled = self._compiled[dialect.name] = (built, binds, order)
        return compiled

    def bind(self, dialect, params: dict) -> tuple[str, list | dict]:
        """The statement's text for ``dialect`` and its processed parameters."""
        built, binds, order = self._for(dialect)
        values = built.construct_params(params)
        for name, processor in binds.items():
            if name in values:
                values[name] = processor(values[name])
        for listener in statement_listeners:
            listener(built.string)
        return built.string, [values[n] for n in order] if order else values

    def _execute(self, cursor, dialect, params: dict) -> list:
        """Run the statement on ``cursor``; return the result columns' processors."""
        cursor.execute(*self.bind(dialect, params))
        columns = self._columns.get(dialect.name)
        if columns is None:
            # As SQLAlchemy does, from the driver's type codes (PostgreSQL's numeric columns
            # are converted according to the type the server sent).
            columns = self._columns[dialect.name] = [
                column.type.dialect_impl(dialect).result_processor(dialect, described[1])
                for column, described in zip(
                    self.statement.exported_columns, cursor.description or (), strict=False
                )
            ]
        return columns

    def first(self, cursor, dialect, params: dict) -> tuple | None:
        columns = self._execute(cursor, dialect, params)
        row = cursor.fetchone()
        if row is None:
            return None
        return tuple(p(v) if p else v for p, v in zip(columns, row, strict=True))

    def all(self, cursor, dialect, params: dict) -> list[tuple]:
        """Every row (processed)."""
        columns = self._execute(cursor, dialect, params)
        rows = cursor.fetchall()
        if not any(columns):
            return rows
        return [tuple(p(v) if p else v for p, v in zip(columns, row, strict=True)) for row in rows]


class LeanConnection:
    """A driver connection for a lean route: its reads, then (after ``begin_write``) its write."""

    def __init__(self, cursor, dialect, begin_write: Callable[[], None] | None = None):
        self.cursor = cursor
        self.dialect = dialect
        self._begin_write = begin_write

    def first(self, prepared: Prepared, params: dict) -> tuple | None:
        """Run ``prepared`` and return its first row (processed), or None."""
        return prepared.first(self.cursor, self.dialect, params)

    def all(self, prepared: Prepared, params: dict) -> list[tuple]:
        """Run ``prepared`` and return all its rows (processed)."""
        return prepared.all(self.cursor, self.dialect, params)

    def begin_write(self) -> None:
        """Call before the handler's one write: on SQLite this takes the write lock (the reads
        before it run without it, so other workers' writes never wait on them)."""
        if self._begin_write is not None:
            self._begin_write()
            self._begin_write = None


@dataclass
class LeanRequest:
    """What a handler gets: the signed-in user's id, the path's groups and the JSON body."""

    user_id: int
    args: tuple[str, ...]
    json: object
    _routes: LeanRoutes = field(repr=False)

    @property
    def config(self):
        """The application's configuration (read, never changed, by handlers)."""
        return self._routes.app.config

    @contextmanager
    def transaction(self) -> Iterator[LeanConnection]:
        """A connection for the handler's reads and its one write, which must come last, after
        ``connection.begin_write()``.

        On SQLite the reads run each on their own; ``begin_write`` opens the write transaction
        (taking the write lock), committed when the block ends without error. On PostgreSQL
        each statement commits on its own (autocommit): the one write is a single guarded
        statement, atomic by itself, and BEGIN and COMMIT would be two more round trips.
        """
        with self._routes.transaction() as connection:
            yield connection


Handler = Callable[[LeanRequest], "tuple[int, dict] | None"]


@dataclass
class Route:
    method: str
    pattern: re.Pattern
    handler: Handler
    #: The route may come with no body at all (the handler then gets ``json`` None).
    bodiless: bool = False


class LeanRoutes:
    """WSGI middleware in front of the Flask application (see the module's docstring)."""

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.routes: list[Route] = []
        config = app.config
        self.enabled = config.get("LEAN_ROUTES", True)
        self.cookie_name = config["SESSION_COOKIE_NAME"]
        self.session_serializer = app.session_interface.get_signing_serializer(app)
        self.session_max_age = int(app.permanent_session_lifetime.total_seconds())
        self.refresh_permanent = config.get("SESSION_REFRESH_EACH_REQUEST", True)
        self.csrf_methods = set(config.get("WTF_CSRF_METHODS", {"POST", "PUT", "PATCH", "DELETE"}))
        self.csrf_field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        self.csrf_headers = [
            "HTTP_" + name.upper().replace("-", "_")
            for name in config.get("WTF_CSRF_HEADERS", ["X-CSRFToken", "X-CSRF-Token"])
        ]
        self.csrf_time_limit = config.get("WTF_CSRF_TIME_LIMIT", 3600)
        self.csrf_strict = config.get("WTF_CSRF_SSL_STRICT", True)
        self.csrf_serializer = (
            URLSafeTimedSerializer(
                config.get("WTF_CSRF_SECRET_KEY") or app.secret_key, salt="wtf-csrf-token"
            )
            if app.secret_key
            else None
        )
        self.force_https = config.get("FORCE_HTTPS", False)
        self.protection = config.get("SESSION_PROTECTION", "basic")
        self.headers: list[tuple[str, str]] = []
        self._engines = None
        self._autocommit_engine = None
        self._sessions = BoundedDict(VERIFIED_MAX)
        self._tokens = BoundedDict(VERIFIED_MAX)

    def add(self, method: str, pattern: str, handler: Handler, *, bodiless: bool = False) -> None:
        self.routes.append(Route(method, re.compile(pattern), handler, bodiless))

    # --- WSGI -----------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        if self.enabled:
            method = environ.get("REQUEST_METHOD")
            path = environ.get("PATH_INFO", "")
            for route in self.routes:
                if route.method == method:
                    match = route.pattern.fullmatch(path)
                    if match:
                        answer = self._serve(environ, match, route)
                        if answer is not None:
                            return self._respond(start_response, *answer)
                        break
        return self.wsgi_app(environ, start_response)

    def _serve(self, environ, match, route: Route) -> tuple[int, dict] | None:
        if self.force_https and environ.get("wsgi.url_scheme") != "https":
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        if length == 0 and route.bodiless and "HTTP_TRANSFER_ENCODING" not in environ:
            raw = None
        else:
            if not 0 < length <= MAX_BODY:
                return None
            raw = environ["wsgi.input"].read(length)
            # Whatever happens next, the full application can still read the body.
            environ["wsgi.input"] = io.BytesIO(raw)
            if not environ.get("CONTENT_TYPE", "").startswith("application/json"):
                return None
        user_id = self.signed_in_user(environ)
        if user_id is None:
            return None
        try:
            body = None if raw is None else json.loads(raw)
        except ValueError:
            return None
        try:
            return route.handler(LeanRequest(user_id, match.groups(), body, self))
        except Exception:  # the full application gives the real answer (or error)
            log.warning("lean route %s declined after an error", match.string, exc_info=True)
            return None

    def _respond(self, start_response, status: int, payload: dict):
        data = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode() + b"\n"
        start_response(
            _STATUS.get(status, f"{status} "),
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(data))),
                *self.headers,
            ],
        )
        return [data]

    # --- who is asking ----------------------------------------------------------------------

    def signed_in_user(self, environ) -> int | None:
        """The user id if the session and CSRF token hold exactly as the full stack would see."""
        cookies = parse_cookie(environ)
        value = cookies.get(self.cookie_name)
        if not value or self.session_serializer is None:
            return None
        session = self._verified(
            self._sessions, self.session_serializer, value, self.session_max_age
        )
        if session is None:
            return None
        if not isinstance(session, dict) or any(k in session for k in _COOKIE_CHANGING_KEYS):
            return None
        if session.get("_permanent") and self.refresh_permanent:
            return None  # Flask would send a refreshed cookie: leave that to it
        # Flask-Login's alternative id "<user id>:<login session id>" (core.auth.sessions). The
        # lean routes do not check that the session is still live: they are being replaced by
        # the attempt-token path (issue 11), whose guarded statement does.
        user_id = session.get("_user_id")
        if not isinstance(user_id, str):
            return None
        user_id = user_id.partition(":")[0]
        if not user_id.isdigit():
            return None
        if self.protection in ("basic", "strong") and session.get("_id") != identifier(environ):
            return None
        # Read on each request, as Flask-WTF does (tests turn it on and off).
        needs_csrf = (
            self.app.config.get("WTF_CSRF_ENABLED", True)
            and environ["REQUEST_METHOD"] in self.csrf_methods
        )
        if needs_csrf and not self._csrf_ok(environ, session):
            return None
        return int(user_id)

    def _csrf_ok(self, environ, session: dict) -> bool:
        if self.csrf_serializer is None or self.csrf_field not in session:
            return False
        if self.csrf_strict and environ.get("wsgi.url_scheme") == "https":
            return False  # the referrer check is Flask-WTF's to make
        for header in self.csrf_headers:
            token = environ.get(header)
            if token:
                break
        else:
            return False
        signed = self._verified(self._tokens, self.csrf_serializer, token, self.csrf_time_limit)
        return isinstance(signed, str) and hmac.compare_digest(session[self.csrf_field], signed)

    def _verified(self, cache: BoundedDict, serializer, value: str, max_age: int | None):
        """``serializer.loads(value, max_age)``, remembering values whose signature checked out.

        A student's session cookie and token stay the same for the whole quiz, so each worker
        verifies them once; the age is still checked on every use, as itsdangerous checks it.
        """
        hit = cache.get(value)
        if hit is None:
            try:
                payload, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
            except BadData:
                return None
            hit = (payload, signed_at.timestamp())
            cache.put(value, hit)
        payload, signed_at = hit
        if max_age is not None:
            age = utcnow().timestamp() - signed_at
            if age > max_age or age < 0:
                cache.pop(value, None)
                return None
        return payload

    # --- the database ---------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[LeanConnection]:
        if self._engines is None:
            from core.extensions import db

            with self.app.app_context():
                # The application's own engine map: a test that swaps in its connection (to
                # roll back afterwards) is seen here too.
                self._engines = db.engines
        bind = self._engines[None]
        if isinstance(bind, sa.Connection):
            # A test's connection, inside the test's transaction: a savepoint stands in.
            cursor = bind.connection.dbapi_connection.cursor()
            cursor.execute("SAVEPOINT lean_route")
            try:
                yield LeanConnection(cursor, bind.dialect)
            except BaseException:
                cursor.execute("ROLLBACK TO SAVEPOINT lean_route")
                raise
            finally:
                cursor.execute("RELEASE SAVEPOINT lean_route")
                cursor.close()
            return
        if bind.dialect.name == "postgresql":
            with self._autocommit(bind) as cursor:
                yield LeanConnection(cursor, bind.dialect)
            return
        raw = bind.raw_connection()
        writing = []

        def begin_write():
            begin_immediate(raw.dbapi_connection)
            writing.append(True)

        try:
            cursor = raw.cursor()
            yield LeanConnection(cursor, bind.dialect, begin_write)
            cursor.close()
            if writing:
                raw.commit()
        except BaseException:
            if writing:
                raw.rollback()
            raise
        finally:
            raw.close()

    @contextmanager
    def _autocommit(self, bind: sa.Engine) -> Iterator:
        """A PostgreSQL cursor whose statements commit on their own, from this worker's own
        small pool of autocommit connections.

        That pool does not ping a connection at checkout (the application's does, a round
        trip per request): a connection that has gone stale fails the handler, is dropped,
        and the full application serves the request on a checked one.
        """
        if self._autocommit_engine is None:
            self._autocommit_engine = sa.create_engine(
                bind.url, isolation_level="AUTOCOMMIT", pool_pre_ping=False, pool_size=2
            )
        raw = self._autocommit_engine.raw_connection()
        try:
            cursor = raw.cursor()
            try:
                yield cursor
            finally:
                cursor.close()
        except bind.dialect.loaded_dbapi.Error:
            raw.invalidate()
            raise
        finally:
            raw.close()


def identifier(environ) -> str:
    """Flask-Login's session-protection identifier of this client (``_create_identifier``)."""
    user_agent = environ.get("HTTP_USER_AGENT")
    if user_agent is not None:
        user_agent = user_agent.encode("utf-8")
    address = environ.get("HTTP_X_FORWARDED_FOR", environ.get("REMOTE_ADDR"))
    if address is not None:
        address = address.encode("utf-8").split(b",")[0].strip()
    return sha512(f"{address}|{user_agent}".encode()).hexdigest()


def init_app(app: Flask) -> LeanRoutes:
    """Put the lean routes in front of the application; packages add theirs with ``add_route``."""
    lean = LeanRoutes(app, app.wsgi_app)
    app.wsgi_app = lean
    app.extensions["mangxanh.lean"] = lean
    return lean


def add_route(
    app: Flask, method: str, pattern: str, handler: Handler, *, bodiless: bool = False
) -> None:
    """Serve ``method pattern`` (a regular expression over the path) with a lean ``handler``.

    ``bodiless``: the request may also come without a body (no Content-Length, or 0).
    """
    app.extensions["mangxanh.lean"].add(method, pattern, handler, bodiless=bodiless)


def set_headers(app: Flask, headers: list[tuple[str, str]]) -> None:
    """The security headers every lean answer carries (``core.security`` gives the full stack's)."""
    app.extensions["mangxanh.lean"].headers = list(headers)
