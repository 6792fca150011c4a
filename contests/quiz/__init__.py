"""Law quiz contests: question bank, timed rounds, server-timed attempts, leaderboards."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the quiz blueprints, API, navigation, home section and demo seeder."""
    from contests.quiz import models  # noqa: F401 - the tables must be known to migrations
