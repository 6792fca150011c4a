"""Hostile input at the edges: redirects, sign-in throttles and timing, ids, NUL bytes, caching."""

import ipaddress

import pytest

from core.accounts.hashing import PasswordHasher
from core.auth import services as auth_services
from core.hardening import DB_INT_MAX, safe_next
from tests.factories import PASSWORD

OTHER_ADDRESS = {"REMOTE_ADDR": "198.51.100.7"}
SCHOOL_ADDRESS = {"REMOTE_ADDR": "203.0.113.10"}


# --- open redirects -------------------------------------------------------------------------

UNSAFE_NEXT = [
    "/%09/evil.example",
    "/\t/evil.example",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%5Cevil.example",
    "/%2F/evil.example",
    "/%252F/evil.example",
    "/%0D%0ALocation:%20http://evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "evil.example",
    " /x",
]


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_safe_next_refuses_what_a_browser_reads_as_another_site(app, target):
    with app.test_request_context():
        assert safe_next(target) == "/"


@pytest.mark.parametrize("target", ["/quiz", "/quiz/rounds/3?tab=a%20b", "/news#top"])
def test_safe_next_keeps_paths_on_this_site(app, target):
    with app.test_request_context():
        assert safe_next(target) == target


def test_signed_in_login_with_tab_next_goes_home(client, make, login):
    login(make.user("hoa"))

    response = client.get("/login?next=/%09/evil.example")

    assert response.status_code == 302
    assert response.location == "/"


def test_login_with_tab_next_goes_home_after_sign_in(client, make):
    make.user("hoa")

    response = client.post(
        "/login?next=/%09/evil.example", data={"username": "hoa", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response.location == "/"


def test_login_with_crlf_next_goes_home(client, make, login):
    login(make.user("hoa"))

    response = client.get("/login?next=/%0D%0ASet-Cookie:%20x=1")

    assert response.status_code == 302
    assert response.location == "/"


def test_login_follows_a_safe_next(client, make):
    make.user("hoa")

    response = client.post("/login?next=/quiz", data={"username": "hoa", "password": PASSWORD})

    assert response.location == "/quiz"


def test_language_switch_refuses_backslash_next(client):
    response = client.post("/lang/en", data={"next": "/\\evil.example"})

    assert response.status_code == 302
    assert response.location == "/"


# --- sign-in throttling -----------------------------------------------------------------------


def _fail(client, username, times, environ=None):
    return [
        client.post(
            "/login", data={"username": username, "password": "wrong"}, environ_base=environ
        ).status_code
        for _ in range(times)
    ]


def test_owner_signs_in_after_ten_failures_from_another_address(client, make):
    make.user("hoa")
    _fail(client, "hoa", 10, OTHER_ADDRESS)

    response = client.post("/login", data={"username": "hoa", "password": PASSWORD})

    assert response.status_code == 302


def test_guessing_one_account_from_one_address_must_wait(client, make):
    make.user("hoa")

    statuses = _fail(client, "hoa", 6, OTHER_ADDRESS)
    right = client.post(
        "/login", data={"username": "hoa", "password": PASSWORD}, environ_base=OTHER_ADDRESS
    )

    assert statuses == [401] * 5 + [429]
    assert right.status_code == 429
    assert "Đăng nhập sai quá nhiều lần" in right.get_data(as_text=True)


def test_the_wait_ends(client, make, frozen):
    make.user("hoa")
    _fail(client, "hoa", 5, OTHER_ADDRESS)
    frozen.shift(61)

    response = client.post(
        "/login", data={"username": "hoa", "password": PASSWORD}, environ_base=OTHER_ADDRESS
    )

    assert response.status_code == 302


def test_second_student_behind_a_school_nat_signs_in_after_300_failures(app, client, make):
    make.user("lan")
    with app.test_request_context():
        for n in range(300):
            auth_services.record_failure(username=f"hs{n % 60}", address="203.0.113.10")

    response = client.post(
        "/login", data={"username": "lan", "password": PASSWORD}, environ_base=SCHOOL_ADDRESS
    )

    assert response.status_code == 302


def test_one_address_guessing_many_accounts_is_refused(app, client):
    app.config["LOGIN_LIMIT_PER_IP"] = "4 per 15 minutes"
    try:
        statuses = [_fail(client, f"a{n}", 1, OTHER_ADDRESS)[0] for n in range(5)]
    finally:
        app.config["LOGIN_LIMIT_PER_IP"] = "1000 per 15 minutes"

    assert statuses == [401, 401, 401, 401, 429]


def test_trusted_school_network_skips_the_address_limit(app, client, make):
    make.user("lan")
    app.config["LOGIN_LIMIT_PER_IP"] = "2 per 15 minutes"
    app.config["LOGIN_TRUSTED_NETWORKS"] = (ipaddress.ip_network("203.0.113.0/24"),)
    try:
        failures = [_fail(client, f"a{n}", 1, SCHOOL_ADDRESS)[0] for n in range(4)]
        response = client.post(
            "/login", data={"username": "lan", "password": PASSWORD}, environ_base=SCHOOL_ADDRESS
        )
    finally:
        app.config["LOGIN_LIMIT_PER_IP"] = "1000 per 15 minutes"
        app.config["LOGIN_TRUSTED_NETWORKS"] = ()

    assert failures == [401, 401, 401, 401]
    assert response.status_code == 302


def test_trusted_networks_come_from_the_environment():
    from core.config import Config, ConfigError

    config = Config(
        {
            "SECRET_KEY": "x",
            "DATABASE_URL": "sqlite://",
            "LOGIN_TRUSTED_NETWORKS": "203.0.113.0/24, 10.1.2.3",
        }
    )

    expected = (ipaddress.ip_network("203.0.113.0/24"), ipaddress.ip_network("10.1.2.3/32"))
    networks = config.LOGIN_TRUSTED_NETWORKS
    assert networks == expected
    with pytest.raises(ConfigError):
        Config({"SECRET_KEY": "x", "DATABASE_URL": "sqlite://", "LOGIN_TRUSTED_NETWORKS": "x/99"})


# --- every failed sign-in costs one argon2 verification ----------------------------------------


@pytest.fixture
def verifications(monkeypatch):
    calls = []
    real = PasswordHasher.verify

    def spy(self, hash_, password):
        calls.append(hash_)
        return real(self, hash_, password)

    monkeypatch.setattr(PasswordHasher, "verify", spy)
    return calls


@pytest.mark.parametrize(
    "case", ["unknown", "never_activated", "disabled", "wrong_password", "right_password"]
)
def test_every_sign_in_verifies_one_argon2_hash(client, make, verifications, case):
    if case == "never_activated":
        make.user("hoa", password=None)
    elif case == "disabled":
        make.user("hoa", active=False)
    elif case != "unknown":
        make.user("hoa")
    password = PASSWORD if case == "right_password" else "wrong-guess-1"
    if case in ("never_activated", "disabled"):
        password = PASSWORD
    # Computed before the request so the spy counts only the sign-in's own verification.
    with client.application.test_request_context():
        from core.accounts.services import _dummy_hash

        _dummy_hash()

    response = client.post("/login", data={"username": "hoa", "password": password})

    assert response.status_code == (302 if case == "right_password" else 401)
    assert len(verifications) == 1
    assert verifications[0].startswith("$argon2id$")


# --- ids out of the database's range and NUL bytes ---------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"/quiz/attempts/{DB_INT_MAX + 1}",
        "/quiz/attempts/99999999999999999999999",
        f"/api/v1/attempts/{2**31}",
        f"/schools/{2**63}",
    ],
)
def test_ids_beyond_the_database_integer_range_are_not_found(client, make, login, path):
    login(make.admin())

    response = client.get(path)

    assert response.status_code == 404


def test_largest_database_id_still_reaches_the_view(client, make, login):
    login(make.admin())

    response = client.get(f"/api/v1/attempts/{DB_INT_MAX}")

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_nul_byte_in_a_username_is_a_bad_request(client):
    response = client.post("/login", data={"username": "hoa\x00", "password": "x"})

    assert response.status_code == 400


def test_nul_byte_in_json_is_a_bad_request(client):
    response = client.post("/api/v1/auth/login", json={"username": "hoa\x00", "password": "x"})

    assert response.status_code == 400
    assert response.get_json()["error"]["status"] == 400


def test_nul_byte_in_the_query_is_a_bad_request(client):
    response = client.get("/news?q=a%00b")

    assert response.status_code == 400


def test_nul_byte_in_the_path_is_a_bad_request(client):
    response = client.get("/news/a%00b")

    assert response.status_code == 400


# --- private answers are never stored by a cache -----------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/account/password", "/quiz", "/essay", "/safety/", "/judging/my-results"]
)
def test_pages_for_a_signed_in_student_are_not_stored(client, make, login, path):
    login(make.student())

    response = client.get(path)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    "path",
    ["/admin/users", "/safety/reports", "/manage/essay", "/manage/judging", "/movement/mine"],
)
def test_pages_for_staff_are_not_stored(client, make, login, path):
    login(make.admin())

    response = client.get(path)

    assert response.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/campaigns", "/api/v1/openapi.json"])
def test_api_answers_are_not_stored(client, make, login, path):
    login(make.student())

    response = client.get(path)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"


def test_public_page_for_a_visitor_may_be_cached(client):
    response = client.get("/news")

    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


@pytest.mark.parametrize(
    "body",
    [
        b'{"username": "hoa\\u0000", "password": "x"}',
        b'{"username": "hoa", "password": "x", "extra": ["\\u0000"]}',
        '{"username": "hoa\\u0000", "password": "x"}'.encode("utf-16"),
    ],
)
def test_nul_escapes_in_any_json_encoding_are_a_bad_request(client, body):
    response = client.post(
        "/api/v1/auth/login", data=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
