"""The chief judge's (and district staff's) pages: the rounds, the dashboard, an entry's sheets
and decision, publication."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from contests.essay.anonymity import judge_payload
from contests.essay.models import Entry, EssayRound
from contests.essay.services import paragraphs
from contests.judging import rules, services
from contests.judging.forms import (
    DecisionForm,
    PublishForm,
)
from contests.judging.models import (
    MARKING,
    Assignment,
    JudgingRound,
)
from contests.judging.permissions import can_organize
from contests.judging.views.common import bp, led_round
from core.accounts.permissions import require
from core.clock import utcnow
from core.extensions import db
from core.i18n import format_number
from core.transaction import domain_errors


@bp.route("/manage/judging")
@login_required
def manage():
    """Closed writing rounds and their judging state (organizers; chief judges see theirs)."""
    if can_organize(current_user):
        rounds = db.session.scalars(
            sa.select(EssayRound).order_by(EssayRound.closes_at.desc())
        ).all()
    else:
        rounds = db.session.scalars(
            sa.select(EssayRound)
            .join(JudgingRound, JudgingRound.round_id == EssayRound.id)
            .where(JudgingRound.chief_judge_id == current_user.id)
            .order_by(EssayRound.closes_at.desc())
        ).all()
        require(bool(rounds))
    setups = {
        s.round_id: s
        for s in db.session.scalars(
            sa.select(JudgingRound).where(JudgingRound.round_id.in_([r.id for r in rounds]))
        )
    }
    return render_template(
        "contests/judging/manage.html", rounds=rounds, setups=setups, now=utcnow()
    )


@bp.route("/manage/judging/rounds/<int:round_id>")
@login_required
def dashboard(round_id: int):
    """Progress per judge, open disagreements, agreement, ranking, appeals, publication."""
    round_, setup = led_round(round_id)
    report = services.agreement(round_.id)
    ranked = services.ranking(round_.id)
    entries = {
        e.id: e
        for e in db.session.scalars(sa.select(Entry).where(Entry.id.in_([r.id for r in ranked])))
    }
    marking = set(
        db.session.scalars(
            sa.select(Assignment.entry_id).where(
                Assignment.round_id == round_.id,
                Assignment.judge_id == current_user.id,
                Assignment.status.in_(MARKING),
            )
        )
    )
    open_judges = set(
        db.session.scalars(
            sa.select(Assignment.judge_id).where(
                Assignment.round_id == round_.id, Assignment.status.in_(MARKING)
            )
        )
    )
    return render_template(
        "contests/judging/dashboard.html",
        marking=marking,
        open_judges=open_judges,
        round=round_,
        setup=setup,
        rubric=services.current_rubric(round_.id),
        counts=services.counts(round_.id),
        progress=services.progress(round_.id),
        disagreements=services.open_disagreements(round_.id),
        report=report[0] if report else None,
        judge_names=report[1] if report else {},
        ranked=ranked,
        entries=entries,
        appeals=services.appeals(round_.id),
        publish_form=PublishForm(),
        can_organize=can_organize(current_user),
        fmt=format_number,
        now=utcnow(),
    )


@bp.route("/manage/judging/entries/<int:entry_id>", methods=["GET", "POST"])
@login_required
def decide(entry_id: int):
    """An entry's sheets side by side (by code), its resolution history and the chief's decision."""
    entry = db.session.get(Entry, entry_id)
    if entry is None:
        abort(404)
    round_, _setup = led_round(entry.round_id)
    form = DecisionForm()
    if form.validate_on_submit():
        with domain_errors(form, "value"):
            services.chief_decide(
                actor=current_user, entry=entry, value=form.value.data, reason=form.reason.data
            )
            flash(_("The decision has been recorded."), "success")
            return redirect(url_for("judging.dashboard", round_id=round_.id))
    sheets = db.session.scalars(
        sa.select(Assignment)
        .where(Assignment.entry_id == entry.id)
        .options(sa.orm.joinedload(Assignment.judge), sa.orm.selectinload(Assignment.marks))
        .order_by(Assignment.id)
    ).all()
    # A chief judge who is marking this entry too sees only their own sheet until they submit.
    marking_it = any(s.judge_id == current_user.id and s.status in MARKING for s in sheets)
    if marking_it:
        sheets = [s for s in sheets if s.judge_id == current_user.id]
    history = db.session.scalars(
        sa.select(services.Resolution)
        .where(services.Resolution.entry_id == entry.id)
        .order_by(services.Resolution.id)
    ).all()
    latest = history[-1] if history else None
    return render_template(
        "contests/judging/decide.html",
        round=round_,
        entry=entry,
        payload=judge_payload(entry),
        paragraphs=paragraphs,
        rubric=services.current_rubric(round_.id),
        sheets=sheets,
        history=[] if marking_it else history,
        marking_it=marking_it,
        waiting=not marking_it
        and latest is not None
        and not latest.final
        and latest.outcome != rules.Outcome.THIRD_JUDGE.value,
        form=form,
        fmt=format_number,
    )


@bp.route("/manage/judging/rounds/<int:round_id>/publish", methods=["POST"])
@login_required
def publish(round_id: int):
    """Publish the round's results (audited)."""
    round_, _setup = led_round(round_id)
    form = PublishForm()
    if form.validate_on_submit():
        with domain_errors(category="danger"):
            services.publish_results(actor=current_user, round_=round_)
            flash(_("The results have been published."), "success")
    elif form.confirm.errors:
        flash(form.confirm.errors[0], "warning")
    return redirect(url_for("judging.dashboard", round_id=round_.id))
