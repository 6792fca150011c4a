"""Law quiz contests: question bank, timed rounds, server-timed attempts, leaderboards."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the quiz blueprints, API, navigation, home section and demo seeder."""
    from contests.quiz import (
        api,
        models,  # noqa: F401 - the tables must be known to migrations
    )
    from core import api as core_api

    core_api.register(app, api.blp)
