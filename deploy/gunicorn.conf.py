"""gunicorn settings for `make serve` and production (override with GUNICORN_* or env vars)."""

import ctypes
import ctypes.util
import gc
import multiprocessing
import os

#: glibc's mallopt() parameter for the size from which malloc maps memory of its own.
M_MMAP_THRESHOLD = -3


def return_large_buffers_to_the_system(threshold: int = 128 * 1024) -> None:
    """Have malloc map every block of ``threshold`` bytes or more, and unmap it when freed.

    glibc raises this threshold each time such a block is freed (up to 32 MB), after which large
    blocks come from the thread's heap and stay there. A sign-in's argon2id hash takes a 19 MB
    block, so each worker thread kept ~19 MB after its first sign-in, for good (bench/memory.py
    shows the workers' private memory before and after). Setting the threshold fixes it and
    stops the raising; the workers inherit it through fork. A no-op off glibc.

    The price is a fresh mapping per hash: ~4,900 page faults (~12 ms of kernel time, a third
    of a sign-in's CPU, issue 18). ``GLIBC_TUNABLES=glibc.malloc.hugetlb=1`` (set by `make
    serve` and deploy/mangxanh-web.service; glibc reads it at process start only) has malloc
    ask for transparent huge pages on such mappings: ~800 faults, ~5 ms, with the memory still
    handed back after each sign-in.
    """
    path = ctypes.util.find_library("c")
    libc = ctypes.CDLL(path) if path else None
    if libc is not None and hasattr(libc, "mallopt"):
        libc.mallopt(M_MMAP_THRESHOLD, threshold)


return_large_buffers_to_the_system()

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WORKERS", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("THREADS", "2"))
worker_class = "gthread"
timeout = 60
graceful_timeout = 30
keepalive = 5
# Load the application once in the master and fork the workers from it: a worker starts in
# milliseconds instead of ~3 s of CPU (each forked worker drops the inherited connection pools,
# see core.db.forget_connections_after_fork), and the workers share the loaded code's memory.
preload_app = True
# Recycle workers now and then so a slow leak never builds up during a long contest day. At a
# contest's 1,000 answer saves a second, 50,000 requests is a worker every few minutes.
max_requests = 50_000
max_requests_jitter = 5_000
#: GUNICORN_ACCESS_LOG="" turns the access log off (the load benchmark does).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
raw_env = ["APP_ENV=" + os.environ.get("APP_ENV", "production")]


def when_ready(server):
    # Loaded once here, shared by every worker (app.warm_up).
    from app import warm_up

    warm_up(server.app.wsgi())


def pre_fork(server, worker):
    # Everything the master loaded lives as long as the workers: move it out of the garbage
    # collector's sight, so a worker's full collections walk only what it allocated itself
    # (walking the whole loaded application every few hundred requests cost ~0.3 ms a
    # request), and copy-on-write pages stay shared.
    gc.freeze()
