"""Hostile input: safe ``next`` redirects, id bounds, NUL bytes, and no-store on private pages.

- :func:`safe_next` is the one reader of ``next`` (sign-in, language switch, review pages).
- ``<int:...>`` in every route matches only ids a database integer column can hold, so an id out
  of range is a 404 rather than PostgreSQL's "integer out of range" (a 500).
- A NUL byte anywhere in the path, the query, a form or a JSON body answers 400 (PostgreSQL
  refuses NUL in text, so it would otherwise be a 500).
- Every answer to a signed-in user and every ``/api/`` answer sends ``Cache-Control: no-store``
  unless its view opts in with :func:`cacheable` (static files are cached as before), or the
  response is marked :func:`shared` (a public page rendered without the reader: browsers and
  nginx may keep it a short while); a marked response that sets a cookie or changed the session
  is sent ``private, no-store`` all the same.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from flask import Flask, g, request, session, url_for
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

#: The largest value of a PostgreSQL ``integer`` (and so of every id column here).
DB_INT_MAX = 2**31 - 1

#: Characters a browser drops from or refuses in a URL (tabs, line breaks, other controls).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def safe_next(target: str | None, default: str | None = None) -> str:
    """Return ``target`` if a browser would read it as a path on this site, else ``default``.

    Browsers strip tabs and line breaks, read ``\\`` as ``/`` and treat ``//host`` as another
    site, so ``/%09/evil.example`` and ``/\\evil.example`` are refused, as are schemes, control
    characters (raw or percent-encoded) and anything that is not a plain absolute path.
    """
    fallback = default or url_for("core.index")
    if not target or not isinstance(target, str) or len(target) > 2048:
        return fallback
    decoded = target
    for _round in range(3):  # an encoded variant of a refused character is refused too
        if _CONTROL.search(decoded) or "\\" in decoded:
            return fallback
        decoded = unquote(decoded)
    if _CONTROL.search(decoded) or "\\" in decoded:
        return fallback
    if not target.startswith("/") or target.startswith("//"):
        return fallback
    if decoded.startswith("//"):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target


class DatabaseIntConverter(IntegerConverter):
    """``<int:...>``: a non-negative integer a database integer column can hold."""

    def __init__(self, map, fixed_digits=0, min=None, max=DB_INT_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def cacheable(view):
    """Let a view's answers be cached (they must hold nothing private)."""
    view.cacheable = True
    return view


def shared(response, *, max_age: int, etag: str):
    """Let browsers and shared caches keep ``response`` for ``max_age`` seconds, validated by
    ``etag`` (a 304 when the browser already has it).

    Only for an answer that holds nothing of its reader: no name, no CSRF token, no cookie. The
    no-store hook checks the last two and refuses to share an answer that sets a cookie.
    """
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    response.set_etag(etag)
    response.shared = True
    return response.make_conditional(request)


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _multidict_has_nul(values) -> bool:
    return any("\x00" in k or "\x00" in v for k, v in values.items(multi=True))


def _refuse_nul_bytes():
    if "\x00" in request.path or _multidict_has_nul(request.args):
        raise BadRequest()
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        if _multidict_has_nul(request.form) or any(
            "\x00" in (f.filename or "") for f in request.files.values()
        ):
            raise BadRequest()
    elif request.is_json:
        raw = request.get_data(cache=True)
        # A JSON text can hold a NUL only as the escape \u0000 (a raw NUL is not JSON): a body
        # without that sequence needs no parsing here (a false alarm just parses it).
        if b"\\u0000" not in raw and b"\x00" not in raw:
            return None
        body = request.get_json(silent=True)
        if _has_nul(body):
            raise BadRequest()
    return None


def _no_store(app: Flask):
    def hook(response):
        if request.endpoint == "static":
            return response
        view = app.view_functions.get(request.endpoint or "")
        if getattr(view, "cacheable", False):
            return response
        if getattr(response, "shared", False):
            if not session.modified and "Set-Cookie" not in response.headers:
                return response
            response.headers.pop("ETag", None)
            response.headers["Cache-Control"] = "private, no-store"
            return response
        # Only a user this request already loaded: an answer that never looked at the user
        # shows nothing private, and loading one here could fail after the view's own error.
        user = g.get("_login_user")
        if request.path.startswith("/api/") or (user is not None and user.is_authenticated):
            response.headers["Cache-Control"] = "private, no-store"
        return response

    return hook


def init_app(app: Flask) -> None:
    """Install the converter (before any blueprint adds its routes) and the request hooks."""
    app.url_map.converters["int"] = DatabaseIntConverter
    app.before_request(_refuse_nul_bytes)
    app.after_request(_no_store(app))
