"""Small Flask applications mounted in front of the full one, for the few hottest requests.

A contest's answer saves and the leaderboard rush after results come out are thousands of
requests a second that need almost nothing of the full application's request machinery (its
language, rate limits, unit of work, navigation). Each has a small Flask application of its own
(``contests.quiz.saveapp``, ``contests.quiz.boardapp``), mounted by the composition root with
:class:`Mount`: a WSGI callable that sends the requests its ``wants`` picks to the small
application and everything else to the application it wraps, unchanged.

A small application serves a request only when it is plainly fine; anything else it answers
with :class:`PassOn`, which hands the request, exactly as it arrived, to the application it
wraps. The full application's route then gives the canonical answer or error, and stays the
specification. The small applications use the full application's database session, logger and
configuration inside :func:`full_app_context`.
"""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO

from flask import Flask, Response, request
from flask.ctx import AppContext
from flask.globals import app_ctx

#: The environ key under which :class:`Mount` hands a small application the full application's
#: context that was already pushed when the request came (a test holds one; a server never does).
_OUTER_CONTEXT = "mangxanh.mounts.outer_app_context"


class PassOn(Response):
    """An answer given by the wrapped application: the request is handed to it as it arrived."""

    def __init__(self, wrapped, environ: dict, body: bytes | None = None):
        super().__init__()
        self.wrapped = wrapped
        environ = dict(environ)
        environ.pop("werkzeug.request", None)
        if body is not None:  # the small application read the body: give it back
            environ["wsgi.input"] = BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        self.environ = environ

    def __call__(self, environ, start_response):
        return self.wrapped(self.environ, start_response)


class Mount:
    """WSGI: the requests ``wants`` picks go to ``small``, everything else to ``wrapped``.

    ``served`` counts the requests the small application answered itself, ``passed`` those it
    handed on (per process; for tests and curiosity).
    """

    def __init__(self, full: Flask, wrapped, small: Flask, wants: Callable[[dict], bool]) -> None:
        self.full = full
        self.wrapped = wrapped
        self.small = small
        self.wants = wants
        self.served = 0
        self.passed = 0
        small.extensions["mangxanh.mount"] = self

    def __call__(self, environ, start_response):
        if self.wants(environ):
            outer = app_ctx._get_current_object() if app_ctx else None
            if outer is not None and outer.app is self.full:
                environ[_OUTER_CONTEXT] = outer
            return self.small(environ, start_response)
        return self.wrapped(environ, start_response)

    def pass_on(self, body: bytes | None = None) -> PassOn:
        """Hand the current request to the wrapped application (``body``: what was read of it)."""
        self.passed += 1
        return PassOn(self.wrapped, request.environ, body)

    def full_app_context(self) -> AppContext:
        """The full application's context for this request: the one already pushed, if any."""
        outer = request.environ.get(_OUTER_CONTEXT)
        return outer if outer is not None else self.full.app_context()


def mount(full: Flask, small: Flask, wants: Callable[[dict], bool]) -> Mount:
    """Put ``small`` in front of ``full.wsgi_app`` for the requests ``wants`` picks."""
    mounted = Mount(full, full.wsgi_app, small, wants)
    full.wsgi_app = mounted
    return mounted


def mount_of(small: Flask) -> Mount:
    """The :class:`Mount` that sends ``small`` its requests."""
    return small.extensions["mangxanh.mount"]
