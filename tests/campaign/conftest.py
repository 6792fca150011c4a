import pytest


@pytest.fixture(autouse=True)
def request_ctx(app, db):
    """Services build translated messages, which need a request's locale."""
    with app.test_request_context():
        yield
