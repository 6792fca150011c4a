"""Judging pages: the judge's queue and scoring sheet, the chief judge's and organizers'
dashboard (set-up, assignment, decisions, agreement, ranking, advancement, publication,
appeals, export), the public results page, and each student's own marks and certificates.

The scoring sheet itself saves through the JSON API (``contests.judging.api``).

Past ~400 lines on purpose for now: every page hangs on one blueprint whose endpoint names
templates and tests use, and the views are already thin (form → permission → one service). The
split by audience (judge, chief/organizer, public and student), as greennet's views/ package did,
is the next step of the renovation (issue 12 note).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from contests.essay.anonymity import context_for, judge_payload, public_name
from contests.essay.models import Entry, EntryPhoto, EssayRound
from contests.essay.services import paragraphs
from contests.judging import exports, rules, services
from contests.judging.forms import (
    RUBRIC_ROWS,
    AdvanceForm,
    AppealForm,
    AssignForm,
    ConflictForm,
    DecisionForm,
    PublishForm,
    RubricForm,
    SetupForm,
)
from contests.judging.models import (
    MARKING,
    Appeal,
    AppealStatus,
    Assignment,
    JudgingRound,
    Result,
)
from contests.judging.permissions import can_lead, can_mark, can_organize, can_view_results
from core.accounts.models import Role, RoleAssignment, User
from core.accounts.permissions import require, roles_required
from core.clock import utcnow
from core.errors import DomainError
from core.extensions import db
from core.schools.models import School
from core.spreadsheets import XLSX_MIME
from core.storage import storage
from core.transaction import domain_errors, fail_request
from core.web import writes_on_read

bp = Blueprint("judging", __name__)


# --- judges -----------------------------------------------------------------------------------


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
    marks = {m.criterion_id: services._fmt(m.value) for m in sheet.marks}
    queue_ids = [a.id for a in services.my_assignments(current_user) if a.status in MARKING]
    following = [i for i in queue_ids if i != sheet.id]
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
        conflict_form=ConflictForm(),
        fmt=services._fmt,
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


# --- chief judge and organizers ---------------------------------------------------------------


def _led(round_id: int) -> tuple[EssayRound, JudgingRound | None]:
    round_ = services.get_round(round_id)
    setup = services.find_setup(round_id)
    require(can_lead(current_user, setup))
    return round_, setup


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
    round_, setup = _led(round_id)
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
    return render_template(
        "contests/judging/dashboard.html",
        marking=marking,
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
        fmt=services._fmt,
        now=utcnow(),
    )


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
        form.scale.data = services._fmt(current.scale)
        for row, criterion in zip(form.criteria, current.criteria, strict=False):
            row.form.name.data = criterion.name
            row.form.guidance.data = criterion.guidance
            row.form.max_points.data = services._fmt(criterion.max_points)
    if form.validate_on_submit():
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


@bp.route("/manage/judging/entries/<int:entry_id>", methods=["GET", "POST"])
@login_required
def decide(entry_id: int):
    """An entry's sheets side by side (by code), its resolution history and the chief's decision."""
    entry = db.session.get(Entry, entry_id)
    if entry is None:
        abort(404)
    round_, _setup = _led(entry.round_id)
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
        fmt=services._fmt,
    )


@bp.route("/manage/judging/rounds/<int:round_id>/publish", methods=["POST"])
@login_required
def publish(round_id: int):
    """Publish the round's results (audited)."""
    round_, _setup = _led(round_id)
    form = PublishForm()
    if form.validate_on_submit():
        with domain_errors(category="danger"):
            services.publish_results(actor=current_user, round_=round_)
            flash(_("The results have been published."), "success")
    elif form.confirm.errors:
        flash(form.confirm.errors[0], "warning")
    return redirect(url_for("judging.dashboard", round_id=round_.id))


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


@bp.route("/manage/judging/appeals/<int:appeal_id>", methods=["GET", "POST"])
@login_required
def appeal(appeal_id: int):
    """An appeal: the fresh blind mark beside the published score; the chief judge decides."""
    item = db.session.get(Appeal, appeal_id)
    if item is None:
        abort(404)
    round_, _setup = _led(item.round_id)
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
        fmt=services._fmt,
        marked=item.status != AppealStatus.OPEN,
    )


def _masked(entry: Entry, text: str) -> str:
    return context_for(entry).mask(text)


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


# --- results, students ------------------------------------------------------------------------


@bp.route("/results/essay/<int:round_id>")
def results(round_id: int):
    """The public results page (after publication): masked names unless consent was given."""
    round_ = services.get_round(round_id)
    setup = services.find_setup(round_id)
    if not can_view_results(current_user, setup):
        abort(404)
    rows = services.published_results(round_.id)
    schools = dict(db.session.execute(sa.select(School.id, School.name)).all())
    shown = [
        {
            "rank": r.rank,
            "tied": r.tied,
            "score": services._fmt(r.score),
            "award": exports.award_label(r.award),
            "winner": r.award.value != "participation",
            "name": public_name(r.entry.student.full_name, consent=r.entry.may_publish_name),
            "school": schools.get(r.entry.school_id, "") if r.entry.may_publish_name else "",
            "advanced": r.advanced,
        }
        for r in rows
    ]
    return render_template("contests/judging/results.html", round=round_, setup=setup, rows=shown)


@bp.route("/judging/my-results")
@roles_required(Role.STUDENT)
def my_results():
    """The student's own published marks, comments and certificates, and appeals."""
    items = services.my_results(current_user)
    setups = {
        s.round_id: s
        for s in db.session.scalars(
            sa.select(JudgingRound).where(
                JudgingRound.round_id.in_([r.round_id for r, _s in items])
            )
        )
    }
    appeals = {
        a.entry_id: a
        for a in db.session.scalars(sa.select(Appeal).where(Appeal.student_id == current_user.id))
    }
    return render_template(
        "contests/judging/my_results.html",
        items=items,
        setups=setups,
        appeals=appeals,
        form=AppealForm(),
        award_label=exports.award_label,
        fmt=services._fmt,
        now=utcnow(),
    )


@bp.route("/judging/results/<int:result_id>/certificate.pdf")
@login_required
def certificate(result_id: int):
    """The student's certificate (a winner's, or of participation) as PDF."""
    result = services.get_result_for(current_user, result_id)
    data = exports.certificate_pdf(result)
    return (
        data,
        200,
        {
            "Content-Type": "application/pdf",
            "Content-Disposition": f'attachment; filename="giay-chung-nhan-{result.entry.code}.pdf"',
        },
    )


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
