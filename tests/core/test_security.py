import pytest


def test_pages_send_strict_security_headers(client):
    response = client.get("/login")

    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_session_cookie_is_httponly_and_samesite(client):
    cookie = client.get("/login").headers["Set-Cookie"]

    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_production_config_makes_cookies_secure_and_needs_secret():
    from core.config import Config, ConfigError

    with pytest.raises(ConfigError):
        Config({"DATABASE_URL": "postgresql://x/y"})
    config = Config({"SECRET_KEY": "s" * 32, "DATABASE_URL": "postgresql://x/y"})
    assert config.SESSION_COOKIE_SECURE is True
    assert config.WTF_CSRF_TIME_LIMIT is None


def test_form_post_without_csrf_token_is_refused(client, make, csrf_on):
    make.user("hoa")

    response = client.post("/login", data={"username": "hoa", "password": "x"})

    assert response.status_code == 400
    assert "Phiên làm việc đã hết hạn" in response.get_data(as_text=True)


def test_no_inline_scripts_or_styles_in_pages(client, make, login):
    login(make.admin())

    for path in ["/", "/login", "/admin/users", "/admin/schools", "/campaigns"]:
        body = client.get(path).get_data(as_text=True)
        assert "<script>" not in body and "style=" not in body, path


def test_each_application_keeps_its_own_security_settings(client, tmp_path):
    from tests.conftest import make_test_app

    make_test_app(f"sqlite:///{tmp_path / 'other.sqlite3'}", tmp_path, FORCE_HTTPS=True)

    response = client.get("/healthz")

    # The other application redirects plain HTTP and sends HSTS; this one (tests) does not.
    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response.headers


def test_api_answers_send_the_same_security_headers(client):
    response = client.get("/api/v1/openapi.json")

    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Permissions-Policy"] == "geolocation=(), camera=(), microphone=()"
    assert response.headers.getlist("X-Frame-Options") == ["DENY"]  # once, not per hook


def test_force_https_redirects_plain_http_and_sends_hsts_over_https(tmp_path):
    from tests.conftest import make_test_app

    app = make_test_app(f"sqlite:///{tmp_path / 'https.sqlite3'}", tmp_path, FORCE_HTTPS=True)
    client = app.test_client()

    plain = client.get("/healthz")
    secure = client.get("/healthz", base_url="https://localhost")
    proxied = client.get("/healthz", headers={"X-Forwarded-Proto": "https"})

    assert plain.status_code == 302
    assert plain.headers["Location"].startswith("https://")
    assert "Strict-Transport-Security" not in plain.headers
    assert secure.status_code == 200
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert proxied.status_code == 200
