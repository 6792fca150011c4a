from core.accounts.models import Role


def test_home_page_renders_in_vietnamese(client):
    response = client.get("/")

    assert response.status_code == 200
    assert "Đăng nhập" in response.get_data(as_text=True)


def test_signed_in_admin_sees_administration(client, make, login):
    admin = make.admin()
    login(admin)

    response = client.get("/")

    assert response.status_code == 200
    assert "Quản trị" in response.get_data(as_text=True)
    assert admin.has_role(Role.ADMIN)


def test_vendored_assets_are_served_locally(client):
    for path in [
        "/static/vendor/bootstrap/bootstrap.min.css",
        "/static/vendor/bootstrap/bootstrap.bundle.min.js",
        "/static/vendor/be-vietnam-pro/fonts.css",
        "/static/css/app.css",
        "/static/js/app.js",
    ]:
        assert client.get(path).status_code == 200, path


def test_model_class_names_are_unique_across_packages(app):
    from collections import Counter

    from core.extensions import db

    names = Counter(mapper.class_.__name__ for mapper in db.Model.registry.mappers)

    # SQLAlchemy resolves relationship targets by class name: two "Criterion"s break both.
    assert [name for name, count in names.items() if count > 1] == []
