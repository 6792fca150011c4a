"""The answer save with an attempt token, mounted as its own small Flask application.

A save that brings ``X-Attempt-Token`` is authenticated by the token alone
(:mod:`contests.quiz.tokens`, :func:`contests.quiz.fastsave.token_save`), so it needs nothing of
the full application's request machinery: no session cookie, no signed-in user, no CSRF check,
no language, no rate limit, no unit-of-work hooks. :func:`mount` (called by the composition
root, ``app.py``; see :mod:`core.mounts`) sends ``PUT`` requests under the saveAnswer path that
carry the header to the application :func:`create_save_app` builds, and every other request to
the full application, unchanged.

The small application serves a save only when it is plainly fine, in one guarded statement on
the full application's database session (the same engine; one transaction, committed once).
Everything else is handed to the full application exactly as it arrived (the body it read is
given back): an invalid, expired or foreign token, a body the schema would refuse, a late or
closed attempt, a NUL byte, an unusual content type or size, a path that is not the saveAnswer
route, plain HTTP when HTTPS is forced. The full route then gives the canonical answer or error,
as it did before this application was mounted. A database that cannot be reached is answered as
the full application answers it (:func:`core.errors.database_unavailable_response`).
"""

from __future__ import annotations

from contextlib import suppress

import sqlalchemy as sa
from flask import Flask, current_app, request
from flask.sessions import SessionInterface
from werkzeug.exceptions import HTTPException

from contests.quiz import fastsave, tokens
from core import mounts, security
from core.db import sqlite_begin_mode
from core.errors import database_unavailable_response, is_database_unavailable
from core.extensions import db
from core.hardening import DatabaseIntConverter

#: ``X-Attempt-Token`` as a WSGI environ key.
_HEADER_KEY = "HTTP_" + tokens.HEADER.upper().replace("-", "_")
#: A save body is a few dozen bytes; anything larger (or of unknown length) is the full
#: application's to judge (its size limit, its errors).
BODY_LIMIT = 4096


class NullSessionInterface(SessionInterface):
    """No session: a token save neither reads nor sets the session cookie."""

    def open_session(self, app, request):
        return self.make_null_session(app)

    def save_session(self, app, session, response):
        return None


def _finish(response, force_https: bool):
    """The headers the full application adds to a saveAnswer answer."""
    security.add_headers(response, force_https=force_https)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def create_save_app(full: Flask) -> Flask:
    """The small application that serves token saves (see the module docstring).

    ``full``: the full application, whose configuration, database session and logger it uses.
    """
    save_app = Flask(__name__)
    save_app.session_interface = NullSessionInterface()
    save_app.extensions["mangxanh.full"] = full
    save_app.url_map.converters["int"] = DatabaseIntConverter
    (rule,) = full.url_map.iter_rules(fastsave.SAVE_ENDPOINT)
    force_https = full.config.get("FORCE_HTTPS", False)

    def pass_on(body: bytes | None = None) -> mounts.PassOn:
        return mounts.mount_of(save_app).pass_on(body)

    def plainly_out_of_scope() -> bool:
        length = request.content_length
        return (
            bool(request.query_string)
            or request.mimetype != "application/json"
            or length is None
            or length > BODY_LIMIT
            or (force_https and not full.debug and not security.is_https())
        )

    def save(attempt_id: int, question_id: int):
        if plainly_out_of_scope():
            return pass_on()
        body = request.get_data(cache=True)
        # A NUL byte is the full application's to refuse (core.hardening).
        if b"\\u0000" in body or b"\x00" in body:
            return pass_on(body)
        with mounts.mount_of(save_app).full_app_context():
            grant = tokens.read(request.headers.get(tokens.HEADER))
            if grant is None or grant.attempt_id != attempt_id:
                return pass_on(body)
            mode = sqlite_begin_mode.set("IMMEDIATE")
            try:
                answer = fastsave.token_save(grant, attempt_id, question_id)
            except (sa.exc.DBAPIError, sa.exc.TimeoutError) as error:
                _roll_back()
                if is_database_unavailable(error):
                    return _finish(database_unavailable_response(error), force_https)
                current_app.logger.warning("token save handed on: %s", error, exc_info=True)
                return pass_on(body)
            except Exception:
                _roll_back()
                current_app.logger.exception("token save handed on")
                return pass_on(body)
            finally:
                sqlite_begin_mode.reset(mode)
            if answer is None:
                # Not plainly fine: the full route need not try the token again.
                request.environ[fastsave.DECLINED_BY_SAVE_APP] = True
                return pass_on(body)
            mounts.mount_of(save_app).served += 1
            return _finish(answer, force_https)

    save_app.add_url_rule(rule.rule, endpoint="save", view_func=save, methods=["PUT"])

    @save_app.errorhandler(HTTPException)
    def _not_ours(error):
        # Not the saveAnswer route (another path or method, a redirect to a canonical path):
        # the full application routes it.
        return pass_on()

    return save_app


def _roll_back() -> None:
    # A lost connection fails its rollback too: the context's teardown removes the session.
    with suppress(sa.exc.DBAPIError):
        db.session.rollback()


def mount(full: Flask) -> mounts.Mount:
    """Put the token-save application in front of ``full.wsgi_app``; returns its mount."""
    (rule,) = full.url_map.iter_rules(fastsave.SAVE_ENDPOINT)
    prefix = rule.rule.split("<", 1)[0]  # the rule's constant start, /api/v1/attempts/

    def wants(environ: dict) -> bool:
        """A ``PUT`` under the saveAnswer path that brings an attempt token."""
        return (
            environ.get("REQUEST_METHOD") == "PUT"
            and _HEADER_KEY in environ
            and environ.get("PATH_INFO", "").startswith(prefix)
        )

    return mounts.mount(full, create_save_app(full), wants)
