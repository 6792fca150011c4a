"""Sign-in limits hold across workers: two application instances sharing Redis."""

import os
import uuid

import pytest
from flask_migrate import upgrade

from core.extensions import db
from tests import factories
from tests.conftest import database_url, make_test_app

REDIS_URL = os.environ.get("REDIS_URL", "")


@pytest.mark.skipif(not REDIS_URL.startswith("redis"), reason="REDIS_URL is not set")
def test_failed_logins_on_one_worker_block_the_other(request, tmp_path_factory, tmp_path):
    url = database_url(request, tmp_path_factory, "redis")
    options = {
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        "LOGIN_LIMIT_PER_ACCOUNT": "3 per 15 minutes",
    }
    worker_a = make_test_app(url, tmp_path / "a", **options)
    with worker_a.app_context():
        upgrade()
        factories.user("chung")
        db.session.commit()
    a = worker_a.test_client()
    for _ in range(3):
        assert (
            a.post("/api/v1/auth/login", json={"username": "chung", "password": "bad"}).status_code
            == 401
        )
    # The second app builds its own limiter storage: with memory storage it would start at zero.
    worker_b = make_test_app(url, tmp_path / "b", **options)
    b = worker_b.test_client()

    blocked = b.post(
        "/api/v1/auth/login", json={"username": "chung", "password": factories.PASSWORD}
    )

    assert blocked.status_code == 429
    assert blocked.get_json()["error"]["code"] == "too_many_attempts"
