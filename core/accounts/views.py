"""Accounts: administrators manage users and roles; coordinators manage their school's roster."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from core.accounts import grants, roster, services
from core.accounts.forms import ROLE_LABELS, RoleForm, RosterImportForm, SearchForm, UserForm
from core.accounts.models import Role, User
from core.accounts.permissions import can_manage_school, require, roles_required
from core.accounts.school_pages import get_class, get_school
from core.audit import AuditEntry
from core.errors import Conflict
from core.extensions import db
from core.schools.models import School
from core.schools.services import list_schools
from core.spreadsheets import XLSX_MIME, ImportRejected, workbook_bytes
from core.transaction import domain_errors, fail_request

bp = Blueprint("accounts", __name__)
PAGE_SIZE = 50


def _school_choices(blank_label):
    return [SelectChoice(0, blank_label)] + [
        SelectChoice(s.id, f"{s.code} — {s.name}") for s in list_schools()
    ]


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/admin/users")
@roles_required(Role.ADMIN)
def users():
    """Search staff and students."""
    form = SearchForm(request.args)
    page = max(1, request.args.get("page", 1, type=int))
    query = sa.select(User).order_by(User.username)
    if form.q.data:
        pattern = f"%{form.q.data.strip().lower()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(User.username).like(pattern),
                sa.func.lower(User.full_name).like(pattern),
            )
        )
    role = request.args.get("role")
    if role in {r.value for r in Role}:
        query = query.where(User.role_assignments.any(role=Role(role)))
    pagination = db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)
    return render_template(
        "core/accounts/users.html",
        form=form,
        pagination=pagination,
        role=role,
        role_labels=ROLE_LABELS,
    )


@bp.route("/admin/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_user():
    """Create a staff account with a temporary password to hand over."""
    form = UserForm()
    form.school_id.choices = _school_choices(_("— none —"))
    if form.validate_on_submit():
        with domain_errors(form, "username"):
            user = services.create_user(
                username=form.username.data,
                full_name=form.full_name.data,
                email=form.email.data,
                school=db.session.get(School, form.school_id.data) if form.school_id.data else None,
            )
            temporary = services.reset_password(actor=current_user, user=user)
            flash(
                _(
                    "Account %(username)s created. Temporary password: %(password)s — it must be changed at first sign-in.",
                    username=user.username,
                    password=temporary,
                ),
                "success",
            )
            return redirect(url_for("accounts.edit_user", user_id=user.id))
    return render_template("core/accounts/new_user.html", form=form)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_user(user_id: int):
    """Edit a user's details and see their roles."""
    user = get_user(user_id)
    form = UserForm(obj=user)
    form.school_id.choices = _school_choices(_("— none —"))
    if not form.is_submitted():
        form.school_id.data = user.school_id or 0
    role_form = RoleForm(formdata=None)
    role_form.school_id.choices = _school_choices(_("— district —"))
    if form.validate_on_submit():
        clash = services.find_user(form.username.data)
        if clash is not None and clash.id != user.id:
            form.username.errors.append(
                _("The username %(name)s is already taken.", name=form.username.data)
            )
        else:
            user.username = form.username.data.strip()
            user.full_name = form.full_name.data.strip()
            user.email = form.email.data or None
            user.school_id = form.school_id.data or None
            flash(_("The account has been saved."), "success")
            return redirect(url_for("accounts.edit_user", user_id=user.id))
    return render_template(
        "core/accounts/edit_user.html",
        user=user,
        form=form,
        role_form=role_form,
        role_labels=ROLE_LABELS,
        pending_grants=grants.pending_for(user),
    )


@bp.route("/admin/users/<int:user_id>/roles", methods=["POST"])
@roles_required(Role.ADMIN)
def grant_role(user_id: int):
    """Give a user a role."""
    user = get_user(user_id)
    form = RoleForm()
    form.school_id.choices = _school_choices("")
    if form.validate_on_submit():
        school = db.session.get(School, form.school_id.data) if form.school_id.data else None
        role = Role(form.role.data)
        with domain_errors(category="danger"):
            if grants.needs_second_admin(role):
                grants.request_grant(actor=current_user, user=user, role=role, school=school)
                flash(
                    _(
                        "The grant awaits a second administrator's approval; the district "
                        "safeguarding lead has been told."
                    ),
                    "warning",
                )
            else:
                services.grant_role(actor=current_user, user=user, role=role, school=school)
                flash(_("The role has been granted."), "success")
    return redirect(url_for("accounts.edit_user", user_id=user.id))


@bp.route("/admin/role-requests/<int:request_id>/approve", methods=["POST"])
@roles_required(Role.ADMIN)
def approve_role_grant(request_id: int):
    """A second administrator approves a pending grant of the safeguarding role."""
    pending = grants.get_request(request_id)
    try:
        grants.approve_grant(actor=current_user, request_id=pending.id)
    except Conflict as error:  # refused before anything was written
        flash(error.message, "danger")
        return redirect(url_for("accounts.edit_user", user_id=pending.user_id))
    flash(_("The role has been granted."), "success")
    return redirect(url_for("accounts.edit_user", user_id=pending.user_id))


@bp.route("/admin/users/<int:user_id>/roles/<int:assignment_id>/revoke", methods=["POST"])
@roles_required(Role.ADMIN)
def revoke_role(user_id: int, assignment_id: int):
    """Take a role away."""
    user = get_user(user_id)
    with domain_errors(category="danger"):
        services.revoke_role(actor=current_user, user=user, assignment_id=assignment_id)
        flash(_("The role has been removed."), "success")
    return redirect(url_for("accounts.edit_user", user_id=user.id))


@bp.route("/admin/users/<int:user_id>/reset-password", methods=["POST"])
@roles_required(Role.ADMIN)
def reset_password(user_id: int):
    """Give the user a temporary password they must change."""
    user = get_user(user_id)
    temporary = services.reset_password(actor=current_user, user=user)
    flash(
        _(
            "New temporary password for %(username)s: %(password)s",
            username=user.username,
            password=temporary,
        ),
        "success",
    )
    return redirect(url_for("accounts.edit_user", user_id=user.id))


@bp.route("/admin/users/<int:user_id>/active", methods=["POST"])
@roles_required(Role.ADMIN)
def set_active(user_id: int):
    """Enable or disable an account."""
    user = get_user(user_id)
    active = request.form.get("active") == "1"
    with domain_errors(category="danger"):
        services.set_active(actor=current_user, user=user, active=active)
        flash(_("The account is enabled.") if active else _("The account is disabled."), "success")
    return redirect(url_for("accounts.edit_user", user_id=user.id))


@bp.route("/schools/<int:school_id>/classes/<int:class_id>")
@login_required
def class_roster(school_id: int, class_id: int):
    """A class list with each student's sign-in state (no passwords, no codes)."""
    school = get_school(school_id)
    require(can_manage_school(current_user, school))
    school_class = get_class(school, class_id)
    return render_template(
        "core/accounts/class_roster.html",
        school=school,
        school_class=school_class,
        students=roster.students_of_class(school_class),
    )


@bp.route("/schools/<int:school_id>/classes/<int:class_id>/slips.pdf", methods=["POST"])
@login_required
def slips(school_id: int, class_id: int):
    """Print sign-in slips (issues fresh codes to students who have not signed in)."""
    school = get_school(school_id)
    require(can_manage_school(current_user, school))
    school_class = get_class(school, class_id)
    pdf, _count = roster.sign_in_slips(
        actor=current_user,
        school_class=school_class,
        sign_in_url=url_for("auth.activate", _external=True),
    )
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="phieu-dang-nhap-{school.code}-{school_class.name}.pdf"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/schools/<int:school_id>/roster/template.xlsx")
@login_required
def roster_template(school_id: int):
    """Download the roster template with the Vietnamese headers."""
    school = get_school(school_id)
    require(can_manage_school(current_user, school))
    data = workbook_bytes([(_("Students"), list(roster.HEADERS.values()), roster.template_rows())])
    response = make_response(data)
    response.headers["Content-Type"] = XLSX_MIME
    response.headers["Content-Disposition"] = 'attachment; filename="mau-danh-sach-hoc-sinh.xlsx"'
    return response


@bp.route("/schools/<int:school_id>/roster/import", methods=["GET", "POST"])
@login_required
def import_roster(school_id: int):
    """Import the school's students; the page uploads with a progress bar and shows the report."""
    school = get_school(school_id)
    require(can_manage_school(current_user, school))
    form = RosterImportForm()
    wants_json = request.accept_mimetypes.best == "application/json"
    report, status = None, 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            report = roster.import_roster(
                actor=current_user, school=school, stream=upload.stream, filename=upload.filename
            )
        except ImportRejected as rejected:
            fail_request()
            report, status = rejected.report, 400
    elif form.is_submitted():
        status = 400
    if wants_json:
        body = {
            "ok": bool(report and report.ok),
            "errors": [e.as_dict() for e in report.errors] if report else [],
            "counts": report.counts if report else {},
            "new_classes": report.notes if report else [],
            "form_errors": form.errors,
        }
        if report is None and form.errors:
            body["errors"] = [
                {"row": None, "column": None, "message": m}
                for ms in form.errors.values()
                for m in ms
            ]
        return jsonify(body), status
    return render_template(
        "core/accounts/import.html", school=school, form=form, report=report
    ), status


@bp.route("/admin/audit")
@roles_required(Role.ADMIN)
def audit_log():
    """The append-only audit log, newest first, filterable by action."""
    page = max(1, request.args.get("page", 1, type=int))
    action = (request.args.get("action") or "").strip()
    query = sa.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if action:
        query = query.where(AuditEntry.action.startswith(action))
    pagination = db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)
    return render_template("core/accounts/audit.html", pagination=pagination, action=action)
