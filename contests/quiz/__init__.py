"""Law quiz contests: question bank, timed rounds, server-timed attempts, leaderboards."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask_babel import lazy_gettext as _l

from contests.quiz import api, models, services, views  # noqa: F401 - models: tables
from contests.quiz.models import QuizContest
from contests.quiz.services import (
    rounds_for_student,
    rounds_opening_soon,
    rounds_short_of_questions,
)
from core import api as core_api
from core.extensions import db
from core.scheduler import Job, register_job
from core.web import NavItem, add_home_section, add_nav


def init_app(app: Flask) -> None:
    """Register the quiz blueprints, API, navigation, home section and demo seeder."""

    app.register_blueprint(views.bp)
    core_api.register(app, api.blp)
    add_nav(app, NavItem("quiz.my_rounds", _l("Law quiz"), roles=("student",), order=30))
    add_nav(
        app,
        NavItem(
            "quiz.manage",
            _l("Quizzes"),
            roles=("admin", "organizer"),
            order=30,
            match=("quiz.manage", "quiz.edit_", "quiz.questions", "quiz.round_results"),
            group="contests",
        ),
    )
    add_home_section(app, "student", "contests/quiz/_home.html", _home_context, order=20)
    # Rounds the unexposed questions no longer cover, before they open (exposures go on).
    add_home_section(
        app, "organizer", "contests/quiz/_home_organizer.html", _organizer_context, order=7
    )
    # The campaign page lists what hangs on a campaign; contests never import campaign.
    app.extensions.setdefault("mangxanh.campaign_contents", []).append(_campaign_contents)
    for job in JOBS:
        register_job(app, job)


#: The quiz's periodic jobs (finalize, snapshot, announce), all in ``contests.quiz.jobs``.
JOBS = [
    Job(
        "quiz-finalize-expired",
        "contests.quiz.jobs:finalize_expired_attempts",
        timedelta(seconds=15),
    ),
    Job("quiz-leaderboards", "contests.quiz.jobs:snapshot_leaderboards", timedelta(minutes=1)),
    Job("quiz-announcements", "contests.quiz.jobs:announce_rounds", timedelta(minutes=1)),
]


def _home_context() -> dict:
    from flask_login import current_user

    return {"quiz_rounds": rounds_for_student(user=current_user)}


def _organizer_context() -> dict:
    return {"short_rounds": rounds_short_of_questions(), "opening": rounds_opening_soon()}


def _campaign_contents(campaign) -> list[dict]:
    """The quiz contests of a campaign, for its public page."""
    import sqlalchemy as sa
    from flask import url_for
    from flask_babel import gettext as _

    contests = db.session.scalars(
        sa.select(QuizContest).where(QuizContest.campaign_id == campaign.id)
    )
    return [
        {
            "kind": _("Law quiz"),
            "title": c.title,
            "description": c.description,
            "url": url_for("quiz.contest", contest_id=c.id),
        }
        for c in contests
    ]
