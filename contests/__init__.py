"""The contests: law quizzes, writing contests and their judging, leaderboards."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from contests import essay, judging, quiz
from core.notifications.services import register_kind
from core.web import NavGroup, add_nav_group


def init_app(app: Flask) -> None:
    """Register the contest packages (each adds its own blueprints, jobs and demo)."""

    # The organizers' contest pages share one menu of the top bar.
    add_nav_group(app, NavGroup("contests", _l("Contests"), order=40))
    register_kind(app, "round_opened", _l("A round is open: %(title)s"))
    register_kind(app, "results_published", _l("Results are published: %(title)s"))
    quiz.init_app(app)
    essay.init_app(app)
    judging.init_app(app)
