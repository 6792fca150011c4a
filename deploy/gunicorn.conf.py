"""gunicorn settings for `make serve` and production (override with GUNICORN_* or env vars)."""

import gc
import multiprocessing
import os

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


def pre_fork(server, worker):
    # Everything the master loaded lives as long as the workers: move it out of the garbage
    # collector's sight, so a worker's full collections walk only what it allocated itself
    # (walking the whole loaded application every few hundred requests cost ~0.3 ms a
    # request), and copy-on-write pages stay shared.
    gc.freeze()
