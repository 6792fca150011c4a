"""Released leaderboards (getLeaderboard, getContestLeaderboard), as a small Flask application.

When results come out every student opens the board at once (issue 18), and the board of a
released ranked round (or of a contest whose started rounds are all released) is the same for
everyone signed in: its reply is kept per snapshot (:mod:`contests.quiz.leaderboards.replies`)
and only the reader's own line is new. Such a read needs the reader and the board's newest
snapshot, nothing else of the full application's request machinery (language, rate limits, unit
of work, navigation).

:func:`mount` (called by the composition root, ``app.py``; see :mod:`core.mounts`) sends ``GET``
requests for ``/api/v1/rounds/<id>/leaderboard`` and ``/api/v1/contests/<id>/leaderboard`` to
the application :func:`create_board_app` builds. It is a Flask application with the full
application's configuration and session interface, and a Flask-Login manager of its own with
the same session protection, whose user loader (:func:`core.auth.sessions.load_reader`) applies
the full loader's rules and finds the board's released snapshot, in one Core statement. It
serves a read only when it is plainly fine: a signed-in reader in a live session whose session
needs no change, query arguments in their plain form, a board everyone may read that has a
snapshot. Everything else (no or an ended session, a remember-me cookie to exchange, staff
reading before the release, an unknown or practice round, unusual arguments, an error) is
handed to the full application exactly as it arrived, and its route gives the canonical answer
or error. A database that cannot be reached is answered as the full application answers it
(:func:`core.errors.database_unavailable_response`).
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask, g, request, session
from flask_login import LoginManager, current_user

from contests.quiz import leaderboards
from contests.quiz.api import BOARD_SCHEMA, LINE_SCHEMA
from core import mounts, security
from core.auth import sessions
from core.db import is_sqlite, sqlite_begin_mode
from core.errors import database_unavailable_response, is_database_unavailable
from core.extensions import db
from core.flaskapp import App
from core.hardening import DatabaseIntConverter

#: The full application's board routes: getLeaderboard and getContestLeaderboard, with what
#: names the board in each (a view argument) and the statement that finds its released snapshot.
BOARDS = {
    "quiz_api.get_leaderboard": ("round_id", leaderboards.RELEASED_SNAPSHOT),
    "quiz_api.get_contest_leaderboard": ("contest_id", leaderboards.RELEASED_CONTEST_SNAPSHOT),
}
_PATH = re.compile(r"/api/v1/(rounds|contests)/[0-9]+/leaderboard\Z")
#: The query arguments in the plain form the small application reads itself; anything else is
#: the full route's to parse (flask-smorest's schema, its errors).
_LEVELS = {"MN", "TH", "THCS"}
_LIMIT = re.compile(r"[1-9][0-9]?\Z|100\Z")


def _plain_arguments() -> dict | None:
    """scope, level and limit as ``LeaderboardArgs`` would load them, or None if unusual."""
    args = request.args
    if len(args) != len(request.query_string.split(b"&")) and request.query_string:
        return None  # a repeated or empty argument
    if not set(args) <= {"scope", "level", "limit"}:
        return None
    scope = args.get("scope", "student")
    level = args.get("level")
    limit = args.get("limit", "100")
    if scope not in leaderboards.SCOPES or (level is not None and level not in _LEVELS):
        return None
    if not _LIMIT.match(limit):
        return None
    return {"scope": scope, "level": level, "limit": int(limit)}


def create_board_app(full: Flask) -> Flask:
    """The small application that serves released boards (see the module docstring)."""
    board_app = App(__name__)
    board_app.config = full.config
    board_app.session_interface = full.session_interface
    board_app.url_map.converters["int"] = DatabaseIntConverter
    force_https = full.config.get("FORCE_HTTPS", False)

    with full.app_context():
        # The full application's engines by name: the engine, or a test's connection in its
        # place (tests/conftest.py), looked up on each request.
        engines = db.engines

    def connection() -> sa.Connection:
        """This request's connection (closed when the request ends or is handed on)."""
        found = g.get("board_connection")
        if found is None:
            bind = engines[None]
            if isinstance(bind, sa.Engine):
                found = bind.connect()
                if not is_sqlite(bind):
                    # One read needs no transaction: no BEGIN and no ROLLBACK, one round trip
                    # to PostgreSQL instead of three.
                    found = found.execution_options(isolation_level="AUTOCOMMIT")
            else:
                found = bind
            g.board_connection = found
        return found

    @board_app.teardown_appcontext
    def _close(_error=None):
        found = g.pop("board_connection", None)
        if found is not None and found is not engines[None]:
            found.close()

    login = LoginManager()
    login.init_app(board_app)
    login.session_protection = full.login_manager.session_protection
    # The reader and the board's released snapshot in one statement: one round trip.
    statements = {
        endpoint: (argument, sessions.reader_statement(released))
        for endpoint, (argument, released) in BOARDS.items()
    }

    @login.user_loader
    def _reader(value: str):
        argument, statement = statements[request.endpoint]
        params = {argument: request.view_args[argument]}
        return sessions.load_reader(value, connection(), statement, **params)

    def pass_on():
        # The connection goes back to the pool before the full application takes the request
        # (which would otherwise run while this one is still held).
        _close()
        return mounts.mount_of(board_app).pass_on()

    def board(**_board_id):
        arguments = _plain_arguments()
        if arguments is None or (force_https and not full.debug and not security.is_https()):
            return pass_on()
        mode = sqlite_begin_mode.set("DEFERRED")
        try:
            return _serve(arguments)
        finally:
            sqlite_begin_mode.reset(mode)

    def _serve(arguments: dict):
        mount = mounts.mount_of(board_app)
        try:
            reader = current_user._get_current_object()
            # Not signed in here (a remember-me cookie to exchange, an ended session), or the
            # session protection changed the session: the full application's to do.
            if not reader.is_authenticated or session.modified:
                return pass_on()
            if reader.along is None:  # no snapshot that everyone may read yet
                return pass_on()
            snapshot = leaderboards.SnapshotRef(*reader.along)
            # Reading the board may need the database on a cache miss: the full application's.
            with mount.full_app_context():
                response = leaderboards.board_response(
                    snapshot=snapshot,
                    **arguments,
                    me=reader,
                    schema=BOARD_SCHEMA,
                    line_schema=LINE_SCHEMA,
                )
        except (sa.exc.DBAPIError, sa.exc.TimeoutError) as error:
            if not is_database_unavailable(error):
                full.logger.warning("leaderboard read handed on", exc_info=True)
                return pass_on()
            _close()
            with mount.full_app_context():  # the full application's 503, one log line
                response = database_unavailable_response(error)
        except Exception:
            # The full route gives the canonical answer.
            full.logger.warning("leaderboard read handed on", exc_info=True)
            return pass_on()
        else:
            mount.served += 1
        security.add_headers(response, force_https=force_https)
        response.headers["Cache-Control"] = "private, no-store"
        return response

    for endpoint in BOARDS:
        (rule,) = full.url_map.iter_rules(endpoint)
        board_app.add_url_rule(rule.rule, endpoint=endpoint, view_func=board, methods=["GET"])

    @board_app.errorhandler(Exception)
    def _not_ours(error):
        # Not the route (a redirect, a HEAD or OPTIONS request) or anything unexpected.
        return pass_on()

    return board_app


def wants(environ: dict) -> bool:
    """A ``GET`` of a round's or a contest's leaderboard that brings a cookie."""
    return (
        environ.get("REQUEST_METHOD") == "GET"
        and "HTTP_COOKIE" in environ
        and _PATH.match(environ.get("PATH_INFO", "")) is not None
    )


def mount(full: Flask) -> mounts.Mount:
    """Put the board application in front of ``full.wsgi_app``; returns its mount."""
    return mounts.mount(full, create_board_app(full), wants)
