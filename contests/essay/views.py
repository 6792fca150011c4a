"""Writing contest pages: the student's editor, organizers' set-up and checks, coordinators'
participation list. The editor itself talks to the JSON API (``contests.essay.api``)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from contests.essay import anonymity, exports, services, similarity
from contests.essay.forms import (
    ContestForm,
    DecisionForm,
    DisqualifyForm,
    ReferenceForm,
    RoundForm,
)
from contests.essay.models import (
    Entry,
    EntryPhoto,
    EntryStatus,
    EssayContest,
    EssayRound,
    FlagStatus,
    SimilarityFlag,
)
from contests.essay.permissions import (
    can_view_contest,
    can_view_photo,
    can_view_school_progress,
    can_write,
)
from core.accounts.models import Role
from core.accounts.permissions import require, roles_required
from core.clock import utcnow
from core.extensions import db
from core.schools.models import School
from core.spreadsheets import XLSX_MIME
from core.storage import storage
from core.transaction import domain_errors

bp = Blueprint("essay", __name__)


# --- everyone ---------------------------------------------------------------------------------


@bp.route("/contests/essay/<int:contest_id>")
def show(contest_id: int):
    """A writing contest's public page: its rounds, themes, prompts, deadlines and rules."""
    item = db.session.get(EssayContest, contest_id)
    if item is None or not can_view_contest(current_user, item):
        abort(404)
    return render_template(
        "contests/essay/show.html",
        contest=item,
        now=utcnow(),
        paragraphs=services.paragraphs,
        can_write=lambda r: can_write(current_user, r) and r.is_open(utcnow()),
    )


# --- students ---------------------------------------------------------------------------------


@bp.route("/essay")
@roles_required(Role.STUDENT)
def index():
    """The student's writing contests: open rounds and their own entries with receipts."""
    now = utcnow()
    entries = db.session.scalars(
        sa.select(Entry)
        .where(Entry.student_id == current_user.id)
        .order_by(Entry.created_at.desc())
    ).all()
    entered = {e.round_id for e in entries}
    rounds = [r for r in services.open_rounds_for(current_user, now=now) if r.id not in entered]
    return render_template("contests/essay/index.html", rounds=rounds, entries=entries, now=now)


@bp.route("/essay/rounds/<int:round_id>")
@roles_required(Role.STUDENT)
def write(round_id: int):
    """The distraction-free editor (phone first); it loads and saves through the API."""
    round_ = services.get_round(round_id)
    require(can_write(current_user, round_))
    entry = services.find_entry(round_=round_, student=current_user)
    return render_template(
        "contests/essay/write.html",
        round=round_,
        entry=entry,
        is_open=round_.is_open(utcnow()),
        paragraphs=services.paragraphs,
    )


@bp.route("/essay/photos/<int:photo_id>")
@login_required
def photo(photo_id: int):
    """A photo of an entry, for its author and organizers only (never from static/)."""
    item = db.session.get(EntryPhoto, photo_id)
    if item is None or not can_view_photo(current_user, item):
        abort(404)
    return storage().send(item.storage_key, mimetype=item.mimetype)


# --- organizers -------------------------------------------------------------------------------


@bp.route("/manage/essay", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def manage():
    """Every writing contest; create a new one on a campaign."""
    form = ContestForm()
    if form.validate_on_submit():
        with domain_errors(form, "title"):
            contest = services.create_contest(
                actor=current_user,
                campaign_id=form.campaign_id.data,
                title=form.title.data,
                description=form.description.data or "",
            )
            flash(_("The contest has been created."), "success")
            return redirect(url_for("essay.contest", contest_id=contest.id))
    contests = db.session.scalars(
        sa.select(EssayContest).order_by(EssayContest.created_at.desc())
    ).all()
    return render_template("contests/essay/manage.html", contests=contests, form=form, now=utcnow())


@bp.route("/manage/essay/contests/<int:contest_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def contest(contest_id: int):
    """A contest's rounds and its reference model essays (add one here)."""
    item = services.get_contest(contest_id)
    form = ReferenceForm()
    if form.validate_on_submit():
        with domain_errors(form, "body"):
            services.add_reference(
                actor=current_user,
                contest=item,
                title=form.title.data,
                body=form.body.data,
                source=form.source.data or "",
            )
            flash(_("The model essay has been added to the similarity check."), "success")
            return redirect(url_for("essay.contest", contest_id=item.id))
    references = similarity.references(item)
    return render_template(
        "contests/essay/contest.html", contest=item, form=form, references=references, now=utcnow()
    )


@bp.route("/manage/essay/contests/<int:contest_id>/rounds/new", methods=["GET", "POST"])
@bp.route("/manage/essay/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def edit_round(contest_id: int | None = None, round_id: int | None = None):
    """Set up a round: stage, theme, prompt, window, word limits, photos, eligibility."""
    round_ = services.get_round(round_id) if round_id else None
    item = round_.contest if round_ else services.get_contest(contest_id)
    form = RoundForm(obj=round_)
    if round_ is not None and request.method == "GET":
        form.load(round_)
    if form.validate_on_submit():
        with domain_errors(form, "name"):
            round_ = services.save_round(
                actor=current_user, contest=item, round_=round_, **form.values()
            )
            flash(_("The round has been saved."), "success")
            return redirect(url_for("essay.round_dashboard", round_id=round_.id))
    return render_template("contests/essay/round_form.html", form=form, contest=item, round=round_)


@bp.route("/manage/essay/rounds/<int:round_id>")
@roles_required(Role.ADMIN, Role.ORGANIZER)
def round_dashboard(round_id: int):
    """Live counts by school, the similarity queue and the entries (codes and schools)."""
    round_ = services.get_round(round_id)
    flags = similarity.open_flags(round_)
    entries = db.session.scalars(
        sa.select(Entry)
        .where(Entry.round_id == round_.id, Entry.status != EntryStatus.DRAFT)
        .options(sa.orm.selectinload(Entry.student))
        .order_by(Entry.code)
    ).all()
    return render_template(
        "contests/essay/round.html",
        round=round_,
        counts=services.counts_by_school(round_),
        flags=flags,
        entries=entries,
        disqualify_form=DisqualifyForm(),
        now=utcnow(),
    )


@bp.route("/manage/essay/rounds/<int:round_id>/similarity", methods=["POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def run_similarity(round_id: int):
    """Check the round for near-copies now."""
    round_ = services.get_round(round_id)
    found = similarity.check_round(round_=round_)
    flash(_("Similarity check finished: %(n)d new flags.", n=found), "success")
    return redirect(url_for("essay.round_dashboard", round_id=round_.id))


@bp.route("/manage/essay/flags/<int:flag_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def flag(flag_id: int):
    """A flagged pair with the matching passages side by side; clear or disqualify."""
    item = db.session.get(SimilarityFlag, flag_id)
    if item is None:
        abort(404)
    form = DecisionForm(item)
    if form.validate_on_submit():
        status, targets = form.OUTCOMES[form.decision.data]
        with domain_errors(form, "reason"):
            similarity.decide(
                actor=current_user,
                flag=item,
                decision=FlagStatus(status),
                reason=form.reason.data,
                targets=targets,
            )
            flash(_("The decision has been recorded."), "success")
            return redirect(url_for("essay.round_dashboard", round_id=item.round_id))
    return render_template(
        "contests/essay/flag.html",
        flag=item,
        form=form,
        passages=similarity.passages(item),
    )


@bp.route("/manage/essay/entries/<int:entry_id>/judge-view")
@roles_required(Role.ADMIN, Role.ORGANIZER)
def judge_preview(entry_id: int):
    """The entry exactly as judges get it (masked, by code), to check the masking."""
    entry = db.session.get(Entry, entry_id)
    if entry is None:
        abort(404)
    return render_template(
        "contests/essay/judge_preview.html",
        entry=entry,
        payload=anonymity.judge_payload(entry),
        paragraphs=services.paragraphs,
        photo_url=lambda photo_id: url_for("essay.photo", photo_id=photo_id),
    )


@bp.route("/manage/essay/entries/<int:entry_id>/disqualify", methods=["POST"])
@roles_required(Role.ADMIN, Role.ORGANIZER)
def disqualify(entry_id: int):
    """Disqualify an entry with a reason (audited)."""
    entry = db.session.get(Entry, entry_id)
    if entry is None:
        abort(404)
    form = DisqualifyForm()
    if not form.validate_on_submit():
        flash(_("Please give the reason."), "warning")
    else:
        services.disqualify_entry(actor=current_user, entry=entry, reason=form.reason.data)
        flash(_("Entry %(code)s has been disqualified.", code=entry.code), "success")
    return redirect(url_for("essay.round_dashboard", round_id=entry.round_id))


@bp.route("/manage/essay/rounds/<int:round_id>/entries.xlsx")
@roles_required(Role.ADMIN, Role.ORGANIZER)
def export_xlsx(round_id: int):
    """Every entry of the round with its author, school, status and counts (organizers only)."""
    round_ = services.get_round(round_id)
    data = exports.entries_workbook(round_)
    return (
        data,
        200,
        {
            "Content-Type": XLSX_MIME,
            "Content-Disposition": f'attachment; filename="essay-round-{round_.id}.xlsx"',
        },
    )


@bp.route("/manage/essay/rounds/<int:round_id>/anonymous.pdf")
@roles_required(Role.ADMIN, Role.ORGANIZER)
def export_pdf(round_id: int):
    """The submitted entries, masked and known only by code, for offline judging."""
    round_ = services.get_round(round_id)
    data = exports.anonymous_bundle(round_)
    return (
        data,
        200,
        {
            "Content-Type": "application/pdf",
            "Content-Disposition": f'attachment; filename="essay-round-{round_.id}-anonymous.pdf"',
        },
    )


# --- coordinators -----------------------------------------------------------------------------


@bp.route("/school/essay")
@roles_required(Role.COORDINATOR)
def school_progress():
    """Which of the coordinator's students have submitted in each round (never the text)."""
    school_ids = sorted(current_user.school_ids_for(Role.COORDINATOR))
    school_id = request.args.get("school", type=int) or (school_ids[0] if school_ids else None)
    school = db.session.get(School, school_id) if school_id else None
    if school is None:
        abort(404)
    require(can_view_school_progress(current_user, school.id))
    rounds = db.session.scalars(sa.select(EssayRound).order_by(EssayRound.opens_at.desc())).all()
    round_id = request.args.get("round", type=int) or (rounds[0].id if rounds else None)
    round_ = next((r for r in rounds if r.id == round_id), None)
    rows = services.school_progress(round_=round_, school=school) if round_ else []
    return render_template(
        "contests/essay/school.html",
        school=school,
        rounds=rounds,
        round=round_,
        rows=rows,
        submitted=sum(1 for r in rows if r.status == EntryStatus.SUBMITTED.value),
    )
