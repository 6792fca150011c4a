"""The organizer's pages: a movement's documents, and the draft of one before it is exported."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from campaign.campaigns.models import Campaign
from campaign.documents import drafting, services
from campaign.documents.forms import IssuersForm, draft_form_class
from campaign.documents.permissions import can_draft
from campaign.documents.subjects import KINDS, is_final, kind_or_404, resolve
from campaign.greennet.models import Movement
from campaign.greennet.permissions import can_manage_movements
from campaign.greennet.services import movements
from contests.essay.models import EssayContest
from contests.quiz.models import QuizContest
from core.accounts.permissions import require
from core.errors import DomainError
from core.extensions import db
from core.hardening import DB_INT_MAX
from core.organisations import services as organisations
from core.transaction import domain_errors

bp = Blueprint("documents", __name__)

SUBJECT_ARGS = (
    "movement_id",
    "school_id",
    "milestone",
    "contest_id",
    "quiz_contest_id",
    "inspection_id",
)


def _subject_args() -> dict:
    values = {}
    for name in SUBJECT_ARGS:
        raw = request.args.get(name)
        if raw in (None, ""):
            continue
        if name == "milestone":
            values[name] = raw
        elif raw.isdigit() and 0 < int(raw) <= DB_INT_MAX:
            values[name] = int(raw)
        else:
            abort(404)
    return values


@bp.route("/documents")
@login_required
def index():
    """The movements' official documents, district-wide."""
    require(can_manage_movements(current_user))
    return render_template(
        "campaign/documents/index.html",
        movements=movements(),
        kinds=KINDS,
        campaigns=db.session.scalars(sa.select(Campaign).order_by(Campaign.id.desc())).all(),
        essay_contests=db.session.scalars(sa.select(EssayContest).order_by(EssayContest.id)).all(),
        quiz_contests=db.session.scalars(sa.select(QuizContest).order_by(QuizContest.id)).all(),
    )


@bp.route("/documents/<kind>/draft", methods=["GET", "POST"])
@login_required
def draft(kind: str):
    """Edit a document's narrative, number and date, then download it."""
    args = _subject_args()
    try:
        subject = resolve(kind_or_404(kind), **args)
    except DomainError:
        abort(404)
    require(can_draft(current_user, subject))
    current = services.draft_for(subject)
    keys = drafting.SECTIONS[subject.kind.slug]
    form = draft_form_class(keys)()
    if not form.is_submitted():
        form.subject_line.data = current.subject
        form.number.data = current.number
        form.issued_on.data = current.issued_on
        form.recipients.data = current.recipients
        for key in keys:
            getattr(form, f"section_{key}").data = (current.sections or {}).get(key, "")
    if form.validate_on_submit():
        with domain_errors(form, "number"):
            services.save_draft(
                actor=current_user,
                subject=subject,
                subject_line=form.subject_line.data,
                sections={key: getattr(form, f"section_{key}").data for key in keys},
                recipients=form.recipients.data or "",
                number=form.number.data,
                issued_on=form.issued_on.data,
            )
            flash(_("The document has been saved."), "success")
            return redirect(url_for("documents.draft", kind=kind, **args))
    return render_template(
        "campaign/documents/draft.html",
        form=form,
        subject=subject,
        args=args,
        keys=keys,
        final=is_final(subject),
        saved=current.id is not None,
    )


#: What may name its issuing bodies, by the table name the link keeps (``IssuerLink``).
ISSUER_SUBJECTS = {
    "campaign": Campaign,
    "movement": Movement,
    "essay_contest": EssayContest,
    "quiz_contest": QuizContest,
}


@bp.route(
    "/documents/issuers/<any(campaign, movement, essay_contest, quiz_contest):subject_type>"
    "/<int:subject_id>",
    methods=["GET", "POST"],
)
@login_required
def issuers(subject_type: str, subject_id: int):
    """Choose the bodies that issue a campaign's, a movement's or a contest's documents."""
    require(can_manage_movements(current_user))
    subject = db.session.get(ISSUER_SUBJECTS[subject_type], subject_id)
    if subject is None:
        abort(404)
    form = IssuersForm()
    form.set_choices(organisations.organisations())
    linked = organisations.linked_issuers(subject_type, subject_id)
    if not form.is_submitted():
        for name, organisation in zip(
            ("signer", "co_issuer_1", "co_issuer_2"), linked, strict=False
        ):
            getattr(form, name).data = organisation.id
    if form.validate_on_submit():
        organisations.set_issuers(
            actor=current_user,
            subject_type=subject_type,
            subject_id=subject_id,
            organisation_ids=form.organisation_ids(),
        )
        flash(_("The issuing bodies have been saved."), "success")
        return redirect(
            url_for("documents.issuers", subject_type=subject_type, subject_id=subject_id)
        )
    return render_template(
        "campaign/documents/issuers.html",
        form=form,
        subject=subject,
        subject_type=subject_type,
        fallback=organisations.issuers_of(subject_type, subject_id) if not linked else [],
    )
