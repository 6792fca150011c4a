"""One unit of work per request: the request, not the view body, owns the transaction.

Services flush and never commit; views never commit or roll back either. The request settles
its one transaction after the view:

- **commit** once when the response is a success (status below 400: a page, a redirect after a
  POST, a JSON answer, a file) and nothing marked the request failed.
- **roll back** otherwise: a ``DomainError`` or ``abort()`` that became a 4xx page or JSON error
  (the API blueprint's errors included), a crash (500), an exception that escapes, or a request
  marked failed.
- A read (GET, HEAD, OPTIONS) commits nothing, unless its view is marked
  ``core.web.writes_on_read`` (a read logged for the audit, a default created on first view):
  those commit like a write. A plain read's transaction ends with the request's application
  context (Flask-SQLAlchemy removes the session: a rollback), so an object changed only to be
  shown is never stored. The same mark tells SQLite to begin with the write lock (``core.db``).

A view that catches a ``DomainError`` to answer with a success status (re-render the form with
the message beside its field, or flash it and redirect) does it with ``domain_errors``: the half
done work is rolled back at once, so the page shows what is stored, and the request is marked
failed, so nothing is committed after it. A view may catch a ``DomainError`` itself only from
a service that stores nothing before it raises (judging's assignment preview, which tells why no
plan can be made yet); otherwise a half-done service's flushed rows would be committed.

A response that streams is committed before its body is sent; its generator must not write.
Side effects that must not happen for work that is rolled back follow the commit: stored files
follow the transaction (``core.storage``), and e-mail is sent by a job from notifications that
were committed. A commit that fails becomes a 500 page, whose response rolls back.
"""

from __future__ import annotations

from contextlib import contextmanager

from flask import Flask, current_app, flash, g, request

from core.errors import DomainError, show_beside_field
from core.extensions import db


def fail_request() -> None:
    """Roll the request's work back now and commit nothing else this request."""
    db.session.rollback()
    g._unit_of_work_failed = True


@contextmanager
def domain_errors(form=None, field: str | None = None, *, category: str = "danger"):
    """Turn a ``DomainError`` raised inside into a message, after rolling the request back.

    With a form, the message goes beside the field the error names (or beside ``field``);
    without one, it is flashed with ``category``. The error does not propagate: the code after
    the ``with`` block runs, so put the success path (flash, redirect) inside it::

        with domain_errors(form, "title"):
            services.create_contest(actor=current_user, title=form.title.data)
            flash(_("The contest has been created."), "success")
            return redirect(url_for("essay.contests"))
        return render_template("contest_form.html", form=form)
    """
    try:
        yield
    except DomainError as error:
        fail_request()
        if form is not None:
            show_beside_field(form, error, field)
        else:
            flash(error.message, category)


def is_read_only_request() -> bool:
    """Tell whether the current request only reads (a GET, HEAD or OPTIONS not marked
    ``writes_on_read``)."""
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return not getattr(view, "writes_on_read", False)


def _has_work() -> bool:
    """Whether the request's session holds anything to commit (a transaction under way, or
    objects added since the last one: either begins a transaction)."""
    if not db.session.registry.has():
        return False  # the request never used the database
    session = db.session()
    return session.in_transaction() or bool(session.new or session.dirty or session.deleted)


def init_app(app: Flask) -> None:
    """Settle each request's transaction after its view (see the module's docstring)."""

    @app.before_request
    def _open():
        # Only a dispatched request is settled here: a bare request context (a test's
        # session_transaction, say) leaves the session alone.
        g._unit_of_work = "open"

    @app.after_request
    def _settle(response):
        failed = g.pop("_unit_of_work_failed", False)
        if response.status_code >= 400 or failed:
            db.session.rollback()
        elif not is_read_only_request() and _has_work():
            # A failing commit raises here: Flask answers 500, and this runs again for it.
            db.session.commit()
        g._unit_of_work = "settled"
        return response

    @app.teardown_request
    def _roll_back_unsettled(exc):
        # An exception escaped the view and its handlers (or the commit failed and escaped).
        if g.pop("_unit_of_work", None) == "open":
            db.session.rollback()
