"""The ``DomainError`` family and the error pages and JSON errors they become."""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from flask import Flask, current_app, jsonify, make_response, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from core.extensions import db
from core.i18n import LOCALE_COOKIE


class DomainError(Exception):
    """A rule of the domain was broken; the message is written for the person who broke it."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str | None = None, *, field: str | None = None, **details) -> None:
        super().__init__(message or self.default_message())
        self.message = message or self.default_message()
        self.field = field
        self.details = details

    def default_message(self) -> str:
        return _("The request cannot be carried out.")


class NotFound(DomainError):
    """The object does not exist, or the user may not know that it does."""

    status_code = 404
    code = "not_found"

    def default_message(self) -> str:
        return _("Not found.")


class Forbidden(DomainError):
    """The user is signed in but may not do this."""

    status_code = 403
    code = "forbidden"

    def default_message(self) -> str:
        return _("You do not have permission to do this.")


class Conflict(DomainError):
    """The object's state does not allow this now (closed, already submitted, duplicate)."""

    status_code = 409
    code = "conflict"


class ValidationFailed(DomainError):
    """Input was understood but is not acceptable."""

    status_code = 400
    code = "validation"


ERROR_TITLES = {
    400: _l("The request is not valid"),
    401: _l("Please sign in"),
    403: _l("Access denied"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    409: _l("Cannot be done now"),
    413: _l("The file is too large"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong"),
}

ERROR_TEXTS = {
    400: _l("The request could not be understood. Please check what you entered and try again."),
    401: _l("You need to sign in to continue."),
    403: _l("You do not have permission to view this page."),
    404: _l("The page you are looking for does not exist or has been moved."),
    405: _l("This action is not allowed here."),
    409: _l("This cannot be done in the current state."),
    413: _l("The file you sent is larger than allowed."),
    429: _l("You have tried too many times. Please wait a few minutes and try again."),
    500: _l("An unexpected error occurred. It has been logged; please try again later."),
}


def wants_json() -> bool:
    """Tell whether the caller expects JSON rather than an HTML page."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.accept_mimetypes["text/html"]


def error_response(status: int, message: str | None = None, code: str | None = None, **extra):
    """Render an error as JSON for API callers and as a Vietnamese page for people."""
    text = message or str(ERROR_TEXTS.get(status, ERROR_TEXTS[500]))
    if wants_json():
        body = {"error": {"status": status, "code": code or f"http_{status}", "message": text}}
        body["error"].update({k: v for k, v in extra.items() if v is not None})
        return jsonify(body), status
    title = ERROR_TITLES.get(status, ERROR_TITLES[500])
    return render_template("errors/error.html", status=status, title=title, message=text), status


def register_error_handlers(app: Flask) -> None:
    """Turn domain errors, HTTP errors and crashes into clear pages or JSON."""

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        return error_response(
            error.status_code, error.message, error.code, field=error.field, **error.details
        )

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        return error_response(
            400,
            _("Your session has expired or the form is stale. Reload the page and try again."),
            "csrf",
        )

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        status = error.code or 500
        message = None
        if status == 429:
            message = _("You have tried too many times. Please wait a few minutes and try again.")
        elif status in (400, 422) and wants_json():
            messages = (
                getattr(error, "data", {}).get("messages") if hasattr(error, "data") else None
            )
            if messages:
                return error_response(
                    400, _("The request body is not valid."), "bad_request", fields=messages
                )
            status = 400
        return error_response(status, message)

    @app.errorhandler(sa.exc.DBAPIError)
    @app.errorhandler(sa.exc.TimeoutError)
    def _database_error(error: Exception):
        if not is_database_unavailable(error):
            raise error  # a fault of the statement itself: Flask logs it and answers 500
        return database_unavailable_response(error)

    @app.teardown_appcontext
    def _close_session(exc):
        # Before Flask-SQLAlchemy's own close (teardowns run last registered first): a connection
        # lost after the response was made fails its rollback here, which would turn the answer
        # into gunicorn's bare 500. The connection is gone anyway: log one line, keep the answer.
        try:
            db.session.remove()
        except sa.exc.DBAPIError as error:
            if not is_database_unavailable(error):
                raise
            db.session.remove()
            current_app.logger.warning(
                "database connection lost at the end of a request: %s", _first_line(error)
            )

    @app.errorhandler(InternalServerError)
    def _crash(error: InternalServerError):
        # Flask logs the original exception before calling this handler.
        return error_response(500)


#: How long a client is asked to wait before trying again while the database is unreachable.
DATABASE_RETRY_AFTER_SECONDS = 10

#: PostgreSQL SQLSTATEs that mean "no database to talk to now" rather than "this statement
#: failed": class 08 (connection exception), shutdown or start-up, too many connections.
_PG_UNAVAILABLE_STATES = ("08", "57P01", "57P02", "57P03", "53300")
#: SQLite errors that mean the file cannot be used now (missing, locked, failing disk).
_SQLITE_UNAVAILABLE = ("unable to open database file", "database is locked", "disk I/O error")


def is_database_unavailable(error: BaseException) -> bool:
    """Tell whether ``error`` means the database cannot be reached or used now.

    A lost or refused connection, a server shutting down or starting up, an exhausted pool, a
    SQLite file that cannot be opened or stays locked. An error of the statement itself (a
    missing table, a constraint, a cancelled query) is a fault to fix, not an outage.
    """
    if isinstance(error, sa.exc.TimeoutError):
        return True
    if not isinstance(error, sa.exc.DBAPIError):
        return False
    if error.connection_invalidated or isinstance(error, sa.exc.InterfaceError):
        return True
    if not isinstance(error, sa.exc.OperationalError):
        return False
    orig = error.orig
    if isinstance(orig, sqlite3.Error):
        return any(text in str(orig) for text in _SQLITE_UNAVAILABLE)
    state = getattr(orig, "sqlstate", None)
    # psycopg leaves the state empty when no server answered (refused, unreachable, timed out).
    return state is None or state.startswith(_PG_UNAVAILABLE_STATES)


def database_unavailable_response(error: BaseException):
    """Answer 503 with ``Retry-After`` without touching the database, and log one line.

    Nothing here may reach for the database: not the signed-in user (so not the language saved
    in their profile: the cookie's or Vietnamese), not the context processors ``render_template``
    runs (navigation, notifications), not the page layout.
    """
    languages = current_app.config["LANGUAGES"]
    chosen = request.cookies.get(LOCALE_COOKIE)
    locale = chosen if chosen in languages else current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        title = _("The service is briefly unavailable")
        message = _("The service is briefly unavailable. Please try again in a few minutes.")
        if wants_json():
            body = jsonify(
                {"error": {"status": 503, "code": "database_unavailable", "message": message}}
            )
        else:
            page = current_app.jinja_env.get_template("errors/unavailable.html")
            body = page.render(lang=locale, title=title, message=message)
    response = make_response(body, 503)
    response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    current_app.logger.error(
        "database unavailable: %s %s %s: %s",
        request.method,
        request.path,
        type(error).__name__,
        _first_line(error),
    )
    return response


def _first_line(error: BaseException) -> str:
    """The driver's message, first line only (psycopg adds hints and SQLAlchemy a link)."""
    lines = str(getattr(error, "orig", None) or error).strip().splitlines()
    return lines[0] if lines else ""


def _field_named(fields, name: str | None):
    """The field whose full name is ``name`` among ``fields`` (a form), looking inside FieldLists
    and FormFields too (``criteria-1-name``); None if there is none."""
    if not name:
        return None
    for field in fields:
        if field.name == name:
            return field
        children = getattr(field, "entries", None)  # a FieldList's fields
        if children is None:
            children = getattr(field, "form", None)  # a FormField's form
        if children is not None:
            found = _field_named(children, name)
            if found is not None:
                return found
    return None


def show_beside_field(form, error: DomainError, default: str) -> None:
    """Show a domain error's message beside the form field it names (a subform's too, by its
    full name: ``criteria-1-name``), or beside ``default``."""
    field = _field_named(form, error.field) or form[default]
    field.errors = [*field.errors, error.message]
    # An error about several fields (``beside={field: message}``) puts each message by its field.
    for other, message in (error.details.get("beside") or {}).items():
        found = _field_named(form, other)
        if found is not None:
            found.errors = [*found.errors, message]
