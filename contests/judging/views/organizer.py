"""District staff's pages: set-up and pool, rubric, assignment, advancement, the export, and
moving a withdrawn or deactivated judge's open sheets."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from contests.essay.models import EssayRound
from contests.judging import exports, services
from contests.judging.forms import (
    RUBRIC_ROWS,
    ActionForm,
    AdvanceForm,
    AssignForm,
    RubricForm,
    SetupForm,
)
from contests.judging.permissions import can_organize
from contests.judging.views.common import bp
from core.accounts.models import Role, RoleAssignment, User
from core.accounts.permissions import require, roles_required
from core.errors import DomainError
from core.extensions import db
from core.i18n import format_number
from core.schools.models import School
from core.spreadsheets import XLSX_MIME
from core.transaction import domain_errors, fail_request
from core.web import writes_on_read


@bp.route("/manage/judging/rounds/<int:round_id>/setup", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def setup(round_id: int):
    """Judges per entry, deadlines, thresholds, the pool and the chief judge."""
    round_ = services.get_round(round_id)
    current = services.find_setup(round_.id)
    form = SetupForm(obj=current)
    judges = (
        db.session.scalars(
            sa.select(User)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.role == Role.JUDGE, User.active.is_(True))
            .order_by(User.full_name)
        )
        .unique()
        .all()
    )
    schools = dict(db.session.execute(sa.select(School.id, School.name)).all())
    no_school = _("no school")
    labels = [
        SelectChoice(j.id, f"{j.full_name} — {schools.get(j.school_id, no_school)}") for j in judges
    ]
    form.active.choices = labels
    form.reserve.choices = labels
    staff = (
        db.session.scalars(
            sa.select(User)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.role.in_((Role.ORGANIZER, Role.ADMIN)), User.active.is_(True))
            .order_by(User.full_name)
        )
        .unique()
        .all()
    )
    form.chief_judge.choices = [SelectChoice(0, _("— none —"))] + [
        SelectChoice(u.id, u.full_name)
        for u in {**{s.id: s for s in staff}, **{j.id: j for j in judges}}.values()
    ]
    members = services.pool_members(round_.id)
    if not form.is_submitted():
        form.active.data = [m.user_id for m in members if m.role.value == "active"]
        form.reserve.data = [m.user_id for m in members if m.role.value == "reserve"]
        form.chief_judge.data = (current.chief_judge_id if current else None) or 0
    if form.validate_on_submit():
        with domain_errors(form, "active"):
            services.configure(
                actor=current_user,
                round_=round_,
                **{k: getattr(form, k).data for k in services.SETUP_FIELDS},
            )
            services.set_pool(
                actor=current_user,
                round_=round_,
                active=form.active.data or [],
                reserve=form.reserve.data or [],
                chief_judge_id=form.chief_judge.data or None,
            )
            flash(_("The judging set-up has been saved."), "success")
            return redirect(url_for("judging.dashboard", round_id=round_.id))
    return render_template("contests/judging/setup.html", round=round_, form=form)


@bp.route("/manage/judging/rounds/<int:round_id>/rubric", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def rubric(round_id: int):
    """The rubric: criteria with guidance and maxima; after judging starts, a new version."""
    round_ = services.get_round(round_id)
    current = services.current_rubric(round_.id)
    form = RubricForm()
    if not form.is_submitted() and current is not None:
        form.scale.data = format_number(current.scale, grouped=False)
        for row, criterion in zip(form.criteria, current.criteria, strict=False):
            row.form.name.data = criterion.name
            row.form.guidance.data = criterion.guidance
            row.form.max_points.data = format_number(criterion.max_points, grouped=False)
    if form.validate_on_submit():
        # An error names its criterion's field ("criteria-1-name"), else it goes by the scale.
        with domain_errors(form, "scale"):
            services.save_rubric(
                actor=current_user,
                round_=round_,
                criteria=[row.data for row in form.criteria],
                scale=form.scale.data,
            )
            flash(_("The rubric has been saved."), "success")
            return redirect(url_for("judging.dashboard", round_id=round_.id))
    return render_template(
        "contests/judging/rubric.html", round=round_, form=form, rubric=current, rows=RUBRIC_ROWS
    )


@bp.route("/manage/judging/rounds/<int:round_id>/judges/<int:judge_id>/move", methods=["POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def move_sheets(round_id: int, judge_id: int):
    """Move a withdrawn or deactivated judge's open sheets to other judges at once."""
    round_ = services.get_round(round_id)
    form = ActionForm()
    if form.validate_on_submit():
        with domain_errors(category="danger"):
            result = services.move_judge_sheets(
                actor=current_user, round_=round_, judge_id=judge_id
            )
            flash(_("%(n)d open sheets have moved to other judges.", n=result.moved), "success")
            if result.left:
                flash(_sheets_left_message(result.left), "warning")
    return redirect(url_for("judging.dashboard", round_id=round_.id))


def _sheets_left_message(left) -> str:
    """Which sheets stayed with the withdrawn judge, and why, in one sentence."""
    reasons = {
        "reconciling": _(
            "being reconciled: the judge can still finish it, or the chief judge decides it"
        ),
        "nobody_eligible": _(
            "no judge left can take it (the others are from the author's school, already "
            "mark it, declared a conflict or are inactive): add a reserve judge, then move again"
        ),
    }
    items = "; ".join(f"{sheet.code} ({reasons[sheet.reason]})" for sheet in left)
    return _("%(n)d sheets could not be moved: %(items)s.", n=len(left), items=items)


@bp.route("/manage/judging/rounds/<int:round_id>/assign", methods=["GET", "POST"])
@writes_on_read
@roles_required(Role.ADMIN, Role.ORGANIZER)
def assign(round_id: int):
    """Preview the plan (loads, same-school pairs and conflicts avoided), then commit it."""
    round_ = services.get_round(round_id)
    form = AssignForm()
    if form.validate_on_submit():
        try:
            plan = services.run_assignment(
                actor=current_user, round_=round_, seed=int(form.seed.data)
            )
        except (DomainError, ValueError) as error:
            fail_request()
            flash(getattr(error, "message", _("The plan could not be stored.")), "danger")
        else:
            flash(
                _("%(n)d entries have been given their judges.", n=len(plan.assignments)),
                "success",
            )
            return redirect(url_for("judging.dashboard", round_id=round_.id))
    plan, problem = None, None
    try:
        plan = services.preview_assignment(round_=round_)
    except DomainError as error:
        problem = error.message
    names = {}
    if plan:
        names = dict(
            db.session.execute(
                sa.select(User.id, User.full_name).where(User.id.in_(list(plan.loads)))
            ).all()
        )
        form.seed.data = str(plan.seed)
    return render_template(
        "contests/judging/assign.html",
        round=round_,
        plan=plan,
        problem=problem,
        names=names,
        form=form,
    )


@bp.route("/manage/judging/rounds/<int:round_id>/advance", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def advance(round_id: int):
    """Carry the top N (overall or per school; ties at the cut go through) to the next round."""
    round_ = services.get_round(round_id)
    form = AdvanceForm()
    later = db.session.scalars(
        sa.select(EssayRound)
        .where(EssayRound.contest_id == round_.contest_id, EssayRound.id != round_.id)
        .order_by(EssayRound.stage, EssayRound.opens_at)
    ).all()
    form.to_round.choices = [SelectChoice(r.id, r.name) for r in later]
    if form.validate_on_submit():
        with domain_errors(form, "top_n"):
            result = services.advance_entries(
                actor=current_user,
                round_=round_,
                to_round=services.get_round(form.to_round.data),
                top_n=form.top_n.data,
                per_school=form.per_school.data,
            )
            flash(
                _(
                    "%(n)d entries go through (%(tie)d of them tied at the cut).",
                    n=len(result.advancing),
                    tie=len(result.through_on_tie),
                ),
                "success",
            )
            return redirect(url_for("judging.dashboard", round_id=round_.id))
    return render_template("contests/judging/advance.html", round=round_, form=form)


@bp.route("/manage/judging/rounds/<int:round_id>/export.xlsx")
@login_required
def export(round_id: int):
    """Every mark and result of the round, with authors: for district staff only."""
    round_ = services.get_round(round_id)
    require(can_organize(current_user))
    data = exports.round_workbook(round_)
    return (
        data,
        200,
        {
            "Content-Type": XLSX_MIME,
            "Content-Disposition": f'attachment; filename="cham-thi-vong-{round_.id}.xlsx"',
        },
    )
