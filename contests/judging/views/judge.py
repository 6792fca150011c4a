"""A judge's pages: the queue, the scoring sheet (it saves through the JSON API), a declared
conflict and the entry's photos. A judge reaches entries only through their own sheets."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from contests.essay.anonymity import judge_payload
from contests.essay.models import EntryPhoto, EssayRound
from contests.essay.services import paragraphs
from contests.judging import services
from contests.judging.forms import ConflictForm
from contests.judging.models import (
    MARKING,
    Assignment,
    JudgingRound,
)
from contests.judging.permissions import can_mark
from contests.judging.views.common import bp
from core.accounts.models import Role
from core.accounts.permissions import roles_required
from core.clock import utcnow
from core.extensions import db
from core.i18n import format_number
from core.storage import storage
from core.transaction import domain_errors


@bp.route("/judging")
@roles_required(Role.JUDGE)
def queue():
    """The judge's queue: entry codes and progress only, in random order per round."""
    sheets = services.my_assignments(current_user)
    criteria = {}
    for sheet in sheets:
        if sheet.round_id not in criteria:
            rubric = services.current_rubric(sheet.round_id)
            criteria[sheet.round_id] = len(rubric.criteria) if rubric else 0
    # Unscored first (to mark, then to reconcile), the submitted ones last; queue order within.
    sheets.sort(key=lambda s: (-s.round_id, s.status not in MARKING, s.position))
    unscored_only = request.args.get("show") == "unscored"
    rounds = {
        r.id: r
        for r in db.session.scalars(sa.select(EssayRound).where(EssayRound.id.in_(criteria)))
    }
    led = db.session.scalars(
        sa.select(JudgingRound).where(JudgingRound.chief_judge_id == current_user.id)
    ).all()
    return render_template(
        "contests/judging/queue.html",
        sheets=sheets,
        criteria=criteria,
        rounds=rounds,
        led=led,
        now=utcnow(),
        marking=MARKING,
        unscored_only=unscored_only,
    )


def _own_sheet(assignment_id: int) -> Assignment:
    sheet = db.session.get(Assignment, assignment_id)
    if sheet is None or not can_mark(current_user, sheet):
        abort(404)
    return sheet


@bp.route("/judging/sheets/<int:assignment_id>")
@roles_required(Role.JUDGE)
def score(assignment_id: int):
    """The scoring page: the masked entry and photos beside the rubric form (autosaves)."""
    sheet = _own_sheet(assignment_id)
    rubric = services.current_rubric(sheet.round_id)
    payload = judge_payload(sheet.entry)
    marks = {m.criterion_id: format_number(m.value, grouped=False) for m in sheet.marks}
    queue = [
        a.id
        for a in services.my_assignments(current_user)
        if a.round_id == sheet.round_id and (a.status in MARKING or a.id == sheet.id)
    ]
    here = queue.index(sheet.id)
    previous_id = queue[here - 1] if here > 0 else None
    following = queue[here + 1 :] + queue[:here]
    return render_template(
        "contests/judging/score.html",
        sheet=sheet,
        rubric=rubric,
        entry=payload,
        paragraphs=paragraphs,
        marks=marks,
        others=services.other_sheets(sheet),
        editable=sheet.status in MARKING,
        next_id=following[0] if following else None,
        previous_id=previous_id,
        position=here + 1,
        queue_size=len(queue),
        gaps=services.criterion_gaps(sheet),
        step=format_number(services.MARK_STEP),
        step_value=services.format_points(services.MARK_STEP),
        raw=services.format_points,
        conflict_form=ConflictForm(),
        fmt=format_number,
    )


@bp.route("/judging/sheets/<int:assignment_id>/conflict", methods=["POST"])
@roles_required(Role.JUDGE)
def conflict(assignment_id: int):
    """Declare a conflict of interest: the entry moves to another judge."""
    sheet = _own_sheet(assignment_id)
    form = ConflictForm()
    if not form.validate_on_submit():
        flash(_("Please say briefly why."), "danger")
        return redirect(url_for("judging.score", assignment_id=sheet.id))
    with domain_errors(category="danger"):
        services.declare_conflict(assignment=sheet, reason=form.reason.data)
        flash(_("Thank you. The entry has gone to another judge."), "success")
        return redirect(url_for("judging.queue"))
    return redirect(url_for("judging.score", assignment_id=sheet.id))


@bp.route("/judging/sheets/<int:assignment_id>/photos/<int:photo_id>")
@roles_required(Role.JUDGE)
def photo(assignment_id: int, photo_id: int):
    """A photo of an entry on the judge's own sheet (never from static/)."""
    sheet = _own_sheet(assignment_id)
    item = db.session.get(EntryPhoto, photo_id)
    if item is None or item.entry_id != sheet.entry_id:
        abort(404)
    return storage().send(item.storage_key, mimetype=item.mimetype)
