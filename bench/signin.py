"""Sign-ins against `make serve`: flat out, failed ones beside them, and paced (issue 18).

    .venv/bin/python -m bench.signin                          # SQLite file in a temp folder
    .venv/bin/python -m bench.signin --database-url postgresql+psycopg://postgres@127.0.0.1:5432/mx_bench

Starts ``make serve``'s gunicorn (deploy/gunicorn.conf.py, 4 workers, the real argon2id cost:
19 MiB, t=2, p=1) on a fresh database with ``--students`` students, then signs in as a new
device each time: a new connection, ``getCsrfToken``, then ``login`` (both counted in a
sign-in's latency, as a browser or the app pays both). Phases:

1. flat out: ``--clients`` clients sign in back to back (closed loop) for ``--seconds``;
2. failed, flat out: the same with wrong passwords (half of real accounts, half unknown
   usernames, each failing once, so no account's throttle is reached): a failed sign-in must
   cost what a successful one does;
3. paced: ``--rate`` sign-ins a second, evenly spread (open loop: the latency runs from when
   each sign-in was due, so queueing is not hidden), for ``--seconds``.

Target (issue 18): ≥ 60 sign-ins/s flat out; at 50/s paced, p99 ≤ 1 s; 0 errors. The clients
run on this machine (``--processes`` asyncio processes) and share its cores with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bench import machine_speed, run_clients
from bench.quiz_load import PASSWORD, Client, cpu_seconds, percentiles, prepare, serve, stop

TARGET_RATE = 60
PACED_P99_MS = 1000


async def sign_in(port: int, username: str, password: str) -> tuple[bool, float]:
    """One sign-in as a new device; (answered as expected, milliseconds)."""
    started = time.perf_counter()
    client = Client(port)
    try:
        status, data = await client.call("GET", "/api/v1/auth/csrf")
        client.token = data["csrf_token"]
        status, _ = await client.call(
            "POST", "/api/v1/auth/login", {"username": username, "password": password}
        )
    except (OSError, asyncio.IncompleteReadError, KeyError, TypeError):
        status = 0
    finally:
        client.close()
    expected = 200 if password == PASSWORD else 401
    return (status if status != expected else True), (time.perf_counter() - started) * 1000


def names_for(phase: str, worker: int, n: int, students: int) -> tuple[str, str]:
    """The ``n``-th credentials worker ``worker`` sends in ``phase``.

    Successful sign-ins use the first half of the accounts, failed ones the second half (and
    unknown usernames): an account that failed 5 times in a minute from this address is
    refused for a while, its right password included (core.auth.services), which would count
    as errors in the phases after.
    """
    half = max(1, students // 2)
    if phase == "failed":
        if n % 2:
            return f"nobody-{worker}-{n}", "wrong-password-1"
        return f"bench{half + (worker * 7919 + n // 2) % half}", "wrong-password-1"
    return f"bench{(worker * 104729 + n) % half}", PASSWORD


async def closed_loop(port, phase, worker, clients, seconds, students):
    stop_at = time.time() + seconds
    results, counter = [], iter(range(10**9))

    async def one(k):
        while time.time() < stop_at:
            username, password = names_for(phase, worker * 100 + k, next(counter), students)
            results.append(await sign_in(port, username, password))

    await asyncio.gather(*(one(k) for k in range(clients)))
    return results


async def paced(port, worker, rate, seconds, students):
    """``rate`` sign-ins a second from this process, each due at its time; latency from then."""
    period = 1 / rate
    t0 = time.time() + 0.1
    tasks = []

    async def one(n, due):
        await asyncio.sleep(max(0.0, due - time.time()))
        ok, _ = await sign_in(port, *names_for("paced", worker, n, students))
        return ok, (time.time() - due) * 1000

    for n in range(int(rate * seconds)):
        tasks.append(asyncio.create_task(one(n, t0 + n * period + worker * period / 2)))
    return await asyncio.gather(*tasks)


def client_main(port, phase, worker, args, barrier, queue):
    barrier.wait()
    started = time.time()
    if phase == "paced":
        results = asyncio.run(
            paced(port, worker, args.rate / args.processes, args.seconds, args.students)
        )
    else:
        clients = max(1, args.clients // args.processes)
        results = asyncio.run(
            closed_loop(port, phase, worker, clients, args.seconds, args.students)
        )
    queue.put((started, time.time(), results))


def run_phase(port: int, phase: str, args, server_pid: int) -> dict:
    cpu = cpu_seconds(server_pid)
    parts = run_clients(client_main, args.processes, lambda w: (port, phase, w, args))
    elapsed = max(p[1] for p in parts) - min(p[0] for p in parts)
    results = [r for p in parts for r in p[2]]
    latencies = [ms for _ok, ms in results]
    errors = sum(1 for ok, _ms in results if ok is not True)
    statuses = sorted({ok for ok, _ms in results if ok is not True})
    rate = len(results) / elapsed if elapsed else 0.0
    cpu_ms = (cpu_seconds(server_pid) - cpu) * 1000 / max(1, len(results))
    return {
        "rate": rate,
        "latencies": latencies,
        "errors": errors,
        "count": len(results),
        "cpu_ms": cpu_ms,
        "statuses": statuses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=5117)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rate", type=float, default=50)
    args = parser.parse_args()
    print(machine_speed(), flush=True)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        url = args.database_url or f"sqlite:///{tmp / 'signin.sqlite3'}"
        print(f"database {url.split(':')[0]}: preparing {args.students} students…", flush=True)
        prepare(url, args.students, tmp)
        server = serve(url, args.workers, args.port, tmp)
        try:
            warm_up = argparse.Namespace(**{**vars(args), "seconds": 1})
            run_phase(args.port, "flat out", warm_up, server.pid)
            figures = {phase: run_phase(args.port, phase, args, server.pid) for phase in PHASES}
        finally:
            stop(server)
    print(
        f"sign-ins (new connection, getCsrfToken + login), {args.seconds:.0f} s per phase, "
        f"gunicorn {args.workers} workers, clients on this machine:"
    )
    for phase, f in figures.items():
        load = f"{args.clients} clients" if phase != "paced" else f"{args.rate:.0f}/s offered"
        print(
            f"  {phase:9} ({load}): {f['rate']:6.1f}/s, {percentiles(f['latencies'])}, "
            f"errors {f['errors']} of {f['count']}"
            + (f" (statuses {f['statuses']}, 0: no answer)" if f["statuses"] else "")
            + f", server CPU {f['cpu_ms']:.1f} ms each"
        )
    mean = {p: sum(f["latencies"]) / max(1, len(f["latencies"])) for p, f in figures.items()}
    print(
        f"  failed / successful mean latency, flat out: {mean['failed'] / mean['flat out']:.2f}"
        " (1.00: a failure costs what a success does)"
    )
    print(
        "  server CPU per sign-in is what a loaded machine does not distort much: two quiet cores"
        f" allow about {2000 / figures['flat out']['cpu_ms']:.0f}/s"
    )
    print(
        f"  target: flat out ≥ {TARGET_RATE}/s; paced {args.rate:.0f}/s p99 ≤ {PACED_P99_MS} ms;"
        " 0 errors (issue 18)"
    )


PHASES = ("flat out", "failed", "paced")

if __name__ == "__main__":
    main()
