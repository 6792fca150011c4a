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
from flask_babel import lazy_gettext as _l
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
    #: The key of a ``NavGroup`` this link sits in (a menu of its own), or "" for the top bar.
    group: str = ""

    def visible_to(self, user) -> bool:
        if not user.is_authenticated:
            return self.public
        return not self.roles or user.has_role(*self.roles)

    def is_active(self) -> bool:
        prefixes = self.match or (self.endpoint.rsplit(".", 1)[0] + ".",)
        return bool(request.endpoint) and request.endpoint.startswith(prefixes)


@dataclass(frozen=True)
class NavGroup:
    """A menu in the top bar gathering the links whose ``group`` is ``key``, so that a role with
    many links still fits the bar on one line."""

    key: str
    label: object
    order: int = 50


@dataclass
class NavEntry:
    """What the top bar shows: one link, or a group's menu of the links a user may see."""

    label: object
    order: int
    item: NavItem | None = None
    items: list[NavItem] = field(default_factory=list)

    def is_active(self) -> bool:
        return any(i.is_active() for i in ([self.item] if self.item else self.items))


#: Groups every package may put links in (a package may register more with ``add_nav_group``).
KERNEL_NAV_GROUPS = (
    NavGroup("school", _l("Our school"), order=30),
    NavGroup("manage", _l("Manage"), order=60),
    NavGroup("admin", _l("Administration"), order=85),
)


def nav_entries(items: list[NavItem], groups: dict[str, NavGroup], user) -> list[NavEntry]:
    """The top bar for ``user``: visible links in order, grouped links gathered in their group's
    menu (a group with a single visible link shows that link alone)."""
    entries: list[NavEntry] = []
    gathered: dict[str, NavEntry] = {}
    for item in sorted(items, key=lambda i: i.order):
        if not item.visible_to(user):
            continue
        group = groups.get(item.group) if item.group else None
        if group is None:
            entries.append(NavEntry(item.label, item.order, item=item))
            continue
        if group.key not in gathered:
            gathered[group.key] = NavEntry(group.label, group.order)
            entries.append(gathered[group.key])
        gathered[group.key].items.append(item)
    for entry in entries:
        if len(entry.items) == 1:
            entry.item, entry.label, entry.items = entry.items[0], entry.items[0].label, []
    return sorted(entries, key=lambda e: e.order)


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
    items = current_app.extensions.get("mangxanh.nav", [])
    groups = current_app.extensions.get("mangxanh.nav_groups", {})
    return {
        "public_page": True,
        "current_user": anonymous,
        "nav_entries": nav_entries(items, groups, anonymous),
        "csrf_token": lambda: "",
        "get_flashed_messages": lambda **_kwargs: [],
    }


def is_public_page() -> bool:
    """Tell a context processor that this page is rendered for everyone (public_page_context)."""
    return bool(g.get("public_page"))


def add_nav(app: Flask, item: NavItem) -> None:
    """Register a navigation link; each package adds its own in its ``init_app``."""
    app.extensions.setdefault("mangxanh.nav", []).append(item)


def add_nav_group(app: Flask, group: NavGroup) -> None:
    """Register a menu of the top bar; the first registration of a key wins."""
    app.extensions.setdefault("mangxanh.nav_groups", {}).setdefault(group.key, group)


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
    for group in KERNEL_NAV_GROUPS:
        add_nav_group(app, group)

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
        items = app.extensions.get("mangxanh.nav", [])
        groups = app.extensions.get("mangxanh.nav_groups", {})
        return {
            "nav_entries": nav_entries(items, groups, current_user),
            "page_footers": app.extensions.get("mangxanh.page_footers", []),
        }
