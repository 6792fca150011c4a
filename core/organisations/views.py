"""The organizer's settings page of issuing bodies."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.accounts.permissions import require
from core.extensions import db
from core.organisations import services
from core.organisations.forms import OrganisationForm
from core.organisations.models import Organisation
from core.organisations.permissions import can_manage_organisations
from core.schools.services import list_schools
from core.storage import storage
from core.transaction import domain_errors

bp = Blueprint("organisations", __name__)


@bp.route("/settings/organisations")
@login_required
def index():
    """List the bodies that issue documents."""
    require(can_manage_organisations(current_user))
    return render_template("core/organisations/index.html", organisations=services.organisations())


@bp.route("/settings/organisations/new", methods=["GET", "POST"])
@bp.route("/settings/organisations/<int:organisation_id>", methods=["GET", "POST"])
@login_required
def edit(organisation_id: int | None = None):
    """Create or edit an issuing body."""
    require(can_manage_organisations(current_user))
    organisation = None
    if organisation_id is not None:
        organisation = db.session.get(Organisation, organisation_id)
        if organisation is None:
            abort(404)
    form = OrganisationForm(obj=organisation)
    form.school_id.choices = [(0, "—")] + [(s.id, s.name) for s in list_schools()]
    if organisation and not form.is_submitted():
        form.kind.data = organisation.kind.value
        form.school_id.data = organisation.school_id or 0
    if form.validate_on_submit():
        with domain_errors(form, "name"):
            organisation = services.save_organisation(
                actor=current_user,
                organisation=organisation,
                kind=form.kind.data,
                name=form.name.data,
                parent_name=form.parent_name.data or "",
                place_name=form.place_name.data or "",
                symbol=form.symbol.data or "",
                signer_title=form.signer_title.data or "",
                signer_name=form.signer_name.data or "",
                school_id=form.school_id.data or None,
            )
            if form.logo.data:
                services.set_logo(
                    actor=current_user, organisation=organisation, data=form.logo.data.read()
                )
            flash(_("The organisation has been saved."), "success")
            return redirect(url_for("organisations.index"))
    return render_template("core/organisations/edit.html", form=form, organisation=organisation)


LOGO_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png"}


@bp.route("/settings/organisations/<int:organisation_id>/logo")
@login_required
def logo(organisation_id: int):
    """The body's logo, for the settings page."""
    require(can_manage_organisations(current_user))
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or not organisation.logo_key:
        abort(404)
    suffix = organisation.logo_key.rsplit(".", 1)[-1].lower()
    return storage().send(organisation.logo_key, mimetype=LOGO_TYPES.get(suffix, "image/jpeg"))
