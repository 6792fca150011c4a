"""Sign in, sign out, activation with a slip's code, password changes."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from core.accounts import services as accounts
from core.auth import services
from core.auth.forms import ActivationForm, ChangePasswordForm, LoginForm
from core.errors import ValidationFailed, show_beside_field
from core.transaction import domain_errors

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("core.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with a username and password."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = services.sign_in(
                username=form.username.data,
                password=form.password.data,
                address=request.remote_addr,
            )
        except services.TooManyAttempts as error:
            form.password.errors.append(error.message)
            status = 429
        except services.BadCredentials as error:
            form.password.errors.append(error.message)
            status = 401
        else:
            login_user(user, remember=form.remember.data)
            if user.must_change_password:
                return redirect(url_for("auth.change_password"))
            return redirect(_safe_next(request.args.get("next")))
    return render_template("core/auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out."""
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("core.index"))


@bp.route("/activate", methods=["GET", "POST"])
def activate():
    """First sign-in: a student proves the code on their slip and chooses a password."""
    form = ActivationForm()
    status = 200
    if form.validate_on_submit():
        address = request.remote_addr
        try:
            services.check_throttle(username=form.username.data, address=address)
            user = accounts.activate(
                username=form.username.data,
                code=form.code.data,
                new_password=form.new_password.data,
            )
        except ValidationFailed as error:
            if error.field == "code":
                services.record_failure(username=form.username.data, address=address)
            show_beside_field(form, error, "code")
            status = 400
        except services.TooManyAttempts as error:
            form.code.errors.append(error.message)
            status = 429
        else:
            login_user(user)
            flash(_("Your password is set. Welcome!"), "success")
            return redirect(url_for("core.index"))
    return render_template("core/auth/activate.html", form=form), status


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's password (required after an administrator's reset)."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        with domain_errors(form, "new_password"):
            accounts.change_password(
                user=current_user,
                current_password=form.current_password.data,
                new_password=form.new_password.data,
            )
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("core.index"))
    return render_template("core/auth/change_password.html", form=form)
