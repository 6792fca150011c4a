"""Quiz pages for organizers: the question bank (categories, questions, import, export)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from contests.quiz import exports, formats, keys, services
from contests.quiz.forms import (
    CategoryForm,
    ImportForm,
    QuestionForm,
)
from contests.quiz.models import (
    Pool,
    Question,
    QuestionCategory,
)
from contests.quiz.views.common import MANAGERS, bp, get_or_404
from core.accounts.permissions import roles_required
from core.clock import local_today
from core.extensions import db
from core.spreadsheets import ImportRejected
from core.transaction import domain_errors, fail_request

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
