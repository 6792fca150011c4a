"""gunicorn settings for `make serve` and production (override with GUNICORN_* or env vars)."""

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WORKERS", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("THREADS", "2"))
worker_class = "gthread"
timeout = 60
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak never builds up during a long contest day.
max_requests = 5000
max_requests_jitter = 500
#: GUNICORN_ACCESS_LOG="" turns the access log off (the load benchmark does).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
raw_env = ["APP_ENV=" + os.environ.get("APP_ENV", "production")]
