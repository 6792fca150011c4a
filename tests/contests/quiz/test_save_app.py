"""The token save's own small application (contests.quiz.saveapp), mounted in front of the full one.

A save that brings a valid attempt token is answered by the small application without the full
application's request (no ``request_started``, no hooks); every other request reaches the full
application unchanged, and whatever the small application hands on gets the answer the full
application gives to the same request sent to it directly.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from werkzeug.test import Client

from contests.quiz import saveapp, tokens
from contests.quiz.models import Answer
from contests.quiz.saveapp import BODY_LIMIT
from core.extensions import db
from core.mounts import Mount
from core.security import HEADERS
from tests.contests.quiz import test_attempt_token
from tests.contests.quiz.mounts import counted_mount
from tests.core import test_database_down

# The token tests' student with a started attempt, and their counter of full-route saves.
paper = test_attempt_token.paper
full = test_attempt_token.full
stored = test_attempt_token.stored


@pytest.fixture
def dispatcher(app) -> Iterator[Mount]:
    assert app.wsgi_app.small.import_name == saveapp.__name__  # outermost: the hottest requests
    yield from counted_mount(app, saveapp)


@pytest.fixture
def unmounted(app, dispatcher):
    """A client of the full application alone, as it was before the save application."""
    return Client(dispatcher.wrapped)


def test_a_token_save_is_answered_by_the_save_application(
    app, paper, dispatcher, full_requests, full
):
    cookieless = app.test_client()

    response = cookieless.put(
        paper.path, json={"choice_ids": [paper.choices[0]], "seq": 1}, headers=paper.headers
    )

    assert response.status_code == 200
    assert (dispatcher.served, dispatcher.passed) == (1, 0)
    assert (full_requests, full) == ([], [])
    assert stored(paper) == [(paper.question["id"], [paper.choices[0]], 1)]


def test_its_answer_has_the_full_applications_headers_and_body(
    app, paper, dispatcher, unmounted, full_requests
):
    mounted = app.test_client().put(
        paper.path, json={"choice_ids": [paper.choices[0]], "seq": 1}, headers=paper.headers
    )
    direct = unmounted.put(
        paper.path, json={"choice_ids": [paper.choices[0]], "seq": 2}, headers=paper.headers
    )

    assert (mounted.status_code, direct.status_code) == (200, 200)
    assert full_requests == [paper.path]  # the direct one
    assert mounted.json == direct.json | {"seq": 1}
    # The full application also sends ``Vary: Cookie`` (its request opened the session); the
    # token save's answer does not depend on the cookie and is not stored by anyone anyway.
    assert "Vary" not in mounted.headers
    assert sorted(mounted.headers.items()) == sorted(
        (k, v) for k, v in direct.headers.items() if (k, v) != ("Vary", "Cookie")
    )
    assert mounted.headers["Cache-Control"] == "private, no-store"
    for name, value in HEADERS:
        assert mounted.headers[name] == value
    assert "Set-Cookie" not in mounted.headers


def test_every_other_request_reaches_the_full_application(
    app, client, paper, dispatcher, full_requests
):
    attempt_path = f"/api/v1/attempts/{paper.attempt['id']}"
    body = {"choice_ids": [paper.choices[0]], "seq": 1}

    assert client.put(paper.path, json=body).status_code == 200  # no token: the cookie
    assert client.get(attempt_path).status_code == 200
    assert client.get(attempt_path, headers=paper.headers).status_code == 200
    assert client.post(paper.path, json=body, headers=paper.headers).status_code == 405
    assert client.get("/healthz", headers=paper.headers).status_code == 200

    assert full_requests == [paper.path, attempt_path, attempt_path, paper.path, "/healthz"]
    assert (dispatcher.served, dispatcher.passed) == (0, 0)


@pytest.mark.parametrize(
    "case",
    [
        "invalid token",
        "token for another attempt",
        "trailing slash",
        "id out of range",
        "query string",
        "text body",
        "no content type",
        "NUL escape",
        "raw NUL",
        "large body",
        "schema refuses",
        "question not on the paper",
    ],
)
def test_what_it_hands_on_gets_the_full_applications_answer(
    app, paper, dispatcher, unmounted, full_requests, case
):
    path, headers = paper.path, dict(paper.headers)
    kwargs: dict = {"json": {"choice_ids": [paper.choices[0]], "seq": 1}}
    if case == "invalid token":
        headers[tokens.HEADER] = "1.2.3.4.bad"
    elif case == "token for another attempt":
        path = f"/api/v1/attempts/{paper.attempt['id'] + 1}/answers/{paper.question['id']}"
    elif case == "trailing slash":
        path += "/"
    elif case == "id out of range":
        path = f"/api/v1/attempts/{2**31}/answers/{paper.question['id']}"
    elif case == "query string":
        path += "?x=%00"
    elif case == "text body":
        kwargs = {"data": '{"choice_ids": [], "seq": 1}', "content_type": "text/plain"}
    elif case == "no content type":
        kwargs = {"data": '{"choice_ids": [], "seq": 1}'}
    elif case == "NUL escape":
        kwargs = {"data": '{"choice_ids": [], "seq": 1, "x": "\\u0000"}'}
    elif case == "raw NUL":
        kwargs = {"data": b'{"choice_ids": [], "seq": 1}\x00'}
    elif case == "large body":
        kwargs = {"json": {"choice_ids": [paper.choices[0]], "seq": 1, "x": "x" * BODY_LIMIT}}
    elif case == "schema refuses":
        kwargs = {"json": {"choice_ids": ["1"], "seq": 1}}
    elif case == "question not on the paper":
        path = f"/api/v1/attempts/{paper.attempt['id']}/answers/{2**31 - 1}"
    if "data" in kwargs and "content_type" not in kwargs and case != "no content type":
        kwargs["content_type"] = "application/json"
    cookieless = app.test_client()

    mounted = cookieless.put(path, headers=headers, **kwargs)
    direct = unmounted.put(path, headers=headers, **kwargs)

    assert mounted.status_code >= 400
    assert (mounted.status_code, mounted.get_data()) == (direct.status_code, direct.get_data())
    assert sorted(mounted.headers.items()) == sorted(direct.headers.items())
    assert full_requests == [path.split("?")[0]] * 2
    assert (dispatcher.served, dispatcher.passed) == (0, 1)
    assert stored(paper) == []


def test_a_save_it_refuses_after_submit_is_the_full_routes_409(client, paper, dispatcher):
    client.post(f"/api/v1/attempts/{paper.attempt['id']}/submit")

    response = client.put(
        paper.path, json={"choice_ids": [paper.choices[0]], "seq": 1}, headers=paper.headers
    )

    assert (response.status_code, response.json["error"]["code"]) == (409, "attempt_closed")
    assert (dispatcher.served, dispatcher.passed) == (0, 1)


def test_a_save_it_fails_to_make_is_logged_and_handed_on(
    app, paper, dispatcher, monkeypatch, caplog, full_requests
):
    from contests.quiz import fastsave, saveapp

    def broken(*args, **kwargs):
        raise RuntimeError("a fault of the small application only")

    monkeypatch.setattr(
        saveapp,
        "fastsave",
        SimpleNamespace(token_save=broken, SAVE_ENDPOINT=fastsave.SAVE_ENDPOINT),
    )
    caplog.set_level(logging.ERROR)

    response = app.test_client().put(
        paper.path, json={"choice_ids": [paper.choices[0]], "seq": 1}, headers=paper.headers
    )

    assert response.status_code == 200  # by the full application's token path
    assert (dispatcher.served, dispatcher.passed, full_requests) == (0, 1, [paper.path])
    assert any("token save handed on" in r.getMessage() for r in caplog.records)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 1


down_app = test_database_down.down_app


def test_with_the_database_down_a_token_save_is_the_full_applications_503(down_app, caplog):
    with down_app.app_context():
        headers = {tokens.HEADER: tokens.issue(attempt_id=1, user_id=1, session_id=1)}
    body = {"choice_ids": [3], "seq": 1}
    caplog.set_level(logging.INFO)

    mounted = down_app.test_client().put("/api/v1/attempts/1/answers/2", json=body, headers=headers)
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    direct = Client(down_app.wsgi_app.wrapped).put(
        "/api/v1/attempts/1/answers/2", json=body, headers=headers
    )

    assert mounted.status_code == 503
    assert mounted.json["error"]["code"] == "database_unavailable"
    assert (mounted.get_data(), mounted.headers["Retry-After"]) == (
        direct.get_data(),
        direct.headers["Retry-After"],
    )
    assert sorted(mounted.headers.items()) == sorted(
        (k, v) for k, v in direct.headers.items() if (k, v) != ("Vary", "Cookie")
    )
    assert down_app.wsgi_app.served == 0
    assert len(lines) == 1 and lines[0].startswith("database unavailable: PUT /api/v1/attempts/1")


def test_a_save_it_declined_is_not_tried_again_by_the_full_route(client, paper, dispatcher):
    from core import db as core_db

    prepared: list[str] = []
    headers = paper.headers
    body = {"choice_ids": [paper.choices[0]], "seq": 5}
    assert client.put(paper.path, json=body, headers=headers).status_code == 200
    core_db.statement_listeners.append(prepared.append)
    try:
        older = client.put(paper.path, json=body | {"seq": 3}, headers=headers)
    finally:
        core_db.statement_listeners.remove(prepared.append)

    # The guarded write kept the newer answer; the full route answers without writing again.
    assert older.status_code == 200
    assert older.json["saved"] is False
    assert len(prepared) == 1
    assert (dispatcher.served, dispatcher.passed) == (1, 1)
    assert stored(paper) == [(paper.question["id"], [paper.choices[0]], 5)]
