"""Appeals (phúc khảo): a student asks for a re-mark; the chief judge decides after the fresh
blind mark."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from contests.essay.anonymity import context_for
from contests.essay.models import Entry
from contests.judging import services
from contests.judging.forms import (
    AppealForm,
    DecisionForm,
)
from contests.judging.models import (
    Appeal,
    AppealStatus,
    Result,
)
from contests.judging.views.common import bp, led_round
from core.accounts.models import Role
from core.accounts.permissions import roles_required
from core.extensions import db
from core.i18n import format_number
from core.transaction import domain_errors


@bp.route("/manage/judging/appeals/<int:appeal_id>", methods=["GET", "POST"])
@login_required
def appeal(appeal_id: int):
    """An appeal: the fresh blind mark beside the published score; the chief judge decides."""
    item = db.session.get(Appeal, appeal_id)
    if item is None:
        abort(404)
    round_, _setup = led_round(item.round_id)
    form = DecisionForm()
    if form.validate_on_submit():
        with domain_errors(form, "value"):
            services.decide_appeal(
                actor=current_user, appeal=item, value=form.value.data, reason=form.reason.data
            )
            flash(_("The decision has been recorded."), "success")
            return redirect(url_for("judging.dashboard", round_id=round_.id))
    return render_template(
        "contests/judging/appeal.html",
        round=round_,
        appeal=item,
        reason=_masked(item.entry, item.reason),
        form=form,
        rubric=services.current_rubric(round_.id),
        fmt=format_number,
        marked=item.status != AppealStatus.OPEN,
    )


def _masked(entry: Entry, text: str) -> str:
    return context_for(entry).mask(text)


@bp.route("/judging/results/<int:result_id>/appeal", methods=["POST"])
@roles_required(Role.STUDENT)
def file_appeal(result_id: int):
    """Ask for a re-mark (phúc khảo) within the window after publication."""
    result = db.session.get(Result, result_id)
    if result is None or result.entry.student_id != current_user.id:
        abort(404)
    form = AppealForm()
    if not form.validate_on_submit():
        flash(_("Please say why you ask for a re-mark."), "danger")
        return redirect(url_for("judging.my_results"))
    with domain_errors(category="danger"):
        services.file_appeal(student=current_user, result=result, reason=form.reason.data)
        flash(_("Your request has been sent. A new judge will mark your entry."), "success")
    return redirect(url_for("judging.my_results"))
