"""Load benchmark: students sign in → start → 20 answer saves → submit, against gunicorn.

    .venv/bin/python -m bench.quiz_load [--database-url URL] [--students 200] [--workers 4]
    .venv/bin/python -m bench.quiz_load --spike 10000 --spike-seconds 60   # the start spike

Runs gunicorn with 4 workers (as ``make serve``) on a fresh SQLite file or PostgreSQL database,
then drives it from this machine with two client processes of plain keep-alive HTTP clients
(one thread per simulated student). Each phase starts together (a barrier), so the save phase
measures saves alone: saves/s over the phase and p50/p95/p99 latencies are printed.

``--spike N`` adds the start spike: N students already signed in (sessions made with the
server's secret key, as if they signed in during the minutes before) start the round, spread
evenly over ``--spike-seconds``; start latencies are printed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-1"
SECRET = "bench-secret-key-not-for-production"


# --- the database ---------------------------------------------------------------------------


def prepare(url: str, students: int, tmp: Path) -> int:
    """Create the schema, a school with ``students`` students and an open 20-question round."""
    from argon2 import PasswordHasher
    from flask_migrate import upgrade

    from contests.quiz import services
    from contests.quiz.models import QuestionCategory, QuizContest, QuizRound
    from core import create_app
    from core.accounts.models import Role, RoleAssignment, User
    from core.clock import utcnow
    from core.config import TestConfig
    from core.extensions import db
    from core.schools.models import District, School, SchoolClass, SchoolLevel
    from tests.dbtools import recreate_postgres_database

    if url.startswith("postgresql"):
        recreate_postgres_database(url)
    app = create_app(TestConfig({}, SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=str(tmp)))
    with app.app_context(), app.test_request_context():
        upgrade()
        now = utcnow()
        district = District(code="B", name="Bench")
        db.session.add(district)
        db.session.flush()
        school = School(
            district_id=district.id, code="B1", name="THCS Bench", level=SchoolLevel.THCS
        )
        db.session.add(school)
        db.session.flush()
        classes = [
            SchoolClass(
                school_id=school.id,
                school_year="2026-2027",
                grade=6 + n % 4,
                name=f"{6 + n % 4}A{n}",
            )
            for n in range(40)
        ]
        db.session.add_all(classes)
        db.session.flush()
        # The real password cost (argon2id, the production parameters): sign-in is real work.
        password_hash = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1).hash(PASSWORD)
        db.session.execute(
            sa.insert(User),
            [
                {
                    "username": f"bench{n}",
                    "full_name": f"Học Sinh {n}",
                    "password_hash": password_hash,
                    "school_id": school.id,
                    "class_id": classes[n % len(classes)].id,
                    "active": True,
                    "must_change_password": False,
                    "is_demo": False,
                    "created_at": now,
                }
                for n in range(students)
            ],
        )
        ids = db.session.scalars(sa.select(User.id)).all()
        db.session.execute(
            sa.insert(RoleAssignment),
            [
                {"user_id": i, "role": Role.STUDENT, "school_id": school.id, "created_at": now}
                for i in ids
            ],
        )
        category = QuestionCategory(code="b", name="Bench")
        db.session.add(category)
        db.session.flush()
        for n in range(40):
            services.save_question(
                actor=None,
                question=None,
                category_id=category.id,
                kind="single",
                text=f"Câu hỏi số {n}?",
                choices=[(f"Phương án {k}", k == 0) for k in range(4)],
                audit_it=False,
            )
        campaign = sa.table(
            "campaign",
            *(
                sa.column(c)
                for c in (
                    "slug",
                    "title",
                    "description",
                    "starts_on",
                    "ends_on",
                    "status",
                    "created_at",
                )
            ),
        )
        db.session.execute(
            sa.insert(campaign).values(
                slug="bench",
                title="Bench",
                description="",
                starts_on=now.date(),
                ends_on=now.date(),
                status="PUBLISHED",
                created_at=now,
            )
        )
        contest = QuizContest(campaign_id=1, title="Bench")
        db.session.add(contest)
        db.session.flush()
        round_ = QuizRound(
            contest_id=contest.id,
            title="Bench",
            opens_at=now - timedelta(minutes=5),
            closes_at=now + timedelta(hours=6),
            time_limit_seconds=3 * 3600,
            draw_rules=[{"category_id": category.id, "count": 20}],
        )
        db.session.add(round_)
        db.session.commit()
        return round_.id


# --- the server -----------------------------------------------------------------------------


def serve(url: str, workers: int, port: int, tmp: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "APP_ENV": "development",
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET,
        "INSTANCE_PATH": str(tmp),
        "PYTHONPATH": str(ROOT),
        "GUNICORN_ACCESS_LOG": "",
    }
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            # The settings `make serve` uses (worker class, threads, keep-alive), without the
            # access log (GUNICORN_ACCESS_LOG is empty) so the terminal shows the figures only.
            "--config",
            str(ROOT / "deploy" / "gunicorn.conf.py"),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--keep-alive",
            "30",
            "bench.quiz_wsgi:app",
        ],
        env=env,
        cwd=str(ROOT),
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("gunicorn did not start")


# --- the clients ----------------------------------------------------------------------------


class Client:
    """One student's browser: a keep-alive connection, the session cookie and the CSRF token."""

    def __init__(self, port: int, cookie: str = "", token: str = ""):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = cookie
        self.token = token

    def call(self, method: str, path: str, body=None) -> tuple[int, dict | None, float]:
        headers = {"Accept": "application/json"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        if self.token and method != "GET":
            headers["X-CSRFToken"] = self.token
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        self.connection.request(method, path, body=data, headers=headers)
        response = self.connection.getresponse()
        raw = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("mx_session="):
                self.cookie = value.split(";", 1)[0]
        return response.status, (json.loads(raw) if raw else None), elapsed


def student_flow(port, username, round_id, saves, barrier, out):
    client = Client(port)
    rng = random.Random(username)
    result = {"login": [], "start": [], "save": [], "submit": [], "errors": 0}
    try:
        status, data, _ = client.call("GET", "/api/v1/auth/csrf")
        client.token = data["csrf_token"]
        status, _, ms = client.call(
            "POST", "/api/v1/auth/login", {"username": username, "password": PASSWORD}
        )
        result["login"].append(ms)
        result["errors"] += status != 200
    finally:
        barrier.wait()
    status, attempt, ms = client.call("POST", f"/api/v1/rounds/{round_id}/attempts")
    result["start"].append(ms)
    result["errors"] += status not in (200, 201)
    barrier.wait()
    phase_start = time.time()
    questions = attempt["questions"] if attempt and "questions" in attempt else []
    for seq in range(1, saves + 1):
        if not questions:
            break
        question = questions[(seq - 1) % len(questions)]
        choice = rng.choice(question["choices"])["id"]
        status, _, ms = client.call(
            "PUT",
            f"/api/v1/attempts/{attempt['id']}/answers/{question['id']}",
            {"choice_ids": [choice], "seq": seq},
        )
        result["save"].append(ms)
        result["errors"] += status != 200
    phase_end = time.time()
    barrier.wait()
    if attempt and "id" in attempt:
        status, _, ms = client.call("POST", f"/api/v1/attempts/{attempt['id']}/submit")
        result["submit"].append(ms)
        result["errors"] += status != 200
    result["phase"] = (phase_start, phase_end)
    out.append(result)


def process_main(port, usernames, round_id, saves, barrier, queue):
    out: list[dict] = []
    threads = [
        threading.Thread(target=student_flow, args=(port, name, round_id, saves, barrier, out))
        for name in usernames
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put(out)


def percentiles(values: list[float]) -> str:
    if not values:
        return "n/a"
    values = sorted(values)

    def at(p):
        return values[min(len(values) - 1, round(p * (len(values) - 1)))]

    return f"p50 {at(0.50):.1f} ms, p95 {at(0.95):.1f} ms, p99 {at(0.99):.1f} ms, max {values[-1]:.1f} ms"


def run_flow(port: int, students: int, round_id: int, saves: int, processes: int) -> None:
    names = [f"bench{n}" for n in range(students)]
    barrier = mp.Barrier(students)
    queue: mp.Queue = mp.Queue()
    workers = [
        mp.Process(
            target=process_main, args=(port, names[i::processes], round_id, saves, barrier, queue)
        )
        for i in range(processes)
    ]
    for worker in workers:
        worker.start()
    results = [r for _ in workers for r in queue.get()]
    for worker in workers:
        worker.join()
    merged = {k: [x for r in results for x in r[k]] for k in ("login", "start", "save", "submit")}
    errors = sum(r["errors"] for r in results)
    start = min(r["phase"][0] for r in results)
    end = max(r["phase"][1] for r in results)
    print(f"students {students}, errors {errors}")
    print(f"sign in : {percentiles(merged['login'])}")
    print(f"start   : {percentiles(merged['start'])}")
    print(
        f"saves   : {len(merged['save'])} in {end - start:.2f} s = {len(merged['save']) / (end - start):.0f} saves/s; "
        f"{percentiles(merged['save'])}"
    )
    print(f"submit  : {percentiles(merged['submit'])}")


# --- the start spike ------------------------------------------------------------------------


def forged_sessions(url: str, tmp: Path, count: int, skip: int) -> list[tuple[str, str]]:
    """Session cookies and CSRF tokens for ``count`` students, signed like the server."""
    from flask import session
    from flask_login.utils import _create_identifier
    from flask_wtf.csrf import generate_csrf

    from core import create_app
    from core.accounts.models import User
    from core.config import TestConfig
    from core.extensions import db

    app = create_app(
        TestConfig({}, SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=str(tmp), SECRET_KEY=SECRET)
    )
    with app.app_context():
        ids = db.session.scalars(
            sa.select(User.id).order_by(User.id).offset(skip).limit(count)
        ).all()
    serializer = app.session_interface.get_signing_serializer(app)
    out = []
    for user_id in ids:
        with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}):
            token = generate_csrf()
            session["_user_id"] = str(user_id)
            session["_fresh"] = True
            # As login_user() records it: the session-protection identifier of this client
            # (127.0.0.1, no User-Agent), else every request would rewrite the cookie.
            session["_id"] = _create_identifier()
            out.append((f"mx_session={serializer.dumps(dict(session))}", token))
    return out


def spike_process(port, sessions, round_id, spread, t0, threads, queue):
    latencies, errors = [], []
    lock = threading.Lock()
    items = list(enumerate(sessions))

    def worker(chunk):
        for index, (cookie, token) in chunk:
            due = t0 + spread * index / max(1, len(items))
            delay = due - time.time()
            if delay > 0:
                time.sleep(delay)
            client = Client(port, cookie, token)
            status, _, ms = client.call("POST", f"/api/v1/rounds/{round_id}/attempts")
            with lock:
                latencies.append(ms)
                if status not in (200, 201):
                    errors.append(status)

    pool = [threading.Thread(target=worker, args=(items[i::threads],)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    queue.put((latencies, errors))


def run_spike(url, tmp, port, count, seconds, round_id, processes, skip) -> None:
    sessions = forged_sessions(url, tmp, count, skip)
    queue: mp.Queue = mp.Queue()
    t0 = time.time() + 2
    # Each process takes every n-th student, so arrivals stay evenly spread.
    workers = [
        mp.Process(
            target=spike_process,
            args=(port, sessions[i::processes], round_id, seconds, t0, 64, queue),
        )
        for i in range(processes)
    ]
    for worker in workers:
        worker.start()
    latencies, errors = [], []
    for _ in workers:
        got, bad = queue.get()
        latencies += got
        errors += bad
    for worker in workers:
        worker.join()
    elapsed = time.time() - t0
    print(
        f"start spike: {len(latencies)} starts over {elapsed:.1f} s, errors {len(errors)}; {percentiles(latencies)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--saves", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--port", type=int, default=5199)
    parser.add_argument("--spike", type=int, default=0, help="also run a start spike of N students")
    parser.add_argument("--spike-seconds", type=float, default=60.0)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="quizload-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    total = args.students + args.spike
    print(
        f"database {url.split(':')[0]}, gunicorn {args.workers} workers, preparing {total} students…",
        flush=True,
    )
    round_id = prepare(url, total, tmp)
    server = serve(url, args.workers, args.port, tmp)
    try:
        run_flow(args.port, args.students, round_id, args.saves, args.processes)
        if args.spike:
            run_spike(
                url,
                tmp,
                args.port,
                args.spike,
                args.spike_seconds,
                round_id,
                args.processes,
                args.students,
            )
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    sys.setrecursionlimit(10000)
    main()
