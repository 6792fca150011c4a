"""Leaderboard reads beside the floor's top 100 (bench/floor.py), in one sitting (issue 18).

    .venv/bin/python -m bench.leaderboard                     # SQLite files in a temp folder
    .venv/bin/python -m bench.leaderboard --database-url postgresql+psycopg://postgres@127.0.0.1:5432/mx_bench

Starts ``make serve``'s gunicorn (deploy/gunicorn.conf.py, 4 workers) on a fresh database with
``--students`` students spread over ``--schools`` schools, each with a submitted attempt in a
round whose results are released, and one snapshot of it; and the floor app (``GET /top``: the
100 best of a table, as JSON) with the same worker settings on a database of its own (the URL's
database name + ``_floor`` on PostgreSQL). ``--readers`` signed-in students then read back to
back (closed loop, one keep-alive connection each, opened afresh per phase, after an unmeasured
second) for ``--seconds`` per phase:

1. the floor's top 100;
2. ``getLeaderboard`` with ``scope=student``, ``class``, ``school`` (top 100 and the reader's
   own line), and ``scope=student&level=THCS``; ``getContestLeaderboard`` (the contest of that
   one round, snapshot too);
3. the released leaderboard page (HTML, public: the reader's line comes from ``getLeaderboard``
   with ``limit=1`` by the page's script, not measured here).

Every request sends ``Accept-Encoding: gzip`` (the floor ignores it). Prints reads/s, p50/p99,
errors and the reply size per phase, and each rate as a share of the floor's. Target: every
scope ≥ 0.8 × the floor with p99 ≤ 100 ms, on SQLite and PostgreSQL. The clients run on this
machine (``--processes`` asyncio processes) and share its cores with both servers.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from bench import machine_speed, run_clients
from bench.floor import create_tables
from bench.quiz_load import Client, percentiles, prepare, serve, signed_in, stop
from bench.save_rate import serve_floor
from tests.dbtools import recreate_postgres_database, with_database

WARM_UP_SECONDS = 1.0
TARGET = 0.8


def phases(round_id: int, contest_id: int) -> dict[str, str]:
    board = f"/api/v1/rounds/{round_id}/leaderboard"
    return {
        "floor top 100": "/top",
        "getLeaderboard student": f"{board}?scope=student",
        "getLeaderboard class": f"{board}?scope=class",
        "getLeaderboard school": f"{board}?scope=school",
        "getLeaderboard THCS": f"{board}?scope=student&level=THCS",
        "getContestLeaderboard": f"/api/v1/contests/{contest_id}/leaderboard",
        "leaderboard page": f"/quiz/rounds/{round_id}/leaderboard",
    }


def release(url: str, round_id: int, schools: int, tmp: Path) -> int:
    """Submit an attempt for every student (spread over ``schools``), release, snapshot the
    round and its contest; the contest's id."""
    from app import create_app
    from contests.quiz import leaderboards
    from contests.quiz.models import Attempt, AttemptStatus, QuizRound
    from core.accounts.models import User
    from core.clock import utcnow
    from core.config import TestConfig
    from core.extensions import db
    from core.schools.models import School, SchoolLevel

    app = create_app(TestConfig({}, SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=str(tmp)))
    with app.app_context(), app.test_request_context():
        now = utcnow()
        first = db.session.scalar(sa.select(School))
        extra = [
            School(
                district_id=first.district_id,
                code=f"B{n}",
                name=f"Trường Bench {n}",
                level=SchoolLevel.THCS if n % 2 else SchoolLevel.TH,
            )
            for n in range(2, schools + 1)
        ]
        db.session.add_all(extra)
        db.session.flush()
        school_ids = [first.id, *(s.id for s in extra)]
        users = db.session.execute(sa.select(User.id, User.class_id).order_by(User.id)).all()
        for n, (user_id, _class_id) in enumerate(users):
            db.session.execute(
                sa.update(User)
                .where(User.id == user_id)
                .values(school_id=school_ids[n % len(school_ids)])
            )
        db.session.execute(
            sa.insert(Attempt),
            [
                {
                    "round_id": round_id,
                    "user_id": user_id,
                    "number": 1,
                    "school_id": school_ids[n % len(school_ids)],
                    "class_id": class_id,
                    "status": AttemptStatus.SUBMITTED,
                    "paper": [],
                    "started_at": now - timedelta(minutes=30),
                    "deadline_at": now - timedelta(minutes=10),
                    "submitted_at": now - timedelta(minutes=20, seconds=n % 600),
                    "score": float((n * 7919) % 21),
                    "max_score": 20.0,
                    "duration_ms": 60_000 + (n * 104729) % 600_000,
                }
                for n, (user_id, class_id) in enumerate(users)
            ],
        )
        round_ = db.session.get(QuizRound, round_id)
        round_.opens_at = now - timedelta(hours=2)
        round_.closes_at = now - timedelta(minutes=5)
        round_.results_release_at = now - timedelta(minutes=1)
        db.session.flush()
        leaderboards.snapshot_round(round_=round_, now=now)
        leaderboards.snapshot_contest(contest=round_.contest, now=now)
        db.session.commit()
        return round_.contest_id


async def reads(people, phase: str, path: str, port: int, floor_port: int, seconds: float):
    floor = phase.startswith("floor")
    measured_from = time.time() + WARM_UP_SECONDS
    stop_at = measured_from + seconds
    latencies, errors, sizes = [], 0, []

    async def one(person):
        nonlocal errors
        client = Client(floor_port) if floor else Client(port, person.cookie)
        try:
            while True:
                sent = time.time()
                if sent >= stop_at:
                    return
                status, _ = await client.call("GET", path, headers={"Accept-Encoding": "gzip"})
                if sent >= measured_from:
                    latencies.append((time.time() - sent) * 1000)
                    errors += status != 200
                    sizes.append(client.last_length)
        finally:
            client.close()

    await asyncio.gather(*(one(p) for p in people))
    return measured_from, time.time(), latencies, errors, sizes


async def readers(port, floor_port, names, round_id, contest_id, seconds, barrier, queue):
    loop = asyncio.get_running_loop()
    people = []
    for name in names:
        client = await signed_in(port, name)
        client.close()
        people.append(client)
    results = {}
    for phase, path in phases(round_id, contest_id).items():
        gc.collect()
        await loop.run_in_executor(None, barrier.wait)
        results[phase] = await reads(people, phase, path, port, floor_port, seconds)
    queue.put(results)


def client_main(*args):
    gc.disable()  # collections run between phases (see bench.quiz_load.flow_main)
    asyncio.run(readers(*args))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--students", type=int, default=3000)
    parser.add_argument("--schools", type=int, default=30)
    parser.add_argument("--readers", type=int, default=16)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--port", type=int, default=5118)
    parser.add_argument("--floor-port", type=int, default=5119)
    args = parser.parse_args()
    print(machine_speed(), flush=True)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        if args.database_url:
            url = args.database_url
            floor_url = with_database(url, f"{sa.engine.make_url(url).database}_floor")
            recreate_postgres_database(floor_url)
        else:
            url = f"sqlite:///{tmp / 'ours.sqlite3'}"
            floor_url = f"sqlite:///{tmp / 'floor.sqlite3'}"
        print(f"database {url.split(':')[0]}: preparing {args.students} students…", flush=True)
        round_id = prepare(url, args.students, tmp)
        contest_id = release(url, round_id, args.schools, tmp)
        create_tables(floor_url, scores=args.students)
        ours = serve(url, args.workers, args.port, tmp)
        floor = serve_floor(floor_url, args.workers, args.floor_port)
        try:
            names = [f"bench{n}" for n in range(0, args.students, args.students // args.readers)]
            names = names[: args.readers]
            results = run_clients(
                client_main,
                args.processes,
                lambda i: (
                    args.port,
                    args.floor_port,
                    names[i :: args.processes],
                    round_id,
                    contest_id,
                    args.seconds,
                ),
            )
        finally:
            for server in (ours, floor):
                stop(server)
    report(results, args)


def report(results: list[dict], args) -> None:
    print(
        f"{args.readers} readers (one keep-alive connection each) from {args.processes} client "
        f"processes on this machine, {args.seconds:.0f} s per phase, Accept-Encoding: gzip; "
        f"both servers {args.workers} workers; {args.students} students ranked:"
    )
    rates = {}
    for phase in results[0]:
        runs = [r[phase] for r in results]
        elapsed = max(run[1] for run in runs) - min(run[0] for run in runs)
        latencies = [x for run in runs for x in run[2]]
        errors = sum(run[3] for run in runs)
        sizes = [x for run in runs for x in run[4]]
        rates[phase] = len(latencies) / elapsed if elapsed else 0.0
        size = sum(sizes) / len(sizes) / 1024 if sizes else 0
        print(
            f"  {phase:24}: {rates[phase]:7.1f}/s, {percentiles(latencies)}, errors {errors}, "
            f"reply {size:.1f} KB"
        )
    floor = rates.get("floor top 100") or 1
    print(
        "  ratios to the floor: "
        + ", ".join(f"{p} {r / floor:.2f}" for p, r in rates.items() if not p.startswith("floor"))
    )
    print(f"  target: every getLeaderboard scope ≥ {TARGET} × the floor, p99 ≤ 100 ms (issue 18)")


if __name__ == "__main__":
    main()
