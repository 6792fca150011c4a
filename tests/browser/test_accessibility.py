"""Accessibility: axe-core finds no serious or critical violation on any page a role uses.

Each role signs in on a phone-sized screen and walks the site from its home page, following
every link it is shown (one page per route: /quiz/rounds/7 and /quiz/rounds/8 are the same
template), and axe-core (vendored from npm under tests/browser/vendor, `make axe`) checks each
page against WCAG 2.1 A and AA. Downloads, photos and the quiz paper (which starts an attempt)
are not walked; the quiz paper is checked on its own with a student of its own.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from contests.quiz.models import QuizRound
from core.extensions import db
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
#: Pages per role at most: the walk stops there (every route of a role fits well under it).
MAX_PAGES = 60
SKIP = re.compile(
    r"\.(xlsx|pdf|csv|docx|zip|png|jpe?g|webp|svg)$|/photos?/|/banner|/download|/export|"
    r"/take$|/logout|/api/|/static/|/feeds?/|\.xml$|\.atom$"
)
ROLES = {
    "student": "student1",
    "judge": "judge1",
    "coordinator": "coord1",
    "organizer": "organizer",
}


def route_of(path: str) -> str:
    """The route a path belongs to: numbers and codes become placeholders."""
    return re.sub(r"/\d+(?=/|$)", "/<id>", path)


def serious_violations(page) -> list[str]:
    """Run axe-core on the page; return its serious and critical violations, one line each."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """() => axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
            resultTypes: ['violations'],
        })"""
    )
    return [
        f"{v['impact']} {v['id']}: {v['help']} — "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def walk(page, live_server) -> tuple[dict[str, list[str]], list[str], list[str]]:
    """Visit every route reachable from the home page; return the violations per path, the
    pages checked, and the paths that answered with a server error."""
    origin = urlsplit(live_server.url).netloc
    queue = ["/"]
    seen_routes: set[str] = set()
    found: dict[str, list[str]] = {}
    checked: list[str] = []
    broken: list[str] = []
    while queue and len(seen_routes) < MAX_PAGES:
        path = queue.pop(0)
        if route_of(path) in seen_routes:
            continue
        seen_routes.add(route_of(path))
        response = page.goto(live_server(path))
        if response is not None and response.status >= 500:
            broken.append(path)
        if (
            response is None
            or response.status >= 400
            or "text/html" not in (response.headers.get("content-type", ""))
        ):
            continue
        page.wait_for_load_state("networkidle")
        checked.append(path)
        violations = serious_violations(page)
        if violations:
            found[path] = violations
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            parts = urlsplit(href)
            if parts.netloc != origin or SKIP.search(parts.path):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if route_of(parts.path) not in seen_routes:
                queue.append(target)
    return found, checked, broken


def phone_page(browser):
    context = browser.new_context(
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        # The site's CSP allows no inline script; axe is injected by the test, not the site.
        bypass_csp=True,
    )
    context.set_default_timeout(15_000)
    return context, context.new_page()


@pytest.mark.parametrize("role", list(ROLES))
def test_no_serious_accessibility_violation_on_pages_of(role, browser, live_server):
    context, page = phone_page(browser)
    try:
        sign_in(page, live_server, ROLES[role])
        signed_in = "/login" not in page.url
        found, checked, broken = walk(page, live_server)
    finally:
        context.close()

    # Signed in, the walk reached the role's pages, none of them broken.
    assert signed_in
    assert len(checked) >= 5, checked
    assert broken == []
    assert not found, "\n".join(f"{path}: {v}" for path, vs in found.items() for v in vs)


def test_no_serious_accessibility_violation_on_the_quiz_paper(browser, live_server, live_app):
    with live_app.app_context():
        round_id = db.session.scalar(sa.select(QuizRound.id).where(QuizRound.title == "Vòng 2"))
        db.session.remove()
    context, page = phone_page(browser)
    try:
        sign_in(page, live_server, "student9")
        page.goto(live_server(f"/quiz/rounds/{round_id}/take"))
        page.wait_for_selector("fieldset[data-question-id]")
        violations = serious_violations(page)
    finally:
        context.close()

    assert not violations, "\n".join(violations)


def test_no_serious_accessibility_violation_on_an_empty_essay(browser, live_server):
    """The word counter of a fresh draft (below the minimum) reads at 4.5:1."""
    context, page = phone_page(browser)
    try:
        sign_in(page, live_server, "student9")
        page.goto(live_server("/essay"))
        page.locator("a[href*='/essay/rounds/']").first.click()
        page.wait_for_load_state("networkidle")
        page.locator("textarea").first.fill("Em viết thử vài chữ.")
        violations = serious_violations(page)
    finally:
        context.close()

    assert not violations, "\n".join(violations)
