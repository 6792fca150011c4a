"""Load benchmark: students sign in → start → answer saves → submit, against gunicorn.

    .venv/bin/python -m bench.quiz_load [--database-url URL] [--students 200] [--workers 4]
    .venv/bin/python -m bench.quiz_load --rate 1000 --seconds 10 --trace /tmp/saves.txt
    .venv/bin/python -m bench.quiz_load --spike 10000 --spike-seconds 60   # the start spike
    .venv/bin/python -m bench.quiz_load --spike 10000 --spike-page        # page, then start

Runs gunicorn as ``make serve`` does (deploy/gunicorn.conf.py: 4 workers, preloaded) on a fresh
SQLite file or PostgreSQL database, and drives it from this machine with two client processes of
asyncio keep-alive HTTP clients (one connection per simulated student). Phases start together:

- sign in, start: every student at once (latencies printed);
- saves flat out: each student sends ``--saves`` saves back to back (capacity: saves/s, and the
  server's CPU per save from /proc);
- saves paced: ``--rate`` saves a second spread evenly over the students for ``--seconds`` (open
  loop; latency counted from when each save was due, so queueing is not hidden);
- submit.

``--spike N`` then has N more students, already signed in (sessions made with the server's
secret key, as if they had signed in in the minutes before), start the round, evenly spread over
``--spike-seconds``, each on a new connection; latencies from when each start was due. With
``--spike-page`` each first loads the quiz page (HTML), as a browser does, and the latency runs
until its start is answered.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import http.client
import json
import multiprocessing as mp
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from bench import machine_speed, run_clients

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-1"
SECRET = "bench-secret-key-not-for-production"


# --- the database ---------------------------------------------------------------------------


def prepare(url: str, students: int, tmp: Path) -> int:
    """Create the schema, a school with ``students`` students and an open 20-question round."""
    from argon2 import PasswordHasher
    from flask_migrate import upgrade

    from app import create_app
    from contests.quiz import services
    from contests.quiz.models import QuestionCategory, QuizContest, QuizRound
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
        # As `make serve` sets it (deploy/gunicorn.conf.py: huge pages for the argon2id block).
        "GLIBC_TUNABLES": os.environ.get("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1"),
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
    """One student's browser: a keep-alive HTTP/1.1 connection, the session cookie, the token.

    Plain asyncio streams: a request costs the generator a few tens of microseconds, so the
    figures measure the server rather than the client (both share this machine's two cores).
    """

    def __init__(self, port: int, cookie: str = "", token: str = "", headers=()):
        self.port = port
        self.cookie = cookie
        self.token = token
        #: Further header lines sent with every request ("X-Attempt-Token: …").
        self.headers = list(headers)
        #: The last response's Retry-After header, if it had one.
        self.retry_after: str | None = None
        self.reader = self.writer = None

    async def call(
        self, method: str, path: str, body=None, headers: dict | None = None
    ) -> tuple[int, dict | None]:
        reused = self.writer is not None
        try:
            return await self._call(method, path, body, headers)
        except (ConnectionError, asyncio.IncompleteReadError):
            self.close()
            if not reused:
                raise
            # A kept-alive connection the server had closed (gunicorn recycles its workers
            # every few thousand requests): a browser sends the request again, so do we.
            return await self._call(method, path, body, headers)

    async def _call(
        self, method: str, path: str, body=None, headers: dict | None = None
    ) -> tuple[int, dict | None]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        data = json.dumps(body).encode() if body is not None else b""
        head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Accept: application/json"]
        if self.cookie:
            head.append(f"Cookie: {self.cookie}")
        if self.token and method != "GET":
            head.append(f"X-CSRFToken: {self.token}")
        head.extend(f"{name}: {value}" for name, value in (headers or {}).items())
        if body is not None:
            head.append("Content-Type: application/json")
        head.extend(self.headers)
        head.append(f"Content-Length: {len(data)}")
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("the server closed the connection")
        status = int(status_line.split()[1])
        length, close = 0, False
        self.retry_after = None
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "content-length":
                length = int(value)
            elif name == "set-cookie" and value.startswith("mx_session="):
                self.cookie = value.split(";", 1)[0]
            elif name == "connection" and value.lower() == "close":
                close = True
            elif name == "retry-after":
                self.retry_after = value
        raw = await self.reader.readexactly(length) if length else b""
        #: The last reply's body size on the wire (compressed or not).
        self.last_length = length
        if close:
            self.close()
        return status, (json.loads(raw) if raw[:1] in (b"{", b"[") else None)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None


async def signed_in(port: int, username: str) -> Client:
    """A client signed in as ``username``, holding the CSRF token its new session was given."""
    client = Client(port)
    _, data = await client.call("GET", "/api/v1/auth/csrf")
    client.token = data["csrf_token"]
    status, _ = await client.call(
        "POST", "/api/v1/auth/login", {"username": username, "password": PASSWORD}
    )
    if status != 200:
        raise SystemExit(f"sign-in of {username}: {status}")
    # Signing in gives the session a new CSRF token.
    _, data = await client.call("GET", "/api/v1/auth/csrf")
    client.token = data["csrf_token"]
    return client


async def timed(client: Client, method: str, path: str, body=None, headers=None):
    started = time.perf_counter()
    status, data = await client.call(method, path, body, headers)
    return status, data, (time.perf_counter() - started) * 1000


def save_headers(student: dict) -> dict:
    """The attempt's token, sent as the quiz page sends it (saves then take the token path)."""
    token = student["attempt"].get("attempt_token")
    return {"X-Attempt-Token": token} if token else {}


def save_body(student: dict, seq: int) -> tuple[str, dict]:
    attempt, rng = student["attempt"], student["rng"]
    question = attempt["questions"][(seq - 1) % len(attempt["questions"])]
    choice = rng.choice(question["choices"])["id"]
    return (
        f"/api/v1/attempts/{attempt['id']}/answers/{question['id']}",
        {"choice_ids": [choice], "seq": seq},
    )


async def flow_process(port, usernames, round_id, saves, rate, seconds, server, barrier, queue):
    """This process's share of the students, phase by phase (all processes meet in between)."""
    loop = asyncio.get_running_loop()

    def wait():
        gc.collect()  # between phases, untimed (see flow_main)
        return loop.run_in_executor(None, barrier.wait)

    gate = asyncio.Semaphore(16)  # sign-in is argon2id work: no point queueing 200 at once
    students = [{"name": n, "client": Client(port), "rng": random.Random(n)} for n in usernames]
    out = {
        "login": [],
        "start": [],
        "save": [],
        "paced": [],
        "submit": [],
        "errors": 0,
        "tokens": 0,
        "trace": [],
    }

    async def sign_in(student):
        async with gate:
            client = student["client"]
            _, data = await client.call("GET", "/api/v1/auth/csrf")
            client.token = data["csrf_token"]
            status, _, ms = await timed(
                client,
                "POST",
                "/api/v1/auth/login",
                {"username": student["name"], "password": PASSWORD},
            )
            # Signing in gives the session a new CSRF token.
            _, data = await client.call("GET", "/api/v1/auth/csrf")
            client.token = data["csrf_token"]
        out["login"].append(ms)
        out["errors"] += status != 200

    async def start(student):
        status, data, ms = await timed(
            student["client"], "POST", f"/api/v1/rounds/{round_id}/attempts"
        )
        out["start"].append(ms)
        out["errors"] += status not in (200, 201)
        student["attempt"] = data
        student["seq"] = 0
        out["tokens"] += bool(data and data.get("attempt_token"))

    async def save_flat_out(student):
        for _ in range(saves):
            student["seq"] += 1
            path, body = save_body(student, student["seq"])
            status, _, ms = await timed(student["client"], "PUT", path, body, save_headers(student))
            out["save"].append(ms)
            out["errors"] += status != 200

    async def save_paced(student, offset, period, t0):
        # Open loop: each save is due at its own time; latency counts from when it was due, so
        # a slow server cannot hide its queue by slowing the students down.
        n = 0
        while True:
            due = t0 + offset + n * period
            if due >= t0 + seconds:
                return
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            student["seq"] += 1
            path, body = save_body(student, student["seq"])
            status, _ = await student["client"].call("PUT", path, body, save_headers(student))
            out["paced"].append((time.perf_counter() - due) * 1000)
            out["trace"].append((due - t0, out["paced"][-1]))
            out["errors"] += status != 200
            n += 1

    async def submit(student):
        status, _, ms = await timed(
            student["client"], "POST", f"/api/v1/attempts/{student['attempt']['id']}/submit"
        )
        out["submit"].append(ms)
        out["errors"] += status != 200

    await asyncio.gather(*(sign_in(s) for s in students))
    await wait()
    await asyncio.gather(*(start(s) for s in students))
    await wait()
    phase, cpu = time.time(), cpu_seconds(server)
    await asyncio.gather(*(save_flat_out(s) for s in students))
    await wait()
    out["flat"] = (phase, time.time(), cpu_seconds(server) - cpu)
    if rate:
        # This process paces rate / processes saves a second over its students.
        period = len(students) * barrier.parties / rate
        t0 = time.perf_counter() + 0.2
        await asyncio.gather(
            *(save_paced(s, period * i / len(students), period, t0) for i, s in enumerate(students))
        )
    await wait()
    await asyncio.gather(*(submit(s) for s in students))
    for student in students:
        student["client"].close()
    queue.put(out)


def flow_main(*args):
    # The client's own garbage collector, left on, pauses each client process for ~200 ms in
    # the middle of the paced phase (a full collection over the latencies it holds), which
    # showed up as the server's p99. Collections run between phases instead.
    gc.disable()
    asyncio.run(flow_process(*args))


def percentiles(values: list[float]) -> str:
    if not values:
        return "n/a"
    values = sorted(values)

    def at(p):
        return values[min(len(values) - 1, round(p * (len(values) - 1)))]

    return f"p50 {at(0.50):.1f} ms, p95 {at(0.95):.1f} ms, p99 {at(0.99):.1f} ms, max {values[-1]:.1f} ms"


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children so far, from /proc."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def run_flow(
    port, students, round_id, saves, rate, seconds, processes, server_pid, trace=None
) -> None:
    names = [f"bench{n}" for n in range(students)]
    cpu_before = cpu_seconds(server_pid)
    results = run_clients(
        flow_main,
        processes,
        lambda i: (port, names[i::processes], round_id, saves, rate, seconds, server_pid),
    )
    merged = {
        k: [x for r in results for x in r[k]] for k in ("login", "start", "save", "paced", "submit")
    }
    errors = sum(r["errors"] for r in results)
    start = min(r["flat"][0] for r in results)
    end = max(r["flat"][1] for r in results)
    cpu = max(r["flat"][2] for r in results)
    print(f"students {students}, errors {errors}")
    # Saves take the attempt-token path only for students whose start returned a token.
    print(f"attempt tokens: {sum(r['tokens'] for r in results)} of {students} students")
    print(f"sign in : {percentiles(merged['login'])}")
    print(f"start   : {percentiles(merged['start'])}")
    flat = len(merged["save"])
    print(
        f"saves, flat out ({students} students at once): {flat} in {end - start:.2f} s = "
        f"{flat / (end - start):.0f} saves/s; {percentiles(merged['save'])}; "
        f"server CPU {cpu / flat * 1000:.2f} ms/save"
    )
    if rate:
        paced = len(merged["paced"])
        print(
            f"saves, paced at {rate}/s for {seconds:.0f} s: {paced} saves = {paced / seconds:.0f} saves/s; "
            f"latency from when due {percentiles(merged['paced'])}"
        )
    print(f"submit  : {percentiles(merged['submit'])}")
    if trace:
        with open(trace, "w") as f:
            for due, ms in sorted(x for r in results for x in r["trace"]):
                f.write(f"{due:.4f} {ms:.2f}\n")
    print(f"server CPU over the whole run: {cpu_seconds(server_pid) - cpu_before:.1f} s")


# --- the start spike ------------------------------------------------------------------------


def forged_sessions(url: str, tmp: Path, count: int, skip: int) -> list[tuple[str, str]]:
    """Session cookies and CSRF tokens for ``count`` students, signed like the server."""
    from flask import session
    from flask_login.utils import _create_identifier
    from flask_wtf.csrf import generate_csrf

    from app import create_app
    from core.accounts.models import User
    from core.auth import sessions as login_sessions
    from core.config import TestConfig
    from core.extensions import db

    app = create_app(
        TestConfig({}, SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=str(tmp), SECRET_KEY=SECRET)
    )
    with app.app_context():
        users = db.session.scalars(
            sa.select(User).order_by(User.id).offset(skip).limit(count)
        ).all()
        # A signed-in session per student, as a sign-in records it.
        ids = [(user.id, login_sessions.start(user=user)[0].id) for user in users]
        db.session.commit()
    serializer = app.session_interface.get_signing_serializer(app)
    out = []
    for user_id, login_session_id in ids:
        with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}):
            token = generate_csrf()
            session["_user_id"] = login_sessions.alternative_id(user_id, login_session_id)
            session["_fresh"] = True
            # As login_user() records it: the session-protection identifier of this client
            # (127.0.0.1, no User-Agent), else every request would rewrite the cookie.
            session["_id"] = _create_identifier()
            out.append((f"mx_session={serializer.dumps(dict(session))}", token))
    return out


#: How long after it was due a spike start may take before it counts as an error (keeps the run
#: bounded when the server falls behind).
SPIKE_TIMEOUT_SECONDS = 30


async def spike_process(port, sessions, round_id, spread, t0, with_page, queue):
    latencies, errors = [], []
    count = len(sessions)

    async def one(index, cookie, token):
        due = t0 + spread * index / max(1, count)
        delay = due - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        client = Client(port, cookie, token)

        async def page_then_start():
            if with_page:  # the quiz page first, as a browser opens it, on the same connection
                status, _ = await client.call("GET", f"/quiz/rounds/{round_id}/take")
                if status != 200:
                    raise ConnectionError(f"quiz page: {status}")
            return (await client.call("POST", f"/api/v1/rounds/{round_id}/attempts"))[0]

        try:
            # Bounded: a start still unanswered SPIKE_TIMEOUT_SECONDS after it was due is an error.
            status = await asyncio.wait_for(
                page_then_start(), due + SPIKE_TIMEOUT_SECONDS - time.time()
            )
        except (ConnectionError, OSError, TimeoutError):
            status = 0
        finally:
            client.close()
        latencies.append((time.time() - due) * 1000)
        if status not in (200, 201):
            errors.append(status)

    await asyncio.gather(*(one(i, c, t) for i, (c, t) in enumerate(sessions)))
    queue.put((latencies, errors))


def spike_main(*args):
    asyncio.run(spike_process(*args))


def run_spike(
    url, tmp, port, count, seconds, round_id, processes, skip, server_pid, with_page
) -> None:
    sessions = forged_sessions(url, tmp, count, skip)
    cpu = cpu_seconds(server_pid)
    queue: mp.Queue = mp.Queue()
    t0 = time.time() + 2
    # Each process takes every n-th student, so arrivals stay evenly spread.
    workers = [
        mp.Process(
            target=spike_main,
            args=(port, sessions[i::processes], round_id, seconds, t0, with_page, queue),
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
        f"start spike{' (quiz page, then start)' if with_page else ''}: "
        f"{len(latencies)} starts due over {seconds:.0f} s, done in {elapsed:.1f} s, "
        f"errors {len(errors)}; latency from when due {percentiles(latencies)}; "
        f"server CPU {(cpu_seconds(server_pid) - cpu) / max(1, len(latencies)) * 1000:.1f} ms/start"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--saves", type=int, default=20, help="saves per student, flat out")
    parser.add_argument("--rate", type=int, default=1000, help="paced saves per second (0: none)")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to pace saves")
    parser.add_argument("--trace", help="write each paced save's due time and latency here")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--port", type=int, default=5199)
    parser.add_argument("--spike", type=int, default=0, help="also run a start spike of N students")
    parser.add_argument("--spike-seconds", type=float, default=60.0)
    parser.add_argument(
        "--spike-page",
        action="store_true",
        help="each spike student loads the quiz page (HTML) before starting",
    )
    args = parser.parse_args()
    print(machine_speed(), flush=True)
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
        run_flow(
            args.port,
            args.students,
            round_id,
            args.saves,
            args.rate,
            args.seconds,
            args.processes,
            server.pid,
            args.trace,
        )
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
                server.pid,
                args.spike_page,
            )
    finally:
        stop(server)


def stop(server: subprocess.Popen) -> None:
    """Stop gunicorn: gracefully (it waits up to 30 s for open connections), then for good."""
    server.terminate()
    try:
        server.wait(40)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


if __name__ == "__main__":
    sys.setrecursionlimit(10000)
    main()
