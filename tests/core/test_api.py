import pytest

from tests.factories import PASSWORD


def test_openapi_document_lists_fixed_operation_ids(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    operations = {
        (path, method): op.get("operationId")
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method != "parameters"  # path-level parameters of routes like /x/<int:id>
    }
    assert operations[("/api/v1/auth/csrf", "get")] == "getCsrfToken"
    assert operations[("/api/v1/auth/login", "post")] == "login"
    assert operations[("/api/v1/auth/logout", "post")] == "logout"
    assert operations[("/api/v1/me", "get")] == "me"
    assert spec["openapi"].startswith("3.")


def test_api_login_with_csrf_token_sets_session(client, make, csrf_on):
    school = make.school("THCS-A")
    make.user("lan", school_=school, full_name="Phạm Thị Lan")
    token = client.get("/api/v1/auth/csrf").get_json()["csrf_token"]

    response = client.post(
        "/api/v1/auth/login",
        json={"username": "lan", "password": PASSWORD},
        headers={"X-CSRFToken": token},
    )
    me = client.get("/api/v1/me").get_json()

    assert response.status_code == 200
    assert me == {
        "username": "lan",
        "full_name": "Phạm Thị Lan",
        "roles": [],
        "school": {"id": school.id, "code": "THCS-A", "name": school.name, "level": "THCS"},
    }


def test_api_login_without_csrf_token_is_refused(client, make, csrf_on):
    make.user("lan")

    response = client.post("/api/v1/auth/login", json={"username": "lan", "password": PASSWORD})

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf"


def test_api_login_with_wrong_password_is_401_json(client, make):
    make.user("lan")

    response = client.post("/api/v1/auth/login", json={"username": "lan", "password": "x"})

    assert response.status_code == 401
    assert response.get_json()["error"] == {
        "status": 401,
        "code": "bad_credentials",
        "message": "Tên đăng nhập hoặc mật khẩu không đúng.",
    }


@pytest.mark.parametrize(
    "body",
    [b"not json", b"{}", b'{"username": 5}', b"[]"],
    ids=["not-json", "empty", "wrong-type", "array"],
)
def test_api_login_with_malformed_body_is_400_json(client, body):
    response = client.post("/api/v1/auth/login", data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.get_json()["error"]["status"] == 400


def test_api_me_anonymous_is_401_json_not_redirect(client):
    response = client.get("/api/v1/me")

    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_api_logout_ends_session(client, make, login):
    login(make.user())

    assert client.post("/api/v1/auth/logout").get_json() == {"status": "signed_out"}
    assert client.get("/api/v1/me").status_code == 401


def test_api_unknown_path_is_404_json(client):
    response = client.get("/api/v1/nothing-here")

    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404


def test_api_campaigns_lists_published_only(client, make, db):
    from datetime import date

    from campaign.campaigns.models import Campaign, CampaignStatus

    db.session.add_all(
        [
            Campaign(
                slug="a",
                title="A",
                starts_on=date(2026, 9, 1),
                ends_on=date(2027, 5, 1),
                status=CampaignStatus.PUBLISHED,
            ),
            Campaign(slug="b", title="B", starts_on=date(2026, 9, 1), ends_on=date(2027, 5, 1)),
        ]
    )
    db.session.flush()

    slugs = [c["slug"] for c in client.get("/api/v1/campaigns").get_json()]

    assert slugs == ["a"]
