"""Schools (admin) and a school's classes (admin and the school's coordinator).

The school pages sit with accounts, not in ``core.schools``: they count a school's students and
ask accounts' roles who may see and manage a school, while accounts are built on schools' models.
Here the arrows all point one way (accounts -> schools). The blueprint keeps its name, ``schools``,
so every endpoint (``schools.show``, ``schools.mine``…) is unchanged.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.accounts.models import Role, User
from core.accounts.permissions import can_manage_school, can_view_school, require, roles_required
from core.clock import school_year
from core.extensions import db
from core.schools import services
from core.schools.forms import ClassForm, SchoolForm
from core.schools.models import School, SchoolClass
from core.transaction import domain_errors

bp = Blueprint("schools", __name__)


def get_school(school_id: int) -> School:
    school = db.session.get(School, school_id)
    if school is None:
        abort(404)
    return school


@bp.route("/admin/schools")
@roles_required(Role.ADMIN, Role.ORGANIZER)
def index():
    """List the district's schools with their student counts."""
    counts = dict(
        db.session.execute(
            sa.select(User.school_id, sa.func.count(User.id))
            .where(User.class_id.is_not(None))
            .group_by(User.school_id)
        ).all()
    )
    return render_template(
        "core/schools/index.html", schools=services.list_schools(), counts=counts
    )


@bp.route("/admin/schools/new", methods=["GET", "POST"])
@bp.route("/admin/schools/<int:school_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit(school_id: int | None = None):
    """Create or edit a school."""
    school = get_school(school_id) if school_id else None
    form = SchoolForm(obj=school)
    if school and not form.is_submitted():
        form.level.data = school.level.value
    if form.validate_on_submit():
        with domain_errors(form, "code"):
            school = services.save_school(
                actor=current_user,
                school=school,
                district=school.district if school else services.the_district(),
                code=form.code.data,
                name=form.name.data,
                level=form.level.data,
                address=form.address.data,
                hotline=form.hotline.data,
            )
            flash(_("The school has been saved."), "success")
            return redirect(url_for("schools.show", school_id=school.id))
    return render_template("core/schools/edit.html", form=form, school=school)


@bp.route("/schools/<int:school_id>")
@login_required
def show(school_id: int):
    """A school's classes this school year, with sign-in progress per class."""
    school = get_school(school_id)
    require(can_view_school(current_user, school))
    year = school_year()
    classes = services.classes_of(school, year)
    stats = {
        class_id: (total, activated)
        for class_id, total, activated in db.session.execute(
            sa.select(
                User.class_id,
                sa.func.count(User.id),
                sa.func.count(User.password_hash),
            )
            .where(User.school_id == school.id, User.class_id.is_not(None))
            .group_by(User.class_id)
        )
    }
    return render_template(
        "core/schools/show.html",
        school=school,
        classes=classes,
        stats=stats,
        year=year,
        form=ClassForm(),
        can_manage=can_manage_school(current_user, school),
    )


@bp.route("/my-school")
@roles_required(Role.COORDINATOR)
def mine():
    """Take a coordinator to their school (the first one, if they coordinate several)."""
    school_ids = sorted(current_user.school_ids_for(Role.COORDINATOR))
    return redirect(url_for("schools.show", school_id=school_ids[0]))


@bp.route("/schools/<int:school_id>/classes", methods=["POST"])
@login_required
def add_class(school_id: int):
    """Add a class to the school for this school year."""
    school = get_school(school_id)
    require(can_manage_school(current_user, school))
    form = ClassForm()
    if form.validate_on_submit():
        with domain_errors(category="danger"):
            _class, created = services.get_or_create_class(
                school=school, name=form.name.data, school_year=school_year()
            )
            if created:
                flash(_("Class %(name)s has been added.", name=_class.name), "success")
            else:
                flash(_("Class %(name)s already exists.", name=_class.name), "info")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "danger")
    return redirect(url_for("schools.show", school_id=school.id))


def get_class(school: School, class_id: int) -> SchoolClass:
    school_class = db.session.get(SchoolClass, class_id)
    if school_class is None or school_class.school_id != school.id:
        abort(404)
    return school_class
