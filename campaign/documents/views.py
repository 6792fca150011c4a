"""The organizer's pages: a movement's documents, and the draft of one before it is exported."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from campaign.documents import drafting, services
from campaign.documents.forms import draft_form_class
from campaign.documents.permissions import can_draft
from campaign.documents.subjects import KINDS, is_final, kind_or_404, resolve
from campaign.greennet.permissions import can_manage_movements
from campaign.greennet.services import movements
from core.accounts.permissions import require
from core.errors import DomainError
from core.transaction import domain_errors

bp = Blueprint("documents", __name__)

SUBJECT_ARGS = ("movement_id", "school_id", "milestone", "contest_id", "inspection_id")


def _subject_args() -> dict:
    values = {}
    for name in SUBJECT_ARGS:
        raw = request.args.get(name)
        if raw in (None, ""):
            continue
        if name == "milestone":
            values[name] = raw
        elif raw.isdigit():
            values[name] = int(raw)
        else:
            abort(404)
    return values


@bp.route("/documents")
@login_required
def index():
    """The movements' official documents, district-wide."""
    require(can_manage_movements(current_user))
    return render_template("campaign/documents/index.html", movements=movements(), kinds=KINDS)


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
