"""Answer saves: ours beside the floor (bench/floor.py), served side by side, in one sitting.

    .venv/bin/python -m bench.save_rate                       # SQLite files in a temp folder
    .venv/bin/python -m bench.save_rate --database-url postgresql+psycopg://postgres@127.0.0.1:5432/mx_bench

Starts ``make serve``'s gunicorn (deploy/gunicorn.conf.py, 4 workers) on a fresh database and the
floor app with the same worker settings on a database of its own (the URL's database name +
``_floor`` on PostgreSQL; both are dropped and created again), both on 127.0.0.1. ``--students``
students sign in and start a round; each then keeps one keep-alive connection busy with saves
back to back (closed loop) for ``--seconds`` per phase, after an unmeasured second of warm-up,
on connections each phase opens afresh; the three phases run ``--rounds`` times in turn, so a
shared machine's drift shows:

1. the floor's upsert;
2. our save through the token path: ``X-Attempt-Token`` from ``startAttempt`` and no cookie, so
   a save the token path declined would count as an error rather than pass unseen through the
   normal route ("not available" when ``startAttempt`` returns no ``attempt_token``);
3. our save through the normal route: session cookie and CSRF token.

Prints saves/s, p50/p99 latency and errors per phase, and our rates as a share of the floor's.
In a closed loop the mean latency is connections ÷ rate (Little's law): the default 16
connections keep the 4 × 2 server threads busy without a long queue in front of them; more
connections raise the latencies, not the rate.
The load comes from ``--processes`` asyncio client processes on this same machine: they share
its cores with both servers, so every rate here is lower than on a machine of its own, the
floor's as much as ours.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import http.client
import os
import random
import subprocess
import tempfile
import time
from pathlib import Path

from bench import machine_speed, run_clients
from bench.floor import create_tables
from bench.quiz_load import ROOT, Client, percentiles, prepare, serve, signed_in, stop
from tests.dbtools import recreate_postgres_database, with_database

WARM_UP_SECONDS = 1.0
PHASES = ("floor upsert", "ours, token path", "ours, normal route")


def serve_floor(url: str, workers: int, port: int) -> subprocess.Popen:
    """gunicorn with the floor app and `make serve`'s worker settings (gthread, 2 threads)."""
    env = {**os.environ, "FLOOR_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "--workers", str(workers)]
    command += ["--worker-class", "gthread", "--threads", "2", "--keep-alive", "30", "--preload"]
    command += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    process = subprocess.Popen([*command, "bench.floor:create_app()"], env=env, cwd=str(ROOT))
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/top")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("the floor app did not start")


async def saves_for(people: list[dict], phase: str, seconds: float):
    """Every student saves back to back on ``phase``'s connection; the latencies after warm-up."""
    floor = phase == "floor upsert"
    measured_from = time.time() + WARM_UP_SECONDS
    stop = measured_from + seconds
    latencies, errors = [], 0

    async def one(person):
        nonlocal errors
        client, attempt = person["clients"][phase], person["attempt"]
        while True:
            sent = time.time()
            if sent >= stop:
                return
            person["seq"] += 1
            question = attempt["questions"][person["seq"] % len(attempt["questions"])]
            choice = person["rng"].choice(question["choices"])["id"]
            prefix = "" if floor else "/api/v1"
            path = f"{prefix}/attempts/{attempt['id']}/answers/{question['id']}"
            status, _ = await client.call(
                "PUT", path, {"choice_ids": [choice], "seq": person["seq"]}
            )
            if sent >= measured_from:
                latencies.append((time.time() - sent) * 1000)
                errors += status != 200

    await asyncio.gather(*(one(p) for p in people))
    return measured_from, time.time(), latencies, errors


async def students(port, floor_port, names, round_id, seconds, rounds, barrier, queue):
    loop = asyncio.get_running_loop()
    people = []
    for name in names:
        client = await signed_in(port, name)
        status, attempt = await client.call("POST", f"/api/v1/rounds/{round_id}/attempts")
        assert status in (200, 201), f"start of {name}: {status}"
        token = attempt.get("attempt_token")
        client.close()
        people.append(
            {
                "attempt": attempt,
                "rng": random.Random(name),
                "seq": 0,
                "clients": {
                    "floor upsert": Client(floor_port),
                    "ours, token path": Client(port, headers=[f"X-Attempt-Token: {token}"])
                    if token
                    else None,
                    # Not the sign-in's connection: each phase opens its own (when first used).
                    "ours, normal route": Client(port, client.cookie, client.token),
                },
            }
        )
    results = {}
    for turn, phase in [(t, p) for t in range(rounds) for p in PHASES]:
        gc.collect()
        await loop.run_in_executor(None, barrier.wait)
        if any(p["clients"][phase] is None for p in people):
            results[turn, phase] = None
            continue
        results[turn, phase] = await saves_for(people, phase, seconds)
        for person in people:
            person["clients"][phase].close()  # the next turn opens its connections afresh
    for person in people:
        for client in person["clients"].values():
            if client is not None:
                client.close()
    queue.put(results)


def client_main(*args):
    gc.disable()  # collections run between phases (see bench.quiz_load.flow_main)
    asyncio.run(students(*args))


def measure(url, floor_url, args, tmp) -> None:
    print(f"database {url.split(':')[0]}: preparing {args.students} students…", flush=True)
    round_id = prepare(url, args.students, tmp)
    create_tables(floor_url, scores=1000)
    ours = serve(url, args.workers, args.port, tmp)
    floor = serve_floor(floor_url, args.workers, args.floor_port)
    try:
        names = [f"bench{n}" for n in range(args.students)]
        results = run_clients(
            client_main,
            args.processes,
            lambda i: (
                args.port,
                args.floor_port,
                names[i :: args.processes],
                round_id,
                args.seconds,
                args.rounds,
            ),
        )
    finally:
        for server in (ours, floor):
            stop(server)
    print(
        f"{args.students} connections (one per student) from {args.processes} client processes "
        f"on this machine, {args.seconds:.0f} s per phase; both servers {args.workers} workers:"
    )
    for turn in range(args.rounds):
        if args.rounds > 1:
            print(f" round {turn + 1} of {args.rounds}:")
        report(results, [turn])
    if args.rounds > 1:
        print(" all rounds:")
        report(results, list(range(args.rounds)))
    print("  target: the token path ≥ 0.70 × the floor with p99 ≤ 100 ms (issue 11)")


def report(results: list[dict], turns: list[int]) -> None:
    """Print each phase's rate, latencies and errors over ``turns``, and the ratios to the floor."""
    rates = {}
    for phase in PHASES:
        runs = [r[turn, phase] for r in results for turn in turns]
        if any(run is None for run in runs):
            print(f"  {phase:20}: token path not available (startAttempt returns no attempt_token)")
            continue
        # Each turn's wall time: from its first client's start to its last client's end.
        elapsed = sum(
            max(r[turn, phase][1] for r in results) - min(r[turn, phase][0] for r in results)
            for turn in turns
        )
        latencies = [x for run in runs for x in run[2]]
        errors = sum(run[3] for run in runs)
        rates[phase] = len(latencies) / elapsed
        ratio = ""
        if phase != "floor upsert" and rates.get("floor upsert"):
            ratio = f"; {rates[phase] / rates['floor upsert']:.2f} × the floor"
        print(
            f"  {phase:20}: {len(latencies)} saves = {rates[phase]:.0f} saves/s; "
            f"{percentiles(latencies)}; errors {errors}{ratio}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None, help="PostgreSQL (default: SQLite)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per phase")
    parser.add_argument("--rounds", type=int, default=2, help="floor, token, normal: N times")
    parser.add_argument("--students", type=int, default=16, help="connections, one per student")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=5104)
    parser.add_argument("--floor-port", type=int, default=5114)
    args = parser.parse_args()
    print(machine_speed(), flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="saverate-"))
    if args.database_url:
        url = args.database_url
        floor_url = with_database(url, f"{Path(url).name.split('?')[0]}_floor")
        recreate_postgres_database(floor_url)
    else:
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
        floor_url = f"sqlite:///{tmp / 'floor.sqlite3'}"
    measure(url, floor_url, args, tmp)


if __name__ == "__main__":
    main()
