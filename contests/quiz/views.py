"""Quiz pages: students take rounds and see results; organizers run contests and the bank."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
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
from sqlalchemy.orm import selectinload

from contests.quiz import exports, formats, keys, leaderboards, services
from contests.quiz.forms import (
    CategoryForm,
    ContestForm,
    ExtraTimeForm,
    ImportForm,
    QuestionForm,
    ReleaseForm,
    RoundForm,
    round_form_values,
)
from contests.quiz.models import (
    Accommodation,
    Attempt,
    AttemptStatus,
    Pool,
    Question,
    QuestionCategory,
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
from core.accounts.models import Role, User
from core.accounts.permissions import require, roles_required
from core.clock import local_today, utcnow
from core.extensions import compress, db
from core.hardening import shared
from core.i18n import LOCALE_COOKIE
from core.spreadsheets import ImportRejected
from core.transaction import domain_errors, fail_request
from core.web import public_page_context, writes_on_read

bp = Blueprint("quiz", __name__)


def get_or_404(model, ident: int):
    item = db.session.get(model, ident)
    if item is None:
        abort(404)
    return item


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


# --- organizers: contests and rounds ------------------------------------------------------------

MANAGERS = (Role.ADMIN, Role.ORGANIZER)


@bp.route("/manage/quiz")
@roles_required(*MANAGERS)
def manage():
    """Contests and their rounds."""
    contests = db.session.scalars(sa.select(QuizContest).order_by(QuizContest.id.desc())).all()
    now = utcnow()
    return render_template(
        "contests/quiz/manage/index.html",
        contests=contests,
        now=now,
        short_rounds=services.rounds_short_of_questions(now=now),
    )


@bp.route("/manage/quiz/contests/new", methods=["GET", "POST"])
@bp.route("/manage/quiz/contests/<int:contest_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit_contest(contest_id: int | None = None):
    """Create or edit a contest (it belongs to a campaign)."""
    item = get_or_404(QuizContest, contest_id) if contest_id else None
    form = ContestForm(obj=item)
    if form.validate_on_submit():
        item = services.save_contest(
            actor=current_user,
            contest=item,
            campaign_id=form.campaign_id.data,
            title=form.title.data,
            description=form.description.data or "",
            reveal_keys_after_last_round=form.reveal_keys_after_last_round.data,
        )
        flash(_("The contest has been saved."), "success")
        return redirect(url_for("quiz.manage_contest", contest_id=item.id))
    return render_template("contests/quiz/manage/contest_form.html", form=form, contest=item)


@bp.route("/manage/quiz/contests/<int:contest_id>", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def manage_contest(contest_id: int):
    """A contest's rounds and extra time for students who need it."""
    item = get_or_404(QuizContest, contest_id)
    form = ExtraTimeForm()
    if form.validate_on_submit():
        student = db.session.scalar(sa.select(User).where(User.username == form.username.data))
        if student is None:
            form.username.errors.append(_("No account has this username."))
        else:
            with domain_errors(form, "extra_minutes"):
                services.set_extra_time(
                    actor=current_user,
                    contest=item,
                    user=student,
                    extra_seconds=form.extra_minutes.data * 60,
                )
                flash(_("Extra time has been saved."), "success")
                return redirect(url_for("quiz.manage_contest", contest_id=item.id))

    accommodations = db.session.scalars(
        sa.select(Accommodation).where(Accommodation.contest_id == item.id)
    ).all()
    return render_template(
        "contests/quiz/manage/contest.html",
        contest=item,
        form=form,
        accommodations=accommodations,
        now=utcnow(),
    )


@bp.route("/manage/quiz/contests/<int:contest_id>/rounds/new", methods=["GET", "POST"])
@bp.route("/manage/quiz/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit_round(contest_id: int | None = None, round_id: int | None = None):
    """Set up a round: times, draw rules, eligibility, attempts, prediction, publication."""
    round_ = get_or_404(QuizRound, round_id) if round_id else None
    item = round_.contest if round_ else get_or_404(QuizContest, contest_id)
    categories = db.session.scalars(sa.select(QuestionCategory).order_by(QuestionCategory.name))
    now = utcnow()
    day = local_today(max(round_.opens_at, now) if round_ else now)
    form = RoundForm.for_round(round_, list(categories), services.pool_counts(day=day))
    if form.validate_on_submit():
        with domain_errors(form, "title"):
            round_ = services.save_round(
                actor=current_user, contest=item, round_=round_, **round_form_values(form)
            )
            flash(_("The round has been saved."), "success")
            return redirect(url_for("quiz.manage_contest", contest_id=item.id))
    return render_template(
        "contests/quiz/manage/round_form.html", form=form, contest=item, round=round_
    )


@bp.route("/manage/quiz/rounds/<int:round_id>/results")
@roles_required(*MANAGERS)
def round_results(round_id: int):
    """After a round: participation, item statistics and the export."""
    round_ = get_or_404(QuizRound, round_id)
    return render_template(
        "contests/quiz/manage/results.html",
        round=round_,
        stats=exports.item_statistics(round_),
        snapshot=leaderboards.latest_snapshot(round_id=round_.id),
        release_form=ReleaseForm(),
        now=utcnow(),
    )


@bp.route("/manage/quiz/rounds/<int:round_id>/release", methods=["POST"])
@roles_required(*MANAGERS)
def release_results(round_id: int):
    """Release a closed round's results now, once the organizer has confirmed it."""
    round_ = get_or_404(QuizRound, round_id)
    form = ReleaseForm()
    if form.validate_on_submit():
        with domain_errors(category="warning"):
            services.release_results(actor=current_user, round_=round_)
            # The leaderboards students now see are computed from every submitted attempt.
            leaderboards.snapshot_round(round_=round_)
            flash(_("The results have been released."), "success")
    elif form.confirm.errors:
        flash(form.confirm.errors[0], "warning")
    return redirect(url_for("quiz.round_results", round_id=round_.id))


@bp.route("/manage/quiz/rounds/<int:round_id>/snapshot", methods=["POST"])
@roles_required(*MANAGERS)
def take_snapshot(round_id: int):
    """Recompute the round's leaderboards now."""
    round_ = get_or_404(QuizRound, round_id)
    leaderboards.snapshot_round(round_=round_)
    flash(_("The leaderboards have been recomputed."), "success")
    return redirect(url_for("quiz.round_results", round_id=round_.id))


@bp.route("/manage/quiz/rounds/<int:round_id>/results.xlsx")
@roles_required(*MANAGERS)
def export_results(round_id: int):
    """The round's results as a spreadsheet."""
    round_ = get_or_404(QuizRound, round_id)
    return exports.results_response(round_)


# --- organizers: the question bank --------------------------------------------------------------


@bp.route("/manage/quiz/questions")
@roles_required(*MANAGERS)
def questions():
    """The question bank, filtered by category and pool."""
    query = sa.select(Question).order_by(Question.category_id, Question.id)
    category_id = request.args.get("category", type=int)
    pool = request.args.get("pool")
    if category_id:
        query = query.where(Question.category_id == category_id)
    if pool in (Pool.CONTEST.value, Pool.PRACTICE.value):
        query = query.where(Question.pool == Pool(pool))
    if not request.args.get("retired"):
        query = query.where(Question.retired_at.is_(None))
    categories = db.session.scalars(sa.select(QuestionCategory).order_by(QuestionCategory.name))
    found = db.session.scalars(query.options(selectinload(Question.category))).all()
    today = local_today()
    return render_template(
        "contests/quiz/manage/questions.html",
        questions=found,
        categories=list(categories),
        category_id=category_id,
        pool=pool,
        today=today,
        counts=services.pool_counts(day=today),
        exposed=keys.exposed_among(q.id for q in found),
        category_form=CategoryForm(),
    )


@bp.route("/manage/quiz/categories", methods=["POST"])
@roles_required(*MANAGERS)
def create_category():
    """Add a category to the question bank."""
    form = CategoryForm()
    if not form.validate_on_submit():
        flash(_("The category needs a name."), "warning")
        return redirect(url_for("quiz.questions"))
    with domain_errors(category="warning"):
        services.create_category(actor=current_user, name=form.name.data)
        flash(_("The category has been added."), "success")
    return redirect(url_for("quiz.questions"))


@bp.route("/manage/quiz/questions/new", methods=["GET", "POST"])
@bp.route("/manage/quiz/questions/<int:question_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit_question(question_id: int | None = None):
    """Write or edit a question with its choices."""
    question = get_or_404(Question, question_id) if question_id else None
    form = QuestionForm.for_question(question)
    if form.validate_on_submit():
        with domain_errors(form, "text"):
            question = services.save_question(
                actor=current_user,
                question=question,
                category_id=form.category_id.data,
                kind=form.kind.data,
                text=form.text.data,
                choices=form.choice_pairs(),
                explanation=form.explanation.data or "",
                difficulty=form.difficulty.data,
                source=form.source.data or "",
                valid_from=form.valid_from.data,
                valid_to=form.valid_to.data,
                pool=form.pool.data,
            )
            flash(_("The question has been saved."), "success")
            return redirect(url_for("quiz.preview_question", question_id=question.id))
    return render_template("contests/quiz/manage/question_form.html", form=form, question=question)


@bp.route("/manage/quiz/questions/<int:question_id>")
@roles_required(*MANAGERS)
def preview_question(question_id: int):
    """The question as a student sees it, then its key, explanation and source."""
    question = get_or_404(Question, question_id)
    return render_template("contests/quiz/manage/question_preview.html", question=question)


@bp.route("/manage/quiz/questions/<int:question_id>/retire", methods=["POST"])
@roles_required(*MANAGERS)
def retire_question(question_id: int):
    """Take a question out of future draws."""
    question = get_or_404(Question, question_id)
    with domain_errors(category="warning"):
        services.retire_question(actor=current_user, question=question)
        flash(_("The question is retired and will not be drawn again."), "success")
    return redirect(url_for("quiz.questions"))


@bp.route("/manage/quiz/questions/import", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def import_questions():
    """Import questions from .xlsx, Aiken or GIFT: all or nothing, with a per-row report."""
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            report = formats.import_questions(
                actor=current_user,
                data=upload.read(),
                filename=upload.filename or "",
                fmt=form.format.data,
                category_id=form.category_id.data or None,
                pool=form.pool.data,
            )
        except ImportRejected as rejected:
            # Nothing was written: every row is checked before the first one is saved.
            fail_request()
            report = rejected.report
            flash(rejected.message, "danger")
        else:
            flash(_("%(n)d question(s) imported.", n=report.counts.get("questions", 0)), "success")
            return redirect(url_for("quiz.questions"))
    return render_template("contests/quiz/manage/import.html", form=form, report=report)


@bp.route("/manage/quiz/questions/template.xlsx")
@roles_required(*MANAGERS)
def question_template():
    """The spreadsheet template for importing questions."""
    return exports.xlsx_response(formats.template_bytes(), "mau-cau-hoi.xlsx")


@bp.route("/manage/quiz/questions/export.xlsx")
@roles_required(*MANAGERS)
def export_questions():
    """The whole bank as a spreadsheet in the import format."""
    return exports.xlsx_response(formats.export_bytes(), "ngan-hang-cau-hoi.xlsx")
