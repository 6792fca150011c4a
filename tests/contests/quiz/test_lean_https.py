"""The lean routes behind HTTPS (FORCE_HTTPS, as production runs): the same headers as the full
stack (HSTS included), and plain HTTP left to the full stack's redirect."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_migrate import upgrade

from core.clock import utcnow
from core.extensions import db
from tests import factories
from tests.conftest import database_url, make_test_app, sign_in
from tests.contests.quiz.factories import QuizFactory, counting_view, lean_routes_off

BASE = "https://mangxanh.example"


@pytest.fixture(scope="module")
def https_app(request, tmp_path_factory):
    url = database_url(request, tmp_path_factory, "quizhttps")
    application = make_test_app(url, tmp_path_factory.mktemp("quizhttps"), FORCE_HTTPS=True)
    with application.app_context():
        upgrade()
    return application


@pytest.fixture
def seeded(https_app):
    with https_app.test_request_context():
        round_ = QuizFactory(factories).round(
            count=2, opens_at=utcnow() - timedelta(hours=1), closes_at=utcnow() + timedelta(hours=1)
        )
        students = [factories.student(), factories.student()]
        db.session.commit()
        ids = round_.id, [s.id for s in students]
        db.session.remove()
    return ids


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
