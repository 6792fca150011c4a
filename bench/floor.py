"""The floor: the least a Flask + SQLAlchemy app does to store an answer or list a top 100.

    FLOOR_DATABASE_URL=sqlite:////tmp/floor.sqlite3 gunicorn 'bench.floor:create_app()'

``PUT /attempts/<id>/answers/<question>`` with ``{"choice_ids": [...], "seq": n}`` is one upsert
into one table (a newer ``seq`` wins, as in our save), ``GET /top`` the 100 best scores as JSON.
No sessions, no checks: what any save costs on this machine, for bench/save_rate.py to compare
ours with. SQLite gets the tuning our app gives it (core.db.tune_sqlite), so the floor differs
from us by our work only.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from flask import Flask, jsonify, request
from sqlalchemy.dialects import postgresql, sqlite

from core.db import is_sqlite, tune_sqlite

metadata = sa.MetaData()
answer = sa.Table(
    "floor_answer",
    metadata,
    sa.Column("attempt_id", sa.Integer, primary_key=True),
    sa.Column("question_id", sa.Integer, primary_key=True),
    sa.Column("choice_ids", sa.JSON, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
)
score = sa.Table(
    "floor_score",
    metadata,
    sa.Column("user_id", sa.Integer, primary_key=True),
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("seconds", sa.Integer, nullable=False),
    sa.Index("ix_floor_score_rank", sa.desc("points"), "seconds"),
)


def create_app(url: str | None = None) -> Flask:
    """The floor app on ``url`` (default: the FLOOR_DATABASE_URL environment variable)."""
    engine = sa.create_engine(url or os.environ["FLOOR_DATABASE_URL"])
    if is_sqlite(engine):
        tune_sqlite(engine)
    insert = (sqlite if is_sqlite(engine) else postgresql).insert
    upsert = insert(answer)
    upsert = upsert.on_conflict_do_update(
        index_elements=[answer.c.attempt_id, answer.c.question_id],
        set_={"choice_ids": upsert.excluded.choice_ids, "seq": upsert.excluded.seq},
        where=answer.c.seq < upsert.excluded.seq,
    )
    top = sa.select(score).order_by(score.c.points.desc(), score.c.seconds).limit(100)
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    app = Flask(__name__)

    @app.put("/attempts/<int:attempt_id>/answers/<int:question_id>")
    def save(attempt_id: int, question_id: int):
        body = request.get_json()
        values = {"attempt_id": attempt_id, "question_id": question_id}
        with engine.begin() as connection:
            connection.execute(
                upsert, values | {"choice_ids": body["choice_ids"], "seq": body["seq"]}
            )
        return {"saved": True}

    @app.get("/top")
    def top_100():
        with engine.connect() as connection:
            rows = connection.execute(top).mappings().all()
        return jsonify([dict(row) for row in rows])

    app.extensions["floor.engine"] = engine
    return app


def create_tables(url: str, scores: int = 0) -> None:
    """Create the floor's tables on ``url``, with ``scores`` made-up scores to rank."""
    engine = sa.create_engine(url)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    if scores:
        with engine.begin() as connection:
            connection.execute(
                score.insert(),
                [
                    {"user_id": n, "points": (n * 7919) % 1000, "seconds": (n * 104729) % 900}
                    for n in range(1, scores + 1)
                ],
            )
    engine.dispose()
