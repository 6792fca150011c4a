from core.accounts import services
from core.accounts.models import User
from tests.factories import PASSWORD


def test_login_page_is_vietnamese_with_labels(client):
    page = client.get("/login").get_data(as_text=True)

    assert '<label class="form-label" for="username">Tên đăng nhập</label>' in page
    assert 'autocomplete="current-password"' in page


def test_login_with_right_password_redirects_home(client, make):
    make.user("hoa")

    response = client.post("/login", data={"username": "hoa", "password": PASSWORD})

    assert response.status_code == 302
    assert response.location == "/"


def test_login_with_wrong_password_shows_message_beside_field(client, make):
    make.user("hoa")

    response = client.post("/login", data={"username": "hoa", "password": "nope"})

    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.get_data(as_text=True)


def test_login_refuses_unsafe_next_url(client, make):
    make.user("hoa")

    response = client.post(
        "/login?next=//evil.example/x", data={"username": "hoa", "password": PASSWORD}
    )

    assert response.location == "/"


def test_login_is_throttled_per_account(app, client, make):
    make.user("hoa")
    saved = app.config["LOGIN_LIMIT_PER_ACCOUNT"]
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "3 per 15 minutes"
    try:
        statuses = [
            client.post("/login", data={"username": "hoa", "password": "bad"}).status_code
            for _ in range(3)
        ]
        blocked = client.post("/login", data={"username": "hoa", "password": PASSWORD})
    finally:
        app.config["LOGIN_LIMIT_PER_ACCOUNT"] = saved

    assert statuses == [401, 401, 401]
    assert blocked.status_code == 429
    assert "Đăng nhập sai quá nhiều lần" in blocked.get_data(as_text=True)


def test_login_throttle_per_address_covers_many_accounts(app, client, make):
    saved = app.config["LOGIN_LIMIT_PER_IP"]
    app.config["LOGIN_LIMIT_PER_IP"] = "2 per 15 minutes"
    try:
        client.post("/login", data={"username": "a1", "password": "bad"})
        client.post("/login", data={"username": "a2", "password": "bad"})
        blocked = client.post("/login", data={"username": "a3", "password": "bad"})
    finally:
        app.config["LOGIN_LIMIT_PER_IP"] = saved

    assert blocked.status_code == 429


def test_disabled_user_cannot_sign_in(client, make):
    make.user("hoa", active=False)

    response = client.post("/login", data={"username": "hoa", "password": PASSWORD})

    assert response.status_code == 401


def test_activation_page_sets_password_and_signs_in(app, client, make, db):
    student = make.student(password=None)
    with app.test_request_context():
        code = services.issue_activation_code(user=student)
    db.session.flush()

    response = client.post(
        "/activate",
        data={
            "username": student.username,
            "code": code[:5] + "-" + code[5:],
            "new_password": "mat-khau-rieng",
            "confirm": "mat-khau-rieng",
        },
    )

    assert response.status_code == 302
    assert services.check_password(db.session.get(User, student.id), "mat-khau-rieng")
    assert client.get("/api/v1/me").get_json()["username"] == student.username


def test_activation_with_wrong_code_shows_error_beside_code(client, make):
    student = make.student(password=None)

    response = client.post(
        "/activate",
        data={
            "username": student.username,
            "code": "XXXXX-YYYYY",
            "new_password": "abcdefgh1",
            "confirm": "abcdefgh1",
        },
    )

    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="code-error"' in body
    assert "Tên đăng nhập hoặc mã kích hoạt không đúng" in body


def test_activation_with_mismatched_passwords_is_refused(client, make):
    student = make.student(password=None)

    response = client.post(
        "/activate",
        data={
            "username": student.username,
            "code": "XXXXX",
            "new_password": "abcdefgh1",
            "confirm": "abcdefgh2",
        },
    )

    assert "Hai mật khẩu không khớp nhau." in response.get_data(as_text=True)


def test_user_with_temporary_password_is_sent_to_change_it(client, make, login):
    user = make.user(must_change_password=True)
    login(user)

    response = client.get("/")

    assert response.status_code == 302
    assert response.location == "/account/password"


def test_change_password_clears_the_flag(client, make, login, db):
    user = make.user(must_change_password=True)
    login(user)

    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "brand-new-pass",
            "confirm": "brand-new-pass",
        },
    )

    assert response.status_code == 302
    assert db.session.get(User, user.id).must_change_password is False
    assert client.get("/").status_code == 200


def test_change_password_requires_sign_in(client):
    response = client.get("/account/password")

    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


def test_logout_signs_out(client, make, login):
    login(make.user())

    response = client.post("/logout")

    assert response.status_code == 302
    assert client.get("/api/v1/me").status_code == 401


def test_activation_refuses_a_common_password_and_keeps_the_code(app, client, make, db):
    student = make.student(password=None)
    with app.test_request_context():
        code = services.issue_activation_code(user=student)
    db.session.flush()

    response = client.post(
        "/activate",
        data={
            "username": student.username,
            "code": code,
            "new_password": "12345678",
            "confirm": "12345678",
        },
    )

    assert response.status_code == 400
    assert "Mật khẩu này quá dễ đoán. Em hãy chọn" in response.get_data(as_text=True)
    assert db.session.get(User, student.id).password_hash is None


def test_change_password_refuses_aaaaaaaa(client, make, login):
    login(make.user("hoa"))

    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "aaaaaaaa", "confirm": "aaaaaaaa"},
    )

    assert response.status_code == 200
    assert "Mật khẩu này quá dễ đoán" in response.get_data(as_text=True)
