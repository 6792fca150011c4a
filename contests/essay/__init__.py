"""Writing contests ("viết về hành động đẹp trên không gian mạng"): rounds, drafts, submissions,
photos, anonymity for judges and similarity checks."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from contests.essay import models  # noqa: F401 - the tables exist for migrations
