"""Sessions that end: logout, password changes, disabling, remember-me tokens, CSRF at sign-in."""

from __future__ import annotations

from datetime import timedelta
from http.cookies import SimpleCookie

import pytest
import sqlalchemy as sa
from flask import g
from sqlalchemy.engine import Engine

from core.accounts import services as accounts
from core.auth import sessions
from core.auth.models import LoginSession
from tests.conftest import T0
from tests.factories import PASSWORD

SESSION = "mx_session"
REMEMBER = "mx_remember"


def sign_in_with_password(client, username: str, *, remember: bool = False, password=PASSWORD):
    data = {"username": username, "password": password}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def cookie(client, name: str) -> str | None:
    found = client.get_cookie(name)
    return None if found is None else found.value


def fresh_client(app, **cookies):
    """A new browser holding only the given cookies."""
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def set_cookie_headers(response, name: str) -> list[SimpleCookie]:
    found = []
    for header in response.headers.getlist("Set-Cookie"):
        parsed = SimpleCookie()
        parsed.load(header)
        if name in parsed:
            found.append(parsed[name])
    return found


def me_status(client) -> int:
    return client.get("/api/v1/me").status_code


def page_status(client) -> int:
    """A signed-in HTML page: 200, or 302 to the sign-in page."""
    return client.get("/account/password").status_code


# --- logout ------------------------------------------------------------------------------------


def test_logout_ends_the_session_on_pages_and_the_api(app, client, make):
    make.user("hoa")
    sign_in_with_password(client, "hoa")
    old = cookie(client, SESSION)
    assert page_status(client) == 200

    client.post("/logout")
    replay = fresh_client(app, **{SESSION: old})

    assert page_status(replay) == 302
    assert me_status(replay) == 401


def test_api_logout_ends_the_session(app, client, make):
    make.user("hoa")
    client.post("/api/v1/auth/login", json={"username": "hoa", "password": PASSWORD})
    old = cookie(client, SESSION)
    assert me_status(client) == 200

    assert client.post("/api/v1/auth/logout").json == {"status": "signed_out"}

    assert me_status(fresh_client(app, **{SESSION: old})) == 401


def test_logout_revokes_only_that_session(app, client, make, db):
    user = make.user("hoa")
    other = app.test_client()
    sign_in_with_password(client, "hoa")
    sign_in_with_password(other, "hoa")

    client.post("/logout")

    assert me_status(other) == 200
    rows = db.session.scalars(
        sa.select(LoginSession).where(LoginSession.user_id == user.id).order_by(LoginSession.id)
    ).all()
    assert [row.revoked_at is not None for row in rows] == [True, False]


def test_a_cookie_without_a_login_session_is_refused(app, make):
    """The cookie every sign-in made before sessions were stored: "_user_id" alone."""
    user = make.user("hoa")
    replay = app.test_client()
    with replay.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True

    assert me_status(replay) == 401


def test_a_session_of_another_user_is_refused(app, client, make, login):
    hoa = make.user("hoa")
    lan = make.user("lan")
    login(hoa)
    with client.session_transaction() as session:
        hoa_session = session["_user_id"].partition(":")[2]
    forged = app.test_client()
    with forged.session_transaction() as session:
        session["_user_id"] = f"{lan.id}:{hoa_session}"

    assert me_status(forged) == 401


def test_an_expired_session_is_refused(app, client, make, frozen):
    make.user("hoa")
    sign_in_with_password(client, "hoa")
    assert me_status(client) == 200

    frozen.shift(app.permanent_session_lifetime - timedelta(seconds=1))
    assert me_status(client) == 200
    # Past its lifetime the row has expired, even if the cookie were re-signed meanwhile.
    frozen.shift(timedelta(seconds=1))
    assert me_status(client) == 401


# --- password changes and disabling --------------------------------------------------------------


@pytest.fixture
def three_devices(app, make):
    """``hoa`` signed in on a phone (remembered), a laptop and a school computer (remembered)."""
    user = make.user("hoa")
    phone, laptop, school = app.test_client(), app.test_client(), app.test_client()
    sign_in_with_password(phone, "hoa", remember=True)
    sign_in_with_password(laptop, "hoa")
    sign_in_with_password(school, "hoa", remember=True)
    old = {
        name: (cookie(device, SESSION), cookie(device, REMEMBER))
        for name, device in (("phone", phone), ("laptop", laptop), ("school", school))
    }
    return user, (phone, laptop, school), old


def assert_refused(app, session_cookie, remember_cookie):
    assert me_status(fresh_client(app, **{SESSION: session_cookie})) == 401
    if remember_cookie is not None:
        assert me_status(fresh_client(app, **{REMEMBER: remember_cookie})) == 401
        assert page_status(fresh_client(app, **{REMEMBER: remember_cookie})) == 302


def test_changing_the_password_ends_every_other_session_and_keeps_this_device(app, three_devices):
    _user, (phone, _laptop, _school), old = three_devices

    response = phone.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a-new-pass-99",
            "confirm": "a-new-pass-99",
        },
    )

    assert response.status_code == 302
    for name in ("phone", "laptop", "school"):
        assert_refused(app, *old[name])
    # The phone goes on in a new session, remembered again with a new token.
    assert me_status(phone) == 200
    assert cookie(phone, SESSION) != old["phone"][0]
    assert cookie(phone, REMEMBER) not in (None, old["phone"][1])
    assert me_status(fresh_client(app, **{REMEMBER: cookie(phone, REMEMBER)})) == 200


def test_an_administrators_reset_ends_every_session(app, client, login, make, three_devices):
    user, _devices, old = three_devices
    login(make.admin())

    response = client.post(f"/admin/users/{user.id}/reset-password")

    assert response.status_code == 302
    for name in ("phone", "laptop", "school"):
        assert_refused(app, *old[name])


def test_disabling_the_account_ends_every_session(app, client, login, make, three_devices):
    user, _devices, old = three_devices
    login(make.admin())

    response = client.post(f"/admin/users/{user.id}/active", data={"active": "0"})

    assert response.status_code == 302
    for name in ("phone", "laptop", "school"):
        assert_refused(app, *old[name])


def test_enabling_again_does_not_bring_the_sessions_back(app, client, login, make, three_devices):
    user, _devices, old = three_devices
    login(make.admin())
    client.post(f"/admin/users/{user.id}/active", data={"active": "0"})
    client.post(f"/admin/users/{user.id}/active", data={"active": "1"})

    for name in ("phone", "laptop", "school"):
        assert_refused(app, *old[name])


def test_activation_with_a_new_slip_ends_the_old_sessions(app, client, make, db):
    student = make.student()
    sign_in_with_password(client, student.username, remember=True)
    old = (cookie(client, SESSION), cookie(client, REMEMBER))
    with app.test_request_context():
        code = accounts.issue_activation_code(user=student)
    db.session.flush()

    response = app.test_client().post(
        "/activate",
        data={
            "username": student.username,
            "code": code,
            "new_password": "em-moi-99",
            "confirm": "em-moi-99",
        },
    )

    assert response.status_code == 302
    assert_refused(app, *old)


# --- sign out of other devices ---------------------------------------------------------------------


def test_sign_out_of_other_devices_keeps_this_one(app, three_devices):
    _user, (phone, laptop, school), old = three_devices

    page = laptop.get("/account/password").get_data(as_text=True)
    assert "Tài khoản này đang đăng nhập trên 2 thiết bị khác." in page
    response = laptop.post("/account/sessions/end-others")

    assert response.status_code == 302
    assert response.location == "/account/password"
    assert me_status(laptop) == 200
    assert me_status(phone) == 401
    assert me_status(school) == 401
    assert_refused(app, *old["phone"])
    assert_refused(app, *old["school"])
    after = laptop.get("/account/password").get_data(as_text=True)
    assert "Đã đăng xuất khỏi 2 thiết bị khác." in after
    assert "Tài khoản này đang đăng nhập trên 0 thiết bị khác." in after


def test_sign_out_of_other_devices_needs_a_session(client, db):
    response = client.post("/account/sessions/end-others")

    assert response.status_code == 302
    assert response.location.startswith("/login")


def test_sign_out_of_other_devices_needs_the_csrf_token(app, client, make, csrf_on, db):
    user = make.user("hoa")
    other = app.test_client()
    client.get("/login")
    token = client.get("/api/v1/auth/csrf").json["csrf_token"]
    client.post("/login", data={"username": "hoa", "password": PASSWORD, "csrf_token": token})
    other.get("/login")
    other.post(
        "/login",
        data={
            "username": "hoa",
            "password": PASSWORD,
            "csrf_token": other.get("/api/v1/auth/csrf").json["csrf_token"],
        },
    )

    response = client.post("/account/sessions/end-others")

    assert response.status_code == 400
    assert me_status(other) == 200
    live = db.session.scalar(
        sa.select(sa.func.count()).where(
            LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None)
        )
    )
    assert live == 2


# --- remember-me -------------------------------------------------------------------------------------


def test_remember_me_restores_a_session_without_the_session_cookie(app, client, make):
    make.user("hoa")
    sign_in_with_password(client, "hoa", remember=True)

    browser_restarted = fresh_client(app, **{REMEMBER: cookie(client, REMEMBER)})

    assert me_status(browser_restarted) == 200
    assert page_status(browser_restarted) == 200


def test_without_remember_me_there_is_no_remember_cookie(client, make):
    make.user("hoa")

    response = sign_in_with_password(client, "hoa")

    assert set_cookie_headers(response, REMEMBER) == []
    assert cookie(client, REMEMBER) is None


def test_the_remember_cookie_is_random_per_login_and_stored_hashed(app, make, db):
    user = make.user("hoa")
    first, second = app.test_client(), app.test_client()
    sign_in_with_password(first, "hoa", remember=True)
    sign_in_with_password(second, "hoa", remember=True)
    tokens = {cookie(first, REMEMBER), cookie(second, REMEMBER)}

    assert len(tokens) == 2
    assert all(len(token) >= 40 and str(user.id) != token for token in tokens)
    stored = set(
        db.session.scalars(
            sa.select(LoginSession.remember_token_hash).where(LoginSession.user_id == user.id)
        )
    )
    assert stored == {sessions.token_digest(token) for token in tokens}
    assert not stored & tokens


def test_the_remember_cookie_is_rotated_on_use_and_the_old_value_refused(app, client, make):
    make.user("hoa")
    sign_in_with_password(client, "hoa", remember=True)
    first = cookie(client, REMEMBER)

    restored = fresh_client(app, **{REMEMBER: first})
    response = restored.get("/api/v1/me")
    second = cookie(restored, REMEMBER)

    assert response.status_code == 200
    assert second not in (None, first)
    assert me_status(fresh_client(app, **{REMEMBER: first})) == 401
    assert me_status(fresh_client(app, **{REMEMBER: second})) == 200


def test_a_restored_session_is_a_session_logout_ends(app, client, make):
    make.user("hoa")
    sign_in_with_password(client, "hoa", remember=True)
    restored = fresh_client(app, **{REMEMBER: cookie(client, REMEMBER)})
    assert me_status(restored) == 200
    session_cookie, remember_cookie = cookie(restored, SESSION), cookie(restored, REMEMBER)

    response = restored.post("/logout")

    assert [c.value for c in set_cookie_headers(response, REMEMBER)] == [""]
    assert_refused(app, session_cookie, remember_cookie)


def test_logout_ends_the_remember_me_login(app, client, make):
    make.user("hoa")
    sign_in_with_password(client, "hoa", remember=True)
    old = (cookie(client, SESSION), cookie(client, REMEMBER))

    client.post("/logout")

    assert cookie(client, REMEMBER) is None
    assert_refused(app, *old)


def test_the_remember_cookie_expires_after_the_configured_days(app, client, make, frozen):
    make.user("hoa")
    sign_in_with_password(client, "hoa", remember=True)
    token = cookie(client, REMEMBER)

    frozen.shift(app.config["REMEMBER_COOKIE_DURATION"] + timedelta(seconds=1))

    assert me_status(fresh_client(app, **{REMEMBER: token})) == 401


def test_each_use_starts_the_remember_period_again(app, client, make, frozen):
    make.user("hoa")
    sign_in_with_password(client, "hoa", remember=True)
    duration = app.config["REMEMBER_COOKIE_DURATION"]

    frozen.shift(duration - timedelta(days=1))
    restored = fresh_client(app, **{REMEMBER: cookie(client, REMEMBER)})
    assert me_status(restored) == 200
    frozen.shift(duration - timedelta(days=1))

    assert me_status(fresh_client(app, **{REMEMBER: cookie(restored, REMEMBER)})) == 200


def test_the_remember_cookie_flags(app, client, make):
    make.user("hoa")
    app.config["REMEMBER_COOKIE_SECURE"] = True
    try:
        response = sign_in_with_password(client, "hoa", remember=True)
    finally:
        app.config["REMEMBER_COOKIE_SECURE"] = False

    [sent] = set_cookie_headers(response, REMEMBER)
    assert sent["httponly"] is True
    assert sent["secure"] is True
    assert sent["samesite"] == "Lax"
    assert int(sent["max-age"]) == 30 * 24 * 3600
    # Flask-Login's own "<user id>|HMAC" cookie is never set.
    assert all("|" not in header for header in response.headers.getlist("Set-Cookie"))


def test_flask_logins_old_remember_cookie_signs_nobody_in(app, make):
    """The cookie sign-ins set before: Flask-Login's "<user id>|HMAC", same on every login."""
    from flask_login.utils import encode_cookie

    user = make.user("hoa")
    with app.test_request_context():
        legacy = encode_cookie(str(user.id))

    assert me_status(fresh_client(app, remember_token=legacy)) == 401


# --- CSRF and session fixation -----------------------------------------------------------------------


def test_the_csrf_token_changes_at_sign_in(client, make, csrf_on):
    make.user("hoa")
    client.get("/login")
    before = client.get("/api/v1/auth/csrf").json["csrf_token"]

    sign_in_with_password_and_token(client, "hoa", before)
    after = client.get("/api/v1/auth/csrf").json["csrf_token"]

    assert after != before
    # The anonymous session's token no longer passes on a write.
    assert client.post("/logout", data={"csrf_token": before}).status_code == 400
    assert me_status(client) == 200
    assert client.post("/logout", data={"csrf_token": after}).status_code == 302


def test_the_csrf_token_changes_at_api_sign_in(client, make, csrf_on):
    make.user("hoa")
    before = client.get("/api/v1/auth/csrf").json["csrf_token"]

    response = client.post(
        "/api/v1/auth/login",
        json={"username": "hoa", "password": PASSWORD},
        headers={"X-CSRFToken": before},
    )
    after = client.get("/api/v1/auth/csrf").json["csrf_token"]

    assert response.status_code == 200
    assert after != before


def sign_in_with_password_and_token(client, username, token):
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return response


def test_nothing_of_the_anonymous_session_survives_sign_in(client, make, db):
    user = make.user("hoa")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
        session["_user_id"] = f"{user.id}:999999"

    sign_in_with_password(client, "hoa")

    row_id = db.session.scalar(sa.select(LoginSession.id).where(LoginSession.user_id == user.id))
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == f"{user.id}:{row_id}"


def test_each_sign_in_gets_a_new_login_session(app, make, db):
    user = make.user("hoa")
    client = app.test_client()
    sign_in_with_password(client, "hoa")
    with client.session_transaction() as session:
        first = session["_user_id"]
    sign_in_with_password(app.test_client(), "hoa")
    client.post("/logout")
    sign_in_with_password(client, "hoa")
    with client.session_transaction() as session:
        second = session["_user_id"]

    assert first != second
    assert first.startswith(f"{user.id}:") and second.startswith(f"{user.id}:")


# --- the one query -------------------------------------------------------------------------------------


def test_a_signed_in_request_loads_user_roles_and_session_in_one_query(client, make, login, db):
    login(make.organizer())
    g.pop("_login_user", None)
    db.session.expunge_all()
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if not statement.startswith(("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    sa.event.listen(Engine, "before_cursor_execute", count)
    try:
        response = client.get("/api/v1/me")
    finally:
        sa.event.remove(Engine, "before_cursor_execute", count)

    assert response.status_code == 200
    assert response.json["roles"] == ["organizer"]
    assert len(statements) == 1, "\n".join(statements)
    assert "login_session" in statements[0]
    assert "role_assignment" in statements[0]


# --- the services ------------------------------------------------------------------------------------


def test_current_login_session_id_names_the_request_session(app, client, make, db):
    user = make.user("hoa")
    sign_in_with_password(client, "hoa")
    row_id = db.session.scalar(sa.select(LoginSession.id).where(LoginSession.user_id == user.id))

    with client:
        client.get("/api/v1/me")
        signed_in = sessions.current_login_session_id()
    anonymous = app.test_client()
    with anonymous:
        anonymous.get("/api/v1/me")
        nobody = sessions.current_login_session_id()

    assert row_id is not None
    assert (signed_in, nobody) == (row_id, None)


def test_live_session_clause(make, db, frozen):
    user, other = make.user("hoa"), make.user("lan")
    live, _ = sessions.start(user=user)
    ended, _ = sessions.start(user=user)
    sessions.revoke(session_id=ended.id)

    def is_live(session_id, user_id, **kw):
        return db.session.scalar(sa.select(sessions.live_session_clause(session_id, user_id, **kw)))

    assert is_live(live.id, user.id) is True
    assert is_live(ended.id, user.id) is False
    assert is_live(live.id, other.id) is False
    assert is_live(live.id, user.id, now=live.expires_at - timedelta(seconds=1)) is True
    assert is_live(live.id, user.id, now=live.expires_at) is False
    # Bind parameters, as a prepared statement passes them.
    clause = sessions.live_session_clause(sa.bindparam("s"), sa.bindparam("u"))
    assert db.session.scalar(sa.select(clause), {"s": live.id, "u": user.id}) is True


def test_prune_deletes_expired_and_long_revoked_sessions_once(app, make, db, frozen):
    user = make.user("hoa")
    retention = app.config["LOGIN_SESSION_RETENTION"]
    sessions.start(user=user, lifetime=timedelta(hours=1))  # expired by then
    live, _ = sessions.start(user=user, lifetime=timedelta(days=60))
    long_revoked, _ = sessions.start(user=user, lifetime=timedelta(days=60))
    recently_revoked, _ = sessions.start(user=user, lifetime=timedelta(days=60))
    sessions.revoke(session_id=long_revoked.id, now=T0)
    sessions.revoke(session_id=recently_revoked.id, now=T0 + retention)
    now = T0 + retention + timedelta(hours=1)

    first = sessions.prune(now=now)
    second = sessions.prune(now=now)

    assert (first, second) == (2, 0)
    left = set(
        db.session.scalars(sa.select(LoginSession.id).where(LoginSession.user_id == user.id))
    )
    assert left == {live.id, recently_revoked.id}


def test_the_prune_job_is_scheduled(runner):
    result = runner.invoke(args=["scheduler", "list"])

    assert "prune-login-sessions" in result.output
    assert "core.auth.jobs:prune_login_sessions" in result.output


def test_deleting_a_user_deletes_their_sessions(make, db):
    user = make.user("hoa")
    sessions.start(user=user)
    db.session.flush()

    db.session.execute(sa.delete(type(user)).where(type(user).id == user.id))

    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginSession)) == 0
