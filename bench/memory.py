"""Memory of `make serve` under answer saves: PSS of gunicorn's master and workers, before and after.

    .venv/bin/python -m bench.memory [--seconds 60] [--workers 4] [--database-url URL]

Runs gunicorn as ``make serve`` does (deploy/gunicorn.conf.py, 4 workers, preloaded) on a fresh
SQLite file under a temporary folder, or on the PostgreSQL database ``--database-url`` names
(it is dropped and created again), signs ``--students`` students in, starts their attempts, and
reads each process's PSS (proportional set size: a page shared by n processes counts 1/n in
each, so the sum is what the server really occupies, unlike summed RSS) and private memory from
/proc/<pid>/smaps_rollup. Then it drives answer saves flat out for ``--seconds`` from two client
processes on this machine (they share its cores with the server), with the attempt's token as the
quiz page sends it, and reads the figures again.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import random
import tempfile
import time
from pathlib import Path

from bench import machine_speed
from bench.quiz_load import prepare, save_body, save_headers, serve, signed_in, stop

#: What the issue allows master + 4 workers after a minute of saves.
BUDGET_MB = 300


def memory_of(pid: int) -> dict[str, int]:
    """PSS and private memory of one process, in kB (from /proc/<pid>/smaps_rollup)."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, value = line.partition(":")
        fields[name] = int(value.split()[0])
    private = fields["Private_Clean"] + fields["Private_Dirty"]
    return {"pss": fields["Pss"], "private": private, "rss": fields["Rss"]}


def server_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [master, *sorted(int(c) for c in children)]


def report(label: str, master: int) -> int:
    """Print each process's figures and the total PSS; return the total in kB."""
    rows = [(pid, memory_of(pid)) for pid in server_pids(master)]
    total = sum(m["pss"] for _, m in rows)
    print(f"{label}: master + {len(rows) - 1} workers, PSS {total / 1024:.1f} MB in all")
    for n, (pid, m) in enumerate(rows):
        role = "master" if n == 0 else f"worker {n}"
        print(
            f"  {role:9} pid {pid:7}: PSS {m['pss'] / 1024:6.1f} MB, "
            f"private {m['private'] / 1024:6.1f} MB, RSS {m['rss'] / 1024:6.1f} MB"
        )
    return total


async def students_save(port, names, round_id, seconds, ready, go, queue):
    clients = []
    for name in names:
        client = await signed_in(port, name)
        status, attempt = await client.call("POST", f"/api/v1/rounds/{round_id}/attempts")
        assert status in (200, 201), f"start of {name}: {status}"
        clients.append({"client": client, "attempt": attempt, "rng": random.Random(name)})
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, ready.wait)
    await loop.run_in_executor(None, go.wait)
    saves = errors = 0
    stop = time.monotonic() + seconds

    async def one(student):
        nonlocal saves, errors
        seq = 0
        while time.monotonic() < stop:
            seq += 1
            path, body = save_body(student, seq)
            status, _ = await student["client"].call("PUT", path, body, save_headers(student))
            saves += 1
            errors += status != 200

    await asyncio.gather(*(one(s) for s in clients))
    for student in clients:
        student["client"].close()
    queue.put((saves, errors))


def client_main(*args):
    asyncio.run(students_save(*args))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--port", type=int, default=5104)
    args = parser.parse_args()
    print(machine_speed(), flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="benchmem-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    print(f"database {url.split(':')[0]}, preparing {args.students} students…", flush=True)
    round_id = prepare(url, args.students, tmp)
    server = serve(url, args.workers, args.port, tmp)
    try:
        time.sleep(1)
        report("just started", server.pid)
        names = [f"bench{n}" for n in range(args.students)]
        ready, go = mp.Barrier(args.processes + 1), mp.Barrier(args.processes + 1)
        queue: mp.Queue = mp.Queue()
        clients = [
            mp.Process(
                target=client_main,
                args=(
                    args.port,
                    names[i :: args.processes],
                    round_id,
                    args.seconds,
                    ready,
                    go,
                    queue,
                ),
            )
            for i in range(args.processes)
        ]
        for client in clients:
            client.start()
        ready.wait()
        before = report("students signed in and started", server.pid)
        go.wait()
        results = [queue.get() for _ in clients]
        for client in clients:
            client.join()
        saves, errors = sum(r[0] for r in results), sum(r[1] for r in results)
        print(
            f"saves for {args.seconds:.0f} s: {saves} ({saves / args.seconds:.0f}/s), errors {errors}"
        )
        after = report(f"after {args.seconds:.0f} s of saves", server.pid)
        verdict = "within" if after <= BUDGET_MB * 1024 else "OVER"
        print(
            f"PSS {before / 1024:.1f} MB -> {after / 1024:.1f} MB "
            f"({verdict} the {BUDGET_MB} MB budget for master + workers)"
        )
    finally:
        stop(server)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
