"""Quiz pages for organizers: contests, rounds, results, release and exports."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from contests.quiz import exports, leaderboards, services
from contests.quiz.forms import (
    ContestForm,
    ExtraTimeForm,
    ReleaseForm,
    RoundForm,
    round_form_values,
)
from contests.quiz.models import (
    Accommodation,
    QuestionCategory,
    QuizContest,
    QuizRound,
)
from contests.quiz.views.common import MANAGERS, bp, get_or_404
from core.accounts.models import User
from core.accounts.permissions import roles_required
from core.clock import local_today, utcnow
from core.extensions import db
from core.transaction import domain_errors

# --- organizers: contests and rounds ------------------------------------------------------------


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
