"""The application as ``make serve`` runs it, for the quiz load benchmark.

One change: the per-address sign-in limit is raised, because every simulated student signs in
from 127.0.0.1 (a real school shares a few public addresses, and nginx passes the client's).
"""

from __future__ import annotations

from app import create_app
from core.config import config_from_env

config = config_from_env()
config.LOGIN_LIMIT_PER_IP = "1000000 per minute"
app = create_app(config)
