"""Sign in, sign out, activation with a slip's code, password changes."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, logout_user

from core.accounts import services as accounts
from core.accounts.models import Role
from core.auth import services, sessions
from core.auth.forms import ActivationForm, ChangePasswordForm, LoginForm
from core.errors import ValidationFailed, show_beside_field
from core.hardening import safe_next
from core.transaction import domain_errors

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with a username and password."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
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
            sessions.begin(user, remember=form.remember.data)
            if user.must_change_password:
                return redirect(url_for("auth.change_password"))
            return redirect(safe_next(request.args.get("next")))
    return render_template("core/auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out: this session ends (its cookies no longer sign anyone in)."""
    sessions.end()
    logout_user()
    session.clear()
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
            sessions.begin(user)
            # Students are "em", staff are welcomed as teachers ("thầy/cô") in Vietnamese.
            if user.has_role(Role.STUDENT):
                flash(_("Your password is set. Welcome, and good luck!"), "success")
            else:
                flash(_("Your password is set. Welcome!"), "success")
            return redirect(url_for("core.index"))
    return render_template("core/auth/activate.html", form=form), status


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's password (required after an administrator's reset).

    Every session of the account ends; this device goes on in a new one (remembered again if it
    was), so whoever knew the old password is signed out everywhere else.
    """
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        with domain_errors(form, "new_password"):
            accounts.change_password(
                user=user,
                current_password=form.current_password.data,
                new_password=form.new_password.data,
            )
            remembered = current_app.config["REMEMBER_ME_COOKIE_NAME"] in request.cookies
            sessions.begin(user, remember=remembered)
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("core.index"))
    others = sessions.count_others(
        user=current_user, session_id=sessions.current_login_session_id()
    )
    return render_template("core/auth/change_password.html", form=form, other_sessions=others)


@bp.route("/account/sessions/end-others", methods=["POST"])
@login_required
def end_other_sessions():
    """Sign out of other devices: every session of the account but this one ends."""
    ended = sessions.revoke_all(user=current_user, keep=sessions.current_login_session_id())
    flash(
        ngettext(
            "Signed out of %(num)d other device.", "Signed out of %(num)d other devices.", ended
        ),
        "success",
    )
    return redirect(url_for("auth.change_password"))
