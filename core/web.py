"""Site-wide pieces: the home page, language switch, navigation registry, request hooks."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import (
    Blueprint,
    Flask,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
)
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import text

from core import hardening
from core.db import sqlite_begin_mode
from core.extensions import db, login_manager
from core.hardening import safe_next
from core.i18n import LOCALE_COOKIE
from core.transaction import is_read_only_request

bp = Blueprint("core", __name__)


@dataclass(frozen=True)
class NavItem:
    """A link in the top bar, shown to holders of any of ``roles`` (everyone if empty)."""

    endpoint: str
    label: object
    roles: tuple[str, ...] = ()
    order: int = 50
    public: bool = False
    match: tuple[str, ...] = field(default_factory=tuple)

    def visible_to(self, user) -> bool:
        if not user.is_authenticated:
            return self.public
        return not self.roles or user.has_role(*self.roles)

    def is_active(self) -> bool:
        prefixes = self.match or (self.endpoint.rsplit(".", 1)[0] + ".",)
        return bool(request.endpoint) and request.endpoint.startswith(prefixes)


def writes_on_read(view):
    """Mark a GET view that also writes (e.g. logs a read): its work is committed (see
    ``core.transaction``) and SQLite takes the write lock at the start."""
    view.writes_on_read = True
    return view


def public_page_context() -> dict:
    """Template values that render a page as a signed-out visitor sees it, whoever asks.

    For a page that browsers and nginx may share (core.hardening.shared): no user menu, no
    role's links, no flashed message taken from the reader's session, and no CSRF token (which
    would tie the page to a session); the page's script fetches a token when it needs one.
    """
    g.public_page = True  # context processors ask is_public_page()
    anonymous = login_manager.anonymous_user()
    items = sorted(current_app.extensions.get("mangxanh.nav", []), key=lambda i: i.order)
    return {
        "current_user": anonymous,
        "nav_items": [i for i in items if i.visible_to(anonymous)],
        "csrf_token": lambda: "",
        "get_flashed_messages": lambda **_kwargs: [],
    }


def is_public_page() -> bool:
    """Tell a context processor that this page is rendered for everyone (public_page_context)."""
    return bool(g.get("public_page"))


def add_nav(app: Flask, item: NavItem) -> None:
    """Register a navigation link; each package adds its own in its ``init_app``."""
    app.extensions.setdefault("mangxanh.nav", []).append(item)


def add_home_section(app: Flask, role: str, template: str, context=None, order: int = 50) -> None:
    """Let a package add a section to the signed-in home page of users holding ``role``."""
    app.extensions.setdefault("mangxanh.home", []).append((order, role, template, context))


def add_public_section(app: Flask, template: str, context=None, order: int = 50) -> None:
    """Let a package add a section to the home page that everyone sees, signed in or not."""
    app.extensions.setdefault("mangxanh.public_home", []).append((order, template, context))


def add_page_footer(app: Flask, template: str) -> None:
    """Let a package add a template at the foot of every page (it decides itself when to show)."""
    app.extensions.setdefault("mangxanh.page_footers", []).append(template)


def _render_section(template: str, context) -> Markup:
    values = context() if context else {}
    # Each section sees its own values at top level (and as ``context``).
    html = render_template(template, context=values, **values)
    return Markup(html)  # noqa: S704 - autoescaped template output


@bp.route("/")
def index():
    """The home page: the user's own dashboard when signed in, and what every package shows all."""
    sections = []
    if current_user.is_authenticated:
        for _order, role, template, context in sorted(
            current_app.extensions.get("mangxanh.home", []), key=lambda s: s[0]
        ):
            if current_user.has_role(role):
                sections.append(_render_section(template, context))
    public_sections = [
        _render_section(template, context)
        for _order, template, context in sorted(
            current_app.extensions.get("mangxanh.public_home", []), key=lambda s: s[0]
        )
    ]
    return render_template("core/index.html", sections=sections, public_sections=public_sections)


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    """Switch the interface language and remember it."""
    if code not in current_app.config["LANGUAGES"]:
        code = current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user.is_authenticated:
        current_user.locale = code
    target = safe_next(request.form.get("next"))
    response = make_response(redirect(target))
    response.set_cookie(
        LOCALE_COOKIE,
        code,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=True,
    )
    return response


@bp.route("/healthz")
def healthz():
    """Answer the load balancer: the database is reachable."""
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


def init_app(app: Flask) -> None:
    hardening.init_app(app)  # first: its converter must be in place before any route is added
    app.register_blueprint(bp)

    @app.before_request
    def _sqlite_begin_mode():
        # Page reads never need the write lock; everything else takes it at BEGIN.
        mode = "DEFERRED" if is_read_only_request() else "IMMEDIATE"
        g._begin_token = sqlite_begin_mode.set(mode)

    @app.teardown_request
    def _reset_begin_mode(exc):
        token = g.pop("_begin_token", None)
        if token is not None:
            sqlite_begin_mode.reset(token)

    @app.context_processor
    def _navigation():
        items = sorted(app.extensions.get("mangxanh.nav", []), key=lambda i: i.order)
        return {
            "nav_items": [i for i in items if i.visible_to(current_user)],
            "page_footers": app.extensions.get("mangxanh.page_footers", []),
        }
