"""Page weight and speed on a cheap phone over slow 3G: the main page of every role.

    .venv/bin/python -m bench.pages [--url http://127.0.0.1:5000]     (or: make bench-pages)

Drives Debian's Chromium with Playwright at 360×740, the network throttled through the DevTools
protocol to slow 3G (400 kbit/s both ways, 400 ms latency). For each page it signs the role in,
then opens the page with a cold cache and prints the bytes transferred (what came over the wire,
compressed, headers included), the time until the page is usable (the quiz page: until its first
answer can be tapped; other pages: the load event), and the same time on a repeat visit with the
cache warm. Without ``--url`` it starts ``flask dev`` as ``make run`` does, on a fresh SQLite
file with the demo district seeded and the static build made, and stops it afterwards.

The issue's targets are printed beside the figures; the exit status is 1 when one is missed.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Slow 3G as the issue measures it: 400 kbit/s each way, 400 ms round trip.
SLOW_3G = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 400 * 1000 / 8,
    "uploadThroughput": 400 * 1000 / 8,
}
FIRST_ANSWER = "fieldset[data-question-id] label"


@dataclass
class Page:
    role: str
    username: str
    label: str
    path: str
    #: KB transferred cold, seconds to usable cold, seconds on a repeat visit (None: no target).
    max_kb: float | None = None
    max_seconds: float | None = None
    max_repeat: float | None = None
    ready: str | None = None


def pages(quiz_round: int, essay_round: int) -> list[Page]:
    return [
        Page("student", "student1", "student home", "/", max_kb=150),
        Page(
            "student",
            "student1",
            "quiz page",
            f"/quiz/rounds/{quiz_round}/take",
            max_kb=100,
            max_seconds=4,
            max_repeat=1.5,
            ready=FIRST_ANSWER,
        ),
        Page("student", "student1", "essay page", f"/essay/rounds/{essay_round}", max_kb=150),
        Page("judge", "judge1", "judge queue", "/judging"),
        Page("coordinator", "coord1", "coordinator home", "/"),
        Page("organizer", "organizer", "organizer home", "/"),
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(folder: Path) -> tuple[subprocess.Popen, str]:
    """Migrate, seed and serve a fresh SQLite site as `make run` does; return it and its URL."""
    port = free_port()
    env = {
        **os.environ,
        "APP_ENV": "development",
        "FLASK_APP": "wsgi",
        "INSTANCE_PATH": str(folder),
        "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
    }
    flask = [sys.executable, "-m", "flask"]
    for command in (["assets", "build"], ["db", "upgrade"], ["seed-demo", "--if-empty"]):
        subprocess.run([*flask, *command], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    server = subprocess.Popen(
        [*flask, "dev"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/login", timeout=1)
            return server, url
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not start")


def demo_rounds(url: str, browser) -> tuple[int, int]:
    """Find the open quiz round and the open essay round from student1's pages."""
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, url, "student1")
    page.goto(url + "/quiz")
    quiz = page.locator("a[href*='/quiz/rounds/']").first.get_attribute("href")
    page.goto(url + "/essay")
    essay = page.locator("a[href*='/essay/rounds/']").first.get_attribute("href")
    context.close()
    return int(quiz.rstrip("/").split("/")[-1]), int(essay.rstrip("/").split("/")[-1])


def sign_in(page, url: str, username: str) -> None:
    page.goto(url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo1234")
    page.click("button[type=submit]:has-text('Đăng nhập')")
    page.wait_for_load_state("networkidle")


def visit(page, cdp, url: str, target: Page) -> tuple[float, float]:
    """Open the page; return (KB transferred, seconds until usable)."""
    transferred = {"bytes": 0}

    def finished(event):
        transferred["bytes"] += event.get("encodedDataLength", 0)

    cdp.on("Network.loadingFinished", finished)
    start = time.perf_counter()
    page.goto(url + target.path, wait_until="load", timeout=120_000)
    if target.ready:
        page.wait_for_selector(target.ready, state="visible", timeout=120_000)
    elapsed = time.perf_counter() - start
    page.wait_for_load_state("networkidle", timeout=120_000)
    cdp.remove_listener("Network.loadingFinished", finished)
    return transferred["bytes"] / 1024, elapsed


def measure(browser, url: str, target: Page) -> dict:
    context = browser.new_context(
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    sign_in(page, url, target.username)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.clearBrowserCache")
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    kb, cold = visit(page, cdp, url, target)
    page.goto("about:blank")
    repeat_kb, repeat = visit(page, cdp, url, target)
    context.close()
    return {"kb": kb, "cold": cold, "repeat": repeat, "repeat_kb": repeat_kb}


def verdict(value: float, limit: float | None) -> str:
    if limit is None:
        return "          "
    return f"{'ok ' if value <= limit else 'OVER'} ≤{limit:<5g}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running site with the demo seeded (default: start one)")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        server = None
        url = args.url
        if not url:
            server, url = start_server(Path(tmp))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
                quiz_round, essay_round = demo_rounds(url, browser)
                print("Chromium 360×740, slow 3G (400 kbit/s, 400 ms), cold cache then repeat")
                print(
                    f"{'page':18} {'role':12} {'KB cold':>8} {'':10} {'usable s':>8} {'':10}"
                    f" {'repeat s':>8} {'':10} {'KB again':>8}"
                )
                missed = 0
                for target in pages(quiz_round, essay_round):
                    r = measure(browser, url, target)
                    checks = [
                        (r["kb"], target.max_kb),
                        (r["cold"], target.max_seconds),
                        (r["repeat"], target.max_repeat),
                    ]
                    missed += sum(1 for v, lim in checks if lim is not None and v > lim)
                    print(
                        f"{target.label:18} {target.role:12} {r['kb']:8.1f} "
                        f"{verdict(r['kb'], target.max_kb)} {r['cold']:8.2f} "
                        f"{verdict(r['cold'], target.max_seconds)} {r['repeat']:8.2f} "
                        f"{verdict(r['repeat'], target.max_repeat)} {r['repeat_kb']:8.1f}"
                    )
                browser.close()
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=10)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
