"""The lean routes behind HTTPS (FORCE_HTTPS, as production runs): the same headers as the full
stack (HSTS included), and plain HTTP left to the full stack's redirect."""

from __future__ import annotations

import pytest

from tests.conftest import sign_in
from tests.contests.quiz import factories as quiz_factories
from tests.contests.quiz.factories import counting_view, lean_routes_off

BASE = "https://mangxanh.example"


@pytest.fixture(scope="module")
def https_app(request, tmp_path_factory):
    return quiz_factories.live_app(request, tmp_path_factory, "quizhttps", FORCE_HTTPS=True)


@pytest.fixture
def seeded(https_app):
    return quiz_factories.seed_open_round(https_app, students=2, count=2)


def signed_in(app, user_id):
    return sign_in(app.test_client(), user_id, base_url=BASE)


def test_a_lean_start_over_https_sends_the_full_stacks_headers(https_app, seeded, monkeypatch):
    round_id, (first, second) = seeded
    full = counting_view(https_app, monkeypatch, "quiz_api.start_attempt")
    path = f"/api/v1/rounds/{round_id}/attempts"

    lean_response = signed_in(https_app, first).post(path, base_url=BASE)
    assert (lean_response.status_code, full) == (201, [])
    with lean_routes_off(https_app):
        full_response = signed_in(https_app, second).post(path, base_url=BASE)
    assert (full_response.status_code, len(full)) == (201, 1)

    ignore = {"Content-Length", "Set-Cookie"}
    lean_headers = {(k, v) for k, v in lean_response.headers.items() if k not in ignore}
    assert lean_headers == {(k, v) for k, v in full_response.headers.items() if k not in ignore}
    assert lean_response.headers["Strict-Transport-Security"].startswith("max-age=")

    # Plain HTTP is never served lean: the full stack redirects it to HTTPS.
    plain = signed_in(https_app, first).post(path)
    assert plain.status_code in (301, 302)
    assert plain.headers["Location"].startswith("https://")
    assert len(full) == 1
