"""The floor app of bench/save_rate.py: its upsert keeps the newest save, its top 100 is ranked."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bench import floor
from tests.conftest import database_url


@pytest.fixture
def floor_app(request, tmp_path_factory):
    url = database_url(request, tmp_path_factory, "floor")
    floor.create_tables(url, scores=150)
    app = floor.create_app(url)
    yield app
    app.extensions["floor.engine"].dispose()


def _stored(app) -> list[tuple]:
    with app.extensions["floor.engine"].connect() as connection:
        return [tuple(row) for row in connection.execute(sa.select(floor.answer))]


def test_save_keeps_the_newest_seq(floor_app):
    client = floor_app.test_client()

    first = client.put("/attempts/7/answers/3", json={"choice_ids": [11], "seq": 2})
    older = client.put("/attempts/7/answers/3", json={"choice_ids": [12], "seq": 1})

    assert first.get_json() == {"saved": True}
    assert older.status_code == 200
    assert _stored(floor_app) == [(7, 3, [11], 2)]


def test_save_without_a_body_is_refused(floor_app):
    response = floor_app.test_client().put("/attempts/7/answers/3")

    assert response.status_code == 415
    assert _stored(floor_app) == []


def test_top_lists_the_100_best_scores_fastest_first(floor_app):
    rows = floor_app.test_client().get("/top").get_json()

    ranked = sorted(rows, key=lambda r: (-r["points"], r["seconds"]))
    assert len(rows) == 100
    assert rows == ranked
    assert rows[0]["points"] == max((n * 7919) % 1000 for n in range(1, 151))
