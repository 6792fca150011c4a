"""Answer saves by the attempt token (X-Attempt-Token): served by the token alone in one guarded
statement, or handed to the full route (cookie + CSRF), which stays the specification.

``full`` counts the full route's attempt loads: a save served by its token makes none.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from contests.quiz import services, tokens
from contests.quiz.models import Answer
from core.clock import utcnow
from core.extensions import db


@pytest.fixture
def full(monkeypatch) -> list[int]:
    calls: list[int] = []
    load = services.get_attempt_for

    def counting(*, attempt_id, user):
        calls.append(attempt_id)
        return load(attempt_id=attempt_id, user=user)

    monkeypatch.setattr(services, "get_attempt_for", counting)
    return calls


@pytest.fixture
def paper(app, client, quiz, make, login, frozen, stored_sessions):
    round_ = quiz.round(count=3)
    student = make.student()
    session_id = stored_sessions.open(student.id)
    login(student)
    attempt = client.post(f"/api/v1/rounds/{round_.id}/attempts").json
    question = attempt["questions"][0]
    return SimpleNamespace(
        round=round_,
        student=student,
        session_id=session_id,
        attempt=attempt,
        question=question,
        path=f"/api/v1/attempts/{attempt['id']}/answers/{question['id']}",
        choices=[c["id"] for c in question["choices"]],
        headers={tokens.HEADER: attempt["attempt_token"]},
    )


def stored(paper) -> list[tuple]:
    return db.session.execute(
        sa.select(Answer.question_id, Answer.choice_ids, Answer.seq).where(
            Answer.attempt_id == paper.attempt["id"]
        )
    ).all()


def token_for(paper, **changes) -> dict:
    values = {
        "attempt_id": paper.attempt["id"],
        "user_id": paper.student.id,
        "session_id": paper.session_id,
    }
    return {tokens.HEADER: tokens.issue(**(values | changes))}


def test_start_and_get_return_a_token_naming_the_attempt_user_and_session(client, paper):
    again = client.get(f"/api/v1/attempts/{paper.attempt['id']}").json

    expected = tokens.Grant(paper.attempt["id"], paper.student.id, paper.session_id)
    assert tokens.read(paper.attempt["attempt_token"]) == expected
    assert tokens.read(again["attempt_token"]) == expected
    client.post(f"/api/v1/attempts/{paper.attempt['id']}/submit")
    assert client.get(f"/api/v1/attempts/{paper.attempt['id']}").json["attempt_token"] is None


def test_without_a_stored_session_no_token_is_issued(
    client, quiz, make, login, frozen, monkeypatch
):
    from contests.quiz import api

    round_ = quiz.round(count=1)
    login(make.student())
    monkeypatch.setattr(api, "current_login_session_id", lambda: None)

    attempt = client.post(f"/api/v1/rounds/{round_.id}/attempts").json

    assert attempt["attempt_token"] is None


def _signed_with(secret: str, salt: str, paper) -> str:
    """A token of the right shape for the paper's attempt, signed under ``secret`` and ``salt``."""
    key = hmac.new(secret.encode(), salt.encode(), hashlib.sha256).digest()
    issued = int(utcnow().timestamp())
    payload = f"{paper.attempt['id']}.{paper.student.id}.{paper.session_id}.{issued}"
    return f"{payload}.{tokens._signature(key, payload)}"


def test_a_token_signed_for_another_purpose_is_not_a_token(app, paper):
    from itsdangerous import URLSafeTimedSerializer

    value = [paper.attempt["id"], paper.student.id, paper.session_id]
    other = URLSafeTimedSerializer(app.secret_key, salt="another-salt").dumps(value)

    with app.test_request_context():
        # Well formed and signed with the application's secret, but under another salt.
        assert tokens.read(_signed_with(app.secret_key, "another-salt", paper)) is None
        assert tokens.read(_signed_with(app.secret_key, tokens.SALT, paper)) is not None
        assert tokens.read(other) is None
    assert tokens.read("not-a-token") is None
    assert tokens.read(URLSafeTimedSerializer(app.secret_key, salt=tokens.SALT).dumps("1")) is None


def test_a_token_save_is_served_by_the_token_alone(app, client, paper, full):
    response = client.put(
        paper.path, json={"choice_ids": [paper.choices[1]], "seq": 5}, headers=paper.headers
    )

    assert full == []
    assert response.status_code == 200
    assert response.json == {
        "question_id": paper.question["id"],
        "choice_ids": [paper.choices[1]],
        "seq": 5,
        "saved": True,
        "seconds_remaining": 900,
    }
    assert stored(paper) == [(paper.question["id"], [paper.choices[1]], 5)]
    # The same answer as the full route gives for the next save.
    other = client.put(paper.path, json={"choice_ids": [paper.choices[2]], "seq": 6})
    assert full == [paper.attempt["id"]]
    assert set(other.json) == set(response.json)
    assert other.json["saved"] is True


def test_a_token_save_needs_neither_the_cookie_nor_a_csrf_token(app, paper, full, csrf_on):
    cookieless = app.test_client()

    response = cookieless.put(
        paper.path, json={"choice_ids": [paper.choices[0]], "seq": 1}, headers=paper.headers
    )

    assert (response.status_code, full) == (200, [])
    assert stored(paper) == [(paper.question["id"], [paper.choices[0]], 1)]


def test_without_a_token_the_csrf_token_is_still_required(client, paper, full, csrf_on):
    response = client.put(paper.path, json={"choice_ids": [paper.choices[0]], "seq": 1})

    assert response.status_code == 400
    assert response.json["error"]["code"] == "csrf"
    assert (full, stored(paper)) == ([], [])


@pytest.mark.parametrize("token", ["forged", "wrong-key"])
def test_a_forged_token_goes_through_csrf_and_the_full_route(
    app, client, paper, full, csrf_on, token
):
    headers = {
        tokens.HEADER: "x.y.z"
        if token == "forged"
        else _signed_with("another-key", tokens.SALT, paper)
    }

    refused = client.put(
        paper.path, json={"choice_ids": [paper.choices[0]], "seq": 1}, headers=headers
    )
    app.config["WTF_CSRF_ENABLED"] = False
    served = client.put(
        paper.path, json={"choice_ids": [paper.choices[0]], "seq": 2}, headers=headers
    )

    assert (refused.status_code, refused.json["error"]["code"]) == (400, "csrf")
    assert (served.status_code, full) == (200, [paper.attempt["id"]])  # the cookie's user
    assert stored(paper) == [(paper.question["id"], [paper.choices[0]], 2)]


def test_an_expired_token_goes_to_the_full_route(app, paper, full, frozen):
    frozen.shift(tokens.DEFAULT_MAX_AGE + 1)
    cookieless = app.test_client()

    response = cookieless.put(
        paper.path, json={"choice_ids": [paper.choices[0]], "seq": 1}, headers=paper.headers
    )

    assert response.status_code == 401
    assert stored(paper) == []


def test_a_token_for_another_attempt_is_refused(app, client, paper, quiz, make, relogin, full):
    other_student = make.student()
    relogin(other_student)
    other = client.post(f"/api/v1/rounds/{paper.round.id}/attempts").json
    other_path = f"/api/v1/attempts/{other['id']}/answers/{other['questions'][0]['id']}"
    choice = other["questions"][0]["choices"][0]["id"]
    relogin(paper.student)

    # The first student's token on the other student's attempt: not a token for it, and the
    # full route does not show the first student someone else's attempt.
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        without_csrf = client.put(
            other_path, json={"choice_ids": [choice], "seq": 1}, headers=paper.headers
        )
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    response = client.put(
        other_path, json={"choice_ids": [choice], "seq": 1}, headers=paper.headers
    )

    # Not a token for this attempt: CSRF is checked, and then the full route answers.
    assert (without_csrf.status_code, without_csrf.json["error"]["code"]) == (400, "csrf")
    assert (response.status_code, full) == (404, [other["id"]])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0


def test_a_token_naming_another_user_or_session_is_refused(app, paper, make, stored_sessions):
    stranger = make.student()
    strangers_session = stored_sessions.open(stranger.id)
    cookieless = app.test_client()
    body = {"choice_ids": [paper.choices[0]], "seq": 1}

    as_stranger = cookieless.put(
        paper.path,
        json=body,
        headers=token_for(paper, user_id=stranger.id, session_id=strangers_session),
    )
    in_strangers_session = cookieless.put(
        paper.path, json=body, headers=token_for(paper, session_id=strangers_session)
    )
    in_unknown_session = cookieless.put(
        paper.path, json=body, headers=token_for(paper, session_id=strangers_session + 1000)
    )

    assert [as_stranger.status_code, in_strangers_session.status_code] == [401, 401]
    assert in_unknown_session.status_code == 401
    assert stored(paper) == []


def test_a_token_after_sign_out_is_refused(app, client, paper, stored_sessions, full):
    stored_sessions.revoke(paper.student.id)
    cookieless = app.test_client()

    response = cookieless.put(
        paper.path, json={"choice_ids": [paper.choices[0]], "seq": 1}, headers=paper.headers
    )

    assert response.status_code == 401
    assert stored(paper) == []


def test_a_token_after_the_session_expired_is_refused(app, paper, stored_sessions, frozen):
    short = stored_sessions.open(paper.student.id, expires_in=timedelta(minutes=5))
    headers = token_for(paper, session_id=short)
    frozen.shift(301)

    response = app.test_client().put(
        paper.path, json={"choice_ids": [paper.choices[0]], "seq": 1}, headers=headers
    )

    assert response.status_code == 401
    assert stored(paper) == []


def test_a_token_after_the_account_is_disabled_is_refused(client, paper, full):
    paper.student.active = False
    db.session.flush()

    response = client.put(
        paper.path, json={"choice_ids": [paper.choices[0]], "seq": 1}, headers=paper.headers
    )

    # The full route does not sign a disabled account in either.
    assert (response.status_code, response.json["error"]["code"]) == (401, "unauthorized")
    assert stored(paper) == []


def test_after_submit_a_token_save_is_refused_with_409(client, paper, full):
    client.post(f"/api/v1/attempts/{paper.attempt['id']}/submit")

    response = client.put(
        paper.path, json={"choice_ids": [paper.choices[0]], "seq": 1}, headers=paper.headers
    )

    assert response.status_code == 409
    assert response.json["error"]["code"] == "attempt_closed"
    assert response.json["error"]["message"] == "Bài làm này đã được nộp."
    assert stored(paper) == []


def test_a_late_token_save_is_refused_with_409_and_within_the_grace_it_is_served(
    app, client, paper, frozen, full
):
    frozen.shift(900 + services.DEFAULT_GRACE_SECONDS)  # the last moment of the grace
    kept = client.put(
        paper.path, json={"choice_ids": [paper.choices[0]], "seq": 1}, headers=paper.headers
    )
    frozen.shift(1)
    late = client.put(
        paper.path, json={"choice_ids": [paper.choices[1]], "seq": 2}, headers=paper.headers
    )

    assert (kept.status_code, kept.json["seconds_remaining"]) == (200, 0)
    assert late.status_code == 409
    assert late.json["error"]["message"] == "Đã hết giờ: câu trả lời không được lưu."
    assert stored(paper) == [(paper.question["id"], [paper.choices[0]], 1)]
    assert full == [paper.attempt["id"]]  # the late one, answered by the full route


def test_an_older_seq_goes_to_the_full_route_and_keeps_the_newer(client, paper, full):
    body = {"choice_ids": [paper.choices[1]], "seq": 5}
    client.put(paper.path, json=body, headers=paper.headers)

    older = client.put(
        paper.path, json={"choice_ids": [paper.choices[0]], "seq": 4}, headers=paper.headers
    )

    assert (older.status_code, older.json["saved"]) == (200, False)
    assert full == [paper.attempt["id"]]
    assert stored(paper) == [(paper.question["id"], [paper.choices[1]], 5)]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"choice_ids": ["1"], "seq": 1}, 400),
        ({"choice_ids": [1], "seq": -1}, 400),
        ({"choice_ids": [1], "seq": 1, "extra": 1}, 400),
        ({"seq": 1}, 400),
        ([], 400),
    ],
)
def test_a_body_the_schema_refuses_goes_to_the_full_route(client, paper, body, status):
    response = client.put(paper.path, json=body, headers=paper.headers)

    assert response.status_code == status
    assert stored(paper) == []


def test_what_the_paper_does_not_allow_goes_to_the_full_route(client, paper, quiz, full):
    stranger = quiz.question()
    attempt_id = paper.attempt["id"]

    not_on_paper = client.put(
        f"/api/v1/attempts/{attempt_id}/answers/{stranger.id}",
        json={"choice_ids": [stranger.choices[0].id], "seq": 1},
        headers=paper.headers,
    )
    foreign_choice = client.put(
        paper.path, json={"choice_ids": [stranger.choices[0].id], "seq": 1}, headers=paper.headers
    )
    two_for_one = client.put(
        paper.path, json={"choice_ids": paper.choices[:2], "seq": 1}, headers=paper.headers
    )

    assert [not_on_paper.status_code, foreign_choice.status_code] == [404, 400]
    assert two_for_one.status_code == 400
    assert full == [attempt_id] * 3
    assert stored(paper) == []


def test_a_repeated_choice_is_stored_once_and_echoed_as_sent(client, paper, full):
    response = client.put(
        paper.path,
        json={"choice_ids": [paper.choices[0], paper.choices[0]], "seq": 1},
        headers=paper.headers,
    )

    assert (response.status_code, full) == (200, [])
    assert response.json["choice_ids"] == [paper.choices[0], paper.choices[0]]
    assert stored(paper) == [(paper.question["id"], [paper.choices[0]], 1)]


def test_a_forced_password_change_loads_no_user_on_a_token_save(client, paper, full):
    paper.student.must_change_password = True
    db.session.flush()

    response = client.put(
        paper.path, json={"choice_ids": [paper.choices[0]], "seq": 1}, headers=paper.headers
    )

    assert (response.status_code, full) == (200, [])


def test_the_openapi_document_describes_the_token(client):
    spec = client.get("/api/v1/openapi.json").json

    save = spec["paths"]["/api/v1/attempts/{attempt_id}/answers/{question_id}"]
    parameters = save.get("parameters", []) + save["put"].get("parameters", [])
    header = [p for p in parameters if p["in"] == "header"]
    assert [(p["name"], p["required"]) for p in header] == [(tokens.HEADER, False)]
    assert save["put"]["operationId"] == "saveAnswer"
    attempt = spec["components"]["schemas"]["Attempt"]["properties"]
    assert attempt["attempt_token"]["type"] == "string"


def test_a_token_whose_fields_were_changed_or_signed_with_another_key_is_refused(
    app, paper, monkeypatch
):
    token = paper.attempt["attempt_token"]
    attempt, user, session, issued, signature = token.split(".")

    assert tokens.read(token) == tokens.Grant(int(attempt), int(user), int(session))
    assert tokens.read(f"{int(attempt) + 1}.{user}.{session}.{issued}.{signature}") is None
    assert tokens.read(f"{attempt}.{user}.{session}.{int(issued) + 1}.{signature}") is None
    assert tokens.read(f"{attempt}.{user}.{session}.{issued}.{signature[:-1]}A") is None
    assert tokens.read(f"{attempt}.{user}.{session}.{issued}.") is None
    with monkeypatch.context() as patched:
        patched.setattr(app, "secret_key", "another-secret-key-of-32-characters!")
        assert tokens.read(token) is None
    assert tokens.read(token) is not None


def test_a_token_issued_in_the_future_is_refused(app, paper, frozen):
    frozen.shift(-120)

    assert tokens.read(paper.attempt["attempt_token"]) is None


def test_a_token_save_skips_the_rate_limiter_and_a_cookie_save_does_not(
    app, client, paper, monkeypatch
):
    from core.extensions import limiter

    checked = []
    original = limiter._check_request_limit

    def spy(*args, **kwargs):
        checked.append(request_filters_exempt())
        return original(*args, **kwargs)

    def request_filters_exempt():
        return any(f() for f in limiter._request_filters)

    hooks = [
        spy if getattr(f, "__func__", None) is type(limiter)._check_request_limit else f
        for f in app.before_request_funcs[None]
    ]
    monkeypatch.setitem(app.before_request_funcs, None, hooks)
    body = {"choice_ids": [paper.choices[0]], "seq": 1}
    forged = {tokens.HEADER: "1.2.3.4.forged"}
    assert client.put(paper.path, json=body, headers=paper.headers).status_code == 200
    assert client.put(paper.path, json=body | {"seq": 2}).status_code == 200
    assert client.put(paper.path, json=body | {"seq": 3}, headers=forged).status_code == 200

    # The token save is served by the mounted save application (contests.quiz.saveapp): it never
    # reaches the full application's limiter; the cookie save is checked, and so is a save whose
    # token is forged (the header alone exempts nothing).
    assert checked == [False, False]
