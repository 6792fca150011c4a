"""The Flask application class: Flask itself, minus work it repeats identically on every request.

Every request runs some twenty hooks; Flask asks of each, each time, whether it is a coroutine
function (``inspect``), and builds a new signing serializer for the session cookie. Both answers
never change for a given function or key, so :class:`App` keeps them. Nothing else differs from
Flask: the same hooks run in the same order, and the session cookie is the same signed cookie,
checked the same way.
"""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface


class CachedSerializerSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with its serializer built once per key set."""

    def get_signing_serializer(self, app):
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = getattr(app, "_session_serializer", None)
        if cached is not None and cached[0] == keys:
            return cached[1]
        serializer = super().get_signing_serializer(app)
        app._session_serializer = (keys, serializer)
        return serializer


class App(Flask):
    """Flask with the per-request answers that never change kept (see the module docstring)."""

    session_interface = CachedSerializerSessionInterface()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sync = {}

    def ensure_sync(self, func):
        try:
            return self._sync[func]
        except KeyError:
            pass
        except TypeError:  # an unhashable callable: ask Flask every time
            return super().ensure_sync(func)
        sync = super().ensure_sync(func)
        if len(self._sync) < 4096:  # bound methods made per call hash equal: a few hundred at most
            self._sync[func] = sync
        return sync
