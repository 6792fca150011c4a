"""The contests: law quizzes, writing contests and their judging, leaderboards."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the contest packages (each adds its own blueprints, jobs and demo)."""
    from contests import essay, judging, quiz

    quiz.init_app(app)
    essay.init_app(app)
    judging.init_app(app)
