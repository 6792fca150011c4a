"""Schemathesis on ``downloadOfficialDocument`` alone, on both databases: no query an organizer
or a coordinator can send is answered with a 5xx (the suite-wide fuzz test runs on PostgreSQL
only and may spend its time budget before reaching this operation)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

from campaign.documents.subjects import KINDS
from tests.conftest import sign_in

LABEL = "GET /api/v1/documents/{kind}"

pytestmark = pytest.mark.xdist_group("api-fuzz")


def _operation(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label == LABEL:
            return operation
    raise AssertionError(f"{LABEL} is not in the OpenAPI document")


@pytest.mark.parametrize("who", ["organizer", "coord_a"])
def test_download_official_document_never_answers_a_server_error(
    app, client, locked_final, contest, who
):
    sign_in(client, locked_final[who].id)
    name = app.config["SESSION_COOKIE_NAME"]
    cookies = {name: client.get_cookie(name).value}
    operation = _operation(app)
    found: list[str] = []
    statuses: set[int] = set()

    # Random ids seldom name a real movement or contest: sweep the real ones first.
    gn = locked_final
    subjects = [
        {"movement_id": gn["movement"].id},
        {"movement_id": gn["movement"].id, "school_id": gn["a"].id},
        {"movement_id": gn["movement"].id, "milestone": "so_ket"},
        {"contest_id": contest.id},
        {"quiz_contest_id": contest.id},
    ]
    for kind in KINDS:
        for args in subjects:
            for fmt in ("docx", "pdf"):
                response = client.get(
                    f"/api/v1/documents/{kind}", query_string={**args, "format": fmt}
                )
                statuses.add(response.status_code)
                if response.status_code >= 500:
                    found.append(f"{response.status_code}: {kind} {args} {fmt}")

    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

        @settings(
            max_examples=40,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode, cookies=cookies))
        def run(case):
            response = case.call()
            statuses.add(response.status_code)
            if response.status_code >= 500:
                found.append(f"{response.status_code}: {case.path_parameters} {case.query}")

        run()

    assert found == []
    assert 200 in statuses
    assert statuses <= {200, 400, 403, 404, 409, 422}, statuses
