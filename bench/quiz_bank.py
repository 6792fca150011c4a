"""Benchmark: reading a pool of the question bank, as a start does when its worker's copy expires.

    .venv/bin/python -m bench.quiz_bank [--questions 5000] [--database-url URL]

A start draws from ``services.load_bank``: every valid question of the pool, with its choices
and texts, read in two statements and kept by each worker for QUIZ_BANK_CACHE_SECONDS (30 s).
The first start after that pays for the read. Builds a pool of ``--questions`` questions of
four choices with texts of realistic length (bulk inserts, not timed), then prints the median
and worst of 10 cold reads, and a draw of a 20-question paper from the read bank. Run it beside
the same machine-speed line as the other benchmarks: the read is pure Python row handling.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from bench import machine_speed
from contests.quiz import services
from contests.quiz.models import Choice, Pool, Question, QuestionCategory, QuestionKind
from core.clock import local_today, utcnow
from core.config import TestConfig
from core.extensions import db
from tests.dbtools import recreate_postgres_database

TEXT = (
    "Theo Luật An ninh mạng 2018, hành vi nào sau đây bị nghiêm cấm khi sử dụng mạng xã hội "
    "trong trường học và ở nhà? "
)


def build(questions: int) -> int:
    """A pool of ``questions`` questions over 8 categories; return the first category's id."""
    now = utcnow()
    categories = [QuestionCategory(code=f"c{n}", name=f"Chủ đề {n}") for n in range(8)]
    db.session.add_all(categories)
    db.session.flush()
    db.session.execute(
        sa.insert(Question),
        [
            {
                "category_id": categories[n % 8].id,
                "pool": Pool.CONTEST,
                "kind": QuestionKind.SINGLE,
                "text": f"{TEXT}(câu {n})",
                "explanation": "Giải thích",
                "difficulty": 1 + n % 3,
                "source": "Luật An ninh mạng 2018, Điều 8",
                "created_at": now,
            }
            for n in range(questions)
        ],
    )
    ids = db.session.scalars(sa.select(Question.id)).all()
    db.session.execute(
        sa.insert(Choice),
        [
            {
                "question_id": q,
                "position": k,
                "text": f"Phương án {k}: {TEXT[:60]}",
                "correct": k == 0,
            }
            for q in ids
            for k in range(4)
        ],
    )
    db.session.commit()
    return categories[0].id


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=5000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    print(machine_speed(), flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="quizbank-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    if url.startswith("postgresql"):
        recreate_postgres_database(url)
    app = create_app(TestConfig({}, SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=str(tmp)))
    with app.app_context(), app.test_request_context():
        upgrade()
        category_id = build(args.questions)
        day = local_today(utcnow())
        gc.freeze()  # as deploy/gunicorn.conf.py does for the loaded application
        timings = []
        for _ in range(10):
            services.forget_cached_rows()
            started = time.perf_counter()
            bank = services.load_bank(Pool.CONTEST, day, ttl=timedelta(seconds=30))
            timings.append((time.perf_counter() - started) * 1000)
            db.session.rollback()
        round_ = type(
            "Rules",
            (),
            {
                "is_practice": False,
                "draw_rules": [{"category_id": category_id, "count": 20}],
                "balance_difficulty": True,
                "shuffle_questions": True,
                "shuffle_choices": True,
            },
        )
        started = time.perf_counter()
        for _ in range(100):
            services.draw_paper(round_=round_, rng=random.Random(), day=day, bank=bank)
        draw_ms = (time.perf_counter() - started) * 10
    print(
        f"{url.split(':')[0]}: bank of {len(bank.kinds)} questions read cold in "
        f"median {statistics.median(timings):.1f} ms, worst {max(timings):.1f} ms "
        f"(once per worker and {30} s); a 20-question draw from it {draw_ms:.2f} ms"
    )


if __name__ == "__main__":
    main()
