def test_missing_page_is_404_in_vietnamese(client):
    response = client.get("/khong-co-trang-nay")

    body = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Không tìm thấy trang" in body


def test_forbidden_page_is_403_in_vietnamese(client, make, login):
    login(make.user())

    response = client.get("/admin/users")

    assert response.status_code == 403
    assert "Không có quyền truy cập" in response.get_data(as_text=True)


def test_request_too_large_is_413(app, client, make, login):
    login(make.admin())
    app.config["MAX_CONTENT_LENGTH"] = 100
    try:
        response = client.post("/admin/schools/new", data={"name": "x" * 500})
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 12 * 1024 * 1024

    assert response.status_code == 413
    assert "Tệp quá lớn" in response.get_data(as_text=True)


def test_domain_error_becomes_json_under_api(app):
    from core.errors import Conflict, error_response

    with app.test_request_context("/api/v1/x"):
        response, status = error_response(409, "Đã nộp bài.", "conflict")

    assert status == 409
    assert response.get_json() == {
        "error": {"status": 409, "code": "conflict", "message": "Đã nộp bài."}
    }
    assert Conflict.status_code == 409


def test_unexpected_error_is_500_page_in_vietnamese(app):
    from core.errors import error_response

    with app.test_request_context("/x"):
        body, status = error_response(500)

    assert status == 500
    assert "Đã có lỗi xảy ra" in body


def test_healthz_answers(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
