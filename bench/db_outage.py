"""Fault drill: PostgreSQL goes away for 10 s under `make serve`; what students get, what the log gets.

    .venv/bin/python -m bench.db_outage --database-url postgresql+psycopg://postgres@127.0.0.1:5432/mx_bench

gunicorn (deploy/gunicorn.conf.py, 4 workers, access log off) reaches the database through a
small proxy on a Unix socket, which this script cuts: every open connection is dropped and new
ones are closed at once, as when the server stops or restarts. ``--students`` signed-in students
each send an answer save and load the home page in turn, ``--interval`` apart, for ``--before``
seconds, through the ``--outage`` and for ``--after`` seconds. Printed per period: responses by
status, how many 503s carried ``Retry-After``, and the lines and bytes gunicorn's log gained.
The database named is dropped and created again.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import multiprocessing as mp
import os
import random
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy.engine import make_url

from bench import machine_speed
from bench.quiz_load import ROOT, SECRET, prepare, save_body, save_headers, signed_in, stop


async def proxy(socket_path: str, target: tuple[str, int], down) -> None:
    """Forward the Unix socket to PostgreSQL while ``down`` is clear; drop everything while set."""
    open_pairs: set = set()

    async def pipe(reader, writer):
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def handle(reader, writer):
        if down.is_set():
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection(*target)
        pair = (writer, up_writer)
        open_pairs.add(pair)
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        open_pairs.discard(pair)

    server = await asyncio.start_unix_server(handle, path=socket_path)
    async with server:
        was_down = False
        while True:
            await asyncio.sleep(0.01)
            if down.is_set() and not was_down:
                for pair in list(open_pairs):
                    for writer in pair:
                        writer.transport.abort()
            was_down = down.is_set()


def proxy_main(*args) -> None:
    asyncio.run(proxy(*args))


async def drive(port, names, round_id, interval, seconds, queue) -> None:
    """Each student: a save, then the home page, ``interval`` apart, for ``seconds``."""
    students = []
    for name in names:
        client = await signed_in(port, name)
        status, attempt = await client.call("POST", f"/api/v1/rounds/{round_id}/attempts")
        assert status in (200, 201), f"start of {name}: {status}"
        students.append({"client": client, "attempt": attempt, "rng": random.Random(name)})
    queue.put("ready")
    log = []  # (time, kind, status, retry-after seen)
    stop = time.time() + seconds

    async def one(student, offset):
        await asyncio.sleep(offset)
        seq = 0
        while time.time() < stop:
            seq += 1
            if seq % 2:
                path, body = save_body(student, seq)
                status, _ = await student["client"].call("PUT", path, body, save_headers(student))
                kind = "save"
            else:
                status, _ = await student["client"].call("GET", "/")
                kind = "page"
            log.append((time.time(), kind, status, student["client"].retry_after))
            await asyncio.sleep(interval)

    await asyncio.gather(*(one(s, interval * i / len(students)) for i, s in enumerate(students)))
    queue.put(log)


def drive_main(*args) -> None:
    asyncio.run(drive(*args))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True, help="PostgreSQL (dropped, created)")
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between requests")
    parser.add_argument("--before", type=float, default=5.0)
    parser.add_argument("--outage", type=float, default=10.0)
    parser.add_argument("--after", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=5104)
    args = parser.parse_args()
    print(machine_speed(), flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="outage-"))
    direct = make_url(args.database_url)
    print(f"preparing {args.students} students…", flush=True)
    round_id = prepare(args.database_url, args.students, tmp)
    down = mp.Event()
    socket_path = str(tmp / ".s.PGSQL.5432")
    relay = mp.Process(
        target=proxy_main, args=(socket_path, (direct.host, direct.port or 5432), down)
    )
    relay.start()
    while not os.path.exists(socket_path):
        time.sleep(0.05)
    # psycopg takes a folder as host for a Unix socket (its file named after the port).
    through_proxy = direct.set(host=None, port=None, query={"host": str(tmp)})
    log_path = tmp / "gunicorn.log"
    env = {
        **os.environ,
        "APP_ENV": "development",
        "DATABASE_URL": through_proxy.render_as_string(hide_password=False),
        "SECRET_KEY": SECRET,
        "INSTANCE_PATH": str(tmp),
        "PYTHONPATH": str(ROOT),
        "GUNICORN_ACCESS_LOG": "",
        "WORKERS": str(args.workers),
        "PORT": str(args.port),
    }
    gunicorn = [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "deploy/gunicorn.conf.py"]
    with log_path.open("wb") as log_file:
        server = subprocess.Popen(
            [*gunicorn, "bench.quiz_wsgi:app"], env=env, cwd=str(ROOT), stderr=log_file
        )
    try:
        time.sleep(1)
        queue: mp.Queue = mp.Queue()
        total = args.before + args.outage + args.after
        names = [f"bench{n}" for n in range(args.students)]
        client = mp.Process(
            target=drive_main, args=(args.port, names, round_id, args.interval, total, queue)
        )
        _wait_until_serving(args.port)
        client.start()
        assert queue.get() == "ready"
        t0 = time.time()
        sizes = [_log_size(log_path)]
        time.sleep(args.before)
        sizes.append(_log_size(log_path))
        down.set()
        t_down = time.time()
        time.sleep(args.outage)
        down.clear()
        t_up = time.time()
        sizes.append(_log_size(log_path))
        results = queue.get()
        client.join()
        sizes.append(_log_size(log_path))
    finally:
        stop(server)
        relay.terminate()
    periods = [
        ("before", t0, t_down),
        (f"database down {args.outage:.0f} s", t_down, t_up),
        ("after", t_up, float("inf")),
    ]
    for n, (label, start, end) in enumerate(periods):
        rows = [r for r in results if start <= r[0] < end]
        statuses = Counter(f"{kind} {status}" for _, kind, status, _ in rows)
        failed = sum(1 for r in rows if r[2] != 200)
        with_retry = sum(1 for r in rows if r[2] == 503 and r[3])
        lines = sizes[n + 1][0] - sizes[n][0]
        size = sizes[n + 1][1] - sizes[n][1]
        print(
            f"{label}: {len(rows)} responses ({', '.join(f'{k}: {v}' for k, v in sorted(statuses.items()))}); "
            f"503 with Retry-After {with_retry}; log +{lines} lines, +{size / 1024:.1f} kB"
            + (f" ({lines / failed:.2f} lines per failed request)" if failed else "")
        )


def _wait_until_serving(port: int) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not start")


def _log_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    return data.count(b"\n"), len(data)


if __name__ == "__main__":
    main()
