"""Quiz pages for students: their rounds, taking a round, results and leaderboards."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from contests.quiz import leaderboards, services
from contests.quiz.models import (
    Attempt,
    AttemptStatus,
    QuizContest,
    QuizRound,
)
from contests.quiz.permissions import (
    can_take_round,
    can_view_attempt,
    can_view_contest_leaderboard,
    can_view_leaderboard,
    contest_board_from,
)
from contests.quiz.views.common import bp, get_or_404
from core.accounts.models import Role
from core.accounts.permissions import require, roles_required
from core.clock import utcnow
from core.extensions import compress
from core.hardening import shared
from core.i18n import LOCALE_COOKIE
from core.web import public_page_context, writes_on_read

# --- students -----------------------------------------------------------------------------------


@bp.route("/quiz")
@roles_required(Role.STUDENT)
def my_rounds():
    """The student's rounds: open now, coming soon, and past results."""
    now = utcnow()
    rounds = services.rounds_for_student(user=current_user, now=now)
    latest = {r.id: services.latest_attempt(round_id=r.id, user_id=current_user.id) for r in rounds}
    left = {r.id: services.has_attempt_left(r, latest[r.id]) for r in rounds}
    past = services.past_rounds_for_student(user=current_user, now=now)
    past_attempts = {
        r.id: services.latest_attempt(round_id=r.id, user_id=current_user.id) for r in past
    }
    return render_template(
        "contests/quiz/my_rounds.html",
        rounds=rounds,
        latest=latest,
        left=left,
        past=past,
        past_attempts=past_attempts,
        now=now,
    )


@bp.route("/quiz/contests/<int:contest_id>")
def contest(contest_id: int):
    """A contest's public page: its rounds and the ranking rule."""
    item = get_or_404(QuizContest, contest_id)
    now = utcnow()
    return render_template(
        "contests/quiz/contest.html",
        contest=item,
        now=now,
        board_visible=can_view_contest_leaderboard(current_user, item, now),
        board_from=contest_board_from(item),
    )


@bp.route("/quiz/rounds/<int:round_id>")
@login_required
def round_page(round_id: int):
    """A round's rules before starting, with the start button."""
    round_ = get_or_404(QuizRound, round_id)
    require(can_take_round(current_user, round_))
    attempt = services.latest_attempt(round_id=round_.id, user_id=current_user.id)
    return render_template(
        "contests/quiz/round.html",
        round=round_,
        attempt=attempt,
        attempt_left=services.has_attempt_left(round_, attempt),
        now=utcnow(),
    )


@bp.route("/quiz/rounds/<int:round_id>/take")
@login_required
def take(round_id: int):
    """The quiz page; it starts or resumes the attempt through the JSON API."""
    round_ = get_or_404(QuizRound, round_id)
    require(can_take_round(current_user, round_))
    if round_.status(utcnow()) != "open":
        flash(_("This round is not open now."), "warning")
        return redirect(url_for("quiz.round_page", round_id=round_.id))
    return render_template("contests/quiz/take.html", round=round_)


@bp.route("/quiz/attempts/<int:attempt_id>")
@login_required
@writes_on_read
def result(attempt_id: int):
    """Score, time taken, rank when released, and the review if the round allows it.

    Showing the review's keys exposes its questions (recorded and committed with this read).
    """
    attempt = get_or_404(Attempt, attempt_id)
    if not can_view_attempt(current_user, attempt):
        abort(404)
    if attempt.status == AttemptStatus.IN_PROGRESS:
        return redirect(url_for("quiz.take", round_id=attempt.round_id))
    now = utcnow()
    round_ = attempt.round
    released = round_.results_released(now)
    mine = None
    if released and not round_.is_practice:
        mine = leaderboards.read_leaderboard(
            snapshot=leaderboards.latest_snapshot(round_id=round_.id),
            scope="student",
            me=current_user,
            limit=1,
        )["me"]
    review = services.review(attempt, now=now)
    return render_template(
        "contests/quiz/result.html",
        attempt=attempt,
        round=round_,
        released=released,
        show_score=round_.show_score_on_submit or released or round_.is_practice,
        mine=mine,
        review=review,
        keys_from=None if review else services.review_keys_from(attempt, now=now),
    )


@bp.route("/quiz/rounds/<int:round_id>/leaderboard")
@compress.compressed()
def leaderboard(round_id: int):
    """A round's leaderboard (masked names), by students, classes or schools.

    Once results are released the page is the same for everyone (the reader's own line is
    fetched by its script from getLeaderboard): it is rendered without the reader and may be
    kept by browsers and nginx until the next snapshot could have been taken.
    """
    round_ = get_or_404(QuizRound, round_id)
    if not round_.is_practice and round_.results_released(utcnow()):
        return _public_leaderboard(round_)
    if not can_view_leaderboard(current_user, round_, utcnow()):
        abort(403)
    return _render_leaderboard(round_.contest, round_, round_id=round_.id)


#: How long browsers and nginx may keep a released board (snapshots are taken every minute).
PUBLIC_BOARD_SECONDS = 60


def _public_leaderboard(round_):
    """The released board as everyone sees it: no reader, no CSRF token, no user menu.

    The language comes from the language cookie only (nginx keys its cache by it), not from the
    reader's profile. The reply is marked shared (core.hardening.shared), which the no-store
    hook honours only if the request set no cookie.
    """
    scope = request.args.get("scope", "student")
    level = request.args.get("level") or None
    if scope not in leaderboards.SCOPES or level not in (None, "MN", "TH", "THCS"):
        abort(400)
    snapshot = leaderboards.latest_snapshot(round_id=round_.id)
    language = request.cookies.get(LOCALE_COOKIE)
    if language not in current_app.config["LANGUAGES"]:
        language = current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(language):
        board = leaderboards.read_leaderboard(snapshot=snapshot, scope=scope, level=level)
        html = render_template(
            "contests/quiz/leaderboard.html",
            contest=round_.contest,
            round=round_,
            board=board,
            scope=scope,
            level=level,
            public_board=True,
            # The page holds nothing of its reader (see core.web.public_page_context).
            **public_page_context(),
        )
    version = f"{snapshot.id}-{snapshot.computed_at.timestamp()}" if snapshot else "none"
    response = make_response(html)
    return shared(
        response,
        max_age=PUBLIC_BOARD_SECONDS,
        etag=f"board-{round_.id}-{version}-{scope}-{level or 'all'}-{language}",
    )


@bp.route("/quiz/contests/<int:contest_id>/leaderboard")
@compress.compressed()
def contest_leaderboard(contest_id: int):
    """The contest's leaderboard over all its ranked rounds (masked names)."""
    item = get_or_404(QuizContest, contest_id)
    if not can_view_contest_leaderboard(current_user, item, utcnow()):
        abort(403)
    return _render_leaderboard(item, None, contest_id=item.id)


def _render_leaderboard(contest, round_, **snapshot_of):
    """Render the latest snapshot's board for the scope and level the page asks for."""
    scope = request.args.get("scope", "student")
    level = request.args.get("level") or None
    if scope not in leaderboards.SCOPES or level not in (None, "MN", "TH", "THCS"):
        abort(400)
    board = leaderboards.read_leaderboard(
        snapshot=leaderboards.latest_snapshot(**snapshot_of),
        scope=scope,
        me=current_user,
        level=level,
    )
    return render_template(
        "contests/quiz/leaderboard.html",
        contest=contest,
        round=round_,
        board=board,
        scope=scope,
        level=level,
    )
