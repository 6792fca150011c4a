"""In-process CPU cost of the quiz hot paths (no HTTP server, no other load needed).

    .venv/bin/python -m bench.quiz_cpu [--database-url URL] [--saves 2000] [--profile save]

The application is built as ``make serve`` builds it (production settings, a real secret key)
and driven through the WSGI stack with Flask's test client, one request at a time. Prints the
CPU time (``time.process_time``) and wall time per request for the quiz page (HTML),
startAttempt, getAttempt, saveAnswer (with the attempt token, when starts issue one, and without
it: the full route) and getLeaderboard. ``--profile NAME`` prints a cProfile
of that phase instead.
On a shared machine CPU time is the figure to compare: it does not count time spent waiting.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench import machine_speed
from bench.quiz_load import SECRET, forged_sessions, prepare


def build_app(url: str, tmp: Path):
    from app import create_app
    from core.config import config_from_env

    config = config_from_env(
        {
            "APP_ENV": "development",
            "DATABASE_URL": url,
            "SECRET_KEY": SECRET,
            "INSTANCE_PATH": str(tmp),
        }
    )
    return create_app(config)


def measure(name, calls, profile: str | None):
    """Run ``calls`` (a list of zero-argument functions); print CPU and wall ms per call."""
    profiler = cProfile.Profile() if profile == name else None
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for call in calls:
        call()
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    n = len(calls)
    print(
        f"{name:12s}: {n:5d} requests, CPU {cpu / n * 1000:.3f} ms/request, wall {wall / n * 1000:.3f} ms/request"
    )
    if profiler:
        profiler.dump_stats(f"/tmp/quiz_cpu_{name}.prof")
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(60)
        stats.sort_stats("tottime").print_stats(30)


def floor_measures(url: str, tmp: Path, saves: int, profile: str | None) -> None:
    """The floor (bench.floor) in the same process and sitting: its save and top-100 CPU."""
    from bench import floor

    if url.startswith("sqlite"):
        url = f"sqlite:///{tmp / 'floor.sqlite3'}"
    floor.create_tables(url, scores=5000)
    client = floor.create_app(url).test_client()

    def save(n):
        def call():
            response = client.put(
                f"/attempts/{1 + n % 100}/answers/{1 + n // 100 % 20}",
                json={"choice_ids": [n % 4], "seq": n},
            )
            assert response.status_code == 200

        return call

    def top():
        assert client.get("/top").status_code == 200

    save(0)()
    measure("floorSave", [save(n) for n in range(1, saves)], profile)
    measure("floorTop100", [top] * 500, profile)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--saves", type=int, default=2000)
    parser.add_argument("--profile", default=None)
    args = parser.parse_args()
    print(machine_speed(), flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="quizcpu-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    round_id = prepare(url, args.students, tmp)
    sessions = forged_sessions(url, tmp, args.students, 0)
    app = build_app(url, tmp)
    client = app.test_client(use_cookies=False)
    client.environ_base.pop("HTTP_USER_AGENT", None)  # as bench.quiz_load's clients

    def headers(i):
        cookie, token = sessions[i]
        return {"Cookie": cookie, "X-CSRFToken": token, "Accept": "application/json"}

    attempts = {}

    def start(i):
        def call():
            response = client.post(f"/api/v1/rounds/{round_id}/attempts", headers=headers(i))
            assert response.status_code in (200, 201), response.data
            attempts[i] = response.get_json()

        return call

    def page(i):
        def call():
            response = client.get(f"/quiz/rounds/{round_id}/take", headers=headers(i))
            assert response.status_code == 200, response.status_code

        return call

    # Warm up (first requests compile templates, load catalogs, fill caches).
    page(0)()
    start(0)()
    measure("quizPage", [page(1 + n % 100) for n in range(300)], args.profile)
    measure("startAttempt", [start(i) for i in range(1, args.students)], args.profile)
    measure(
        "startAgain",
        [start(i) for i in range(1, min(args.students, 200))],
        args.profile,
    )

    def get(i):
        def call():
            response = client.get(f"/api/v1/attempts/{attempts[i]['id']}", headers=headers(i))
            assert response.status_code == 200

        return call

    measure("getAttempt", [get(1 + n % 100) for n in range(500)], args.profile)

    def save(i, seq, token: bool):
        attempt = attempts[i]
        question = attempt["questions"][seq % len(attempt["questions"])]
        extra = {"X-Attempt-Token": attempt["attempt_token"]} if token else {}

        def call():
            response = client.put(
                f"/api/v1/attempts/{attempt['id']}/answers/{question['id']}",
                json={"choice_ids": [question["choices"][seq % 4]["id"]], "seq": seq},
                headers=headers(i) | extra,
            )
            assert response.status_code == 200, response.data
            assert "Set-Cookie" not in response.headers

        return call

    # With the attempt's token, as the quiz page sends it (when the start gave one), and
    # through the full route (session cookie and CSRF token).
    tokens = all(attempts[i].get("attempt_token") for i in range(1, min(args.students, 101)))
    print(f"attempt tokens issued: {tokens}")
    if tokens:
        calls = [save(1 + n % 100, 1 + n // 100, True) for n in range(args.saves)]
        measure("saveAnswer", calls, args.profile)
    offset = args.saves // 100 + 1
    calls = [save(1 + n % 100, offset + 1 + n // 100, False) for n in range(args.saves)]
    measure("saveNoToken", calls, args.profile)

    with app.app_context():
        from contests.quiz import leaderboards
        from contests.quiz.models import QuizRound
        from core.clock import utcnow
        from core.extensions import db

        round_ = db.session.get(QuizRound, round_id)
        round_.results_release_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        leaderboards.snapshot_round(round_=round_)
        db.session.commit()

    def board(i):
        def call():
            response = client.get(f"/api/v1/rounds/{round_id}/leaderboard", headers=headers(i))
            assert response.status_code == 200, response.data

        return call

    measure("leaderboard", [board(1 + n % 100) for n in range(500)], args.profile)

    def health():
        assert client.get("/healthz").status_code == 200

    measure("healthz", [health] * 500, args.profile)
    floor_measures(url, tmp, args.saves, args.profile)
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
