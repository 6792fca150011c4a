"""Proof that every route has an allowed and a forbidden test.

Every request the suite makes through the unit-test application is recorded as (endpoint,
outcome). At the end of a full run (``ROUTE_COVERAGE=1``, set by ``make test``) each route must
have been reached at least once by someone allowed and once by someone refused (401/403/404 or
a redirect to the sign-in page). Routes that are public by design need only the allowed case.
"""

from __future__ import annotations

from collections import defaultdict

from flask import Flask, request

#: Routes anyone may use; they have no forbidden case to test.
PUBLIC_ENDPOINTS = {
    "static",
    "api-docs.openapi_json",
    "core.index",
    "core.healthz",
    "core.set_language",
    "auth.login",
    "auth.logout",
    "auth.activate",
    "auth_api.get_csrf_token",
    "auth_api.login",
    "auth_api.logout",
    "campaign.index",
    "campaign_api.list_campaigns",
    # campaign: public news, standings, and the safety corner (no sign-in for parents).
    "news.index",
    "greennet.standings",
    "safety.index",
    "safety.report",
    "safety.received",
    "safety_api.submit_safety_report",
}

seen: dict[str, set[str]] = defaultdict(set)
endpoints: set[str] = set()


def outcome(response) -> str:
    status = response.status_code
    if status in (401, 403, 404):
        return "forbidden"
    if status in (301, 302, 303) and "/login" in (response.location or ""):
        return "forbidden"
    if status >= 500 or status == 405:
        return "error"
    return "allowed"


def install(app: Flask) -> None:
    """Record the outcome of every request the application serves."""
    endpoints.update(rule.endpoint for rule in app.url_map.iter_rules())

    @app.after_request
    def _record(response):
        if request.endpoint:
            seen[request.endpoint].add(outcome(response))
        return response


def missing(all_endpoints, all_seen) -> list[str]:
    gaps = []
    for endpoint in sorted(all_endpoints):
        got = all_seen.get(endpoint, set())
        if "allowed" not in got:
            gaps.append(f"{endpoint}: no allowed request")
        if endpoint not in PUBLIC_ENDPOINTS and "forbidden" not in got:
            gaps.append(f"{endpoint}: no forbidden request")
    return gaps
