"""Schemathesis against the OpenAPI document: no request a student or an organizer can send is
answered with a 5xx (PostgreSQL only, where out-of-range ids and NUL bytes used to crash).

Deterministic (hypothesis ``derandomize``), bounded per operation and in wall-clock time.
"""

from __future__ import annotations

import time
import warnings

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.conftest import sign_in

#: Examples per operation and mode, and the wall-clock budget of one signed-in run.
MAX_EXAMPLES = 10
BUDGET_SECONDS = 60

pytestmark = pytest.mark.xdist_group("api-fuzz")


def _session_cookie(client, user) -> dict[str, str]:
    sign_in(client, user.id)
    name = client.application.config["SESSION_COOKIE_NAME"]
    return {name: client.get_cookie(name).value}


def _server_errors(app, cookies) -> list[str]:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    found: list[str] = []
    deadline = time.monotonic() + BUDGET_SECONDS
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if time.monotonic() > deadline:
                # A slow machine covers fewer operations; it never fails for being slow.
                warnings.warn(
                    f"API fuzzing: {BUDGET_SECONDS}s spent before {operation.label}",
                    stacklevel=1,
                )
                return found

            @settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode, cookies=cookies))
            def run(case):
                response = case.call()
                if response.status_code >= 500:
                    found.append(
                        f"{case.operation.label} -> {response.status_code}: "
                        f"{case.path_parameters} {case.query} {case.body!r:.200}"
                    )

            try:
                run()
            except Unsatisfiable:
                # Nothing of this operation can be made invalid (e.g. no parameters at all).
                assert mode is GenerationMode.NEGATIVE, operation.label
    return found


@pytest.mark.postgres_only
@pytest.mark.parametrize("who", ["student", "organizer"])
def test_no_api_request_is_answered_with_a_server_error(request, app, client, make, who):
    if request.config.getoption("--db") != "postgresql":
        pytest.skip("runs with --db postgresql (make test, CI)")
    user = make.student() if who == "student" else make.organizer()
    cookies = _session_cookie(client, user)

    errors = _server_errors(app, cookies)

    assert errors == []
