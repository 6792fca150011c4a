"""Sign-in for API clients: CSRF token, login, logout, who am I."""

from __future__ import annotations

from flask import request
from flask_login import current_user, login_required, logout_user
from flask_wtf.csrf import generate_csrf
from marshmallow import Schema, fields

from core.api import ApiBlueprint
from core.auth import services, sessions

blp = ApiBlueprint("auth_api", __name__, description="Sign-in and the signed-in user")


class CsrfSchema(Schema):
    csrf_token = fields.String(required=True)


class LoginSchema(Schema):
    username = fields.String(required=True)
    password = fields.String(required=True, load_only=True)


class SchoolRefSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    level = fields.String()


class MeSchema(Schema):
    username = fields.String()
    full_name = fields.String()
    roles = fields.List(fields.String())
    school = fields.Nested(SchoolRefSchema, allow_none=True)


class StatusSchema(Schema):
    status = fields.String()


def me_payload(user) -> dict:
    school = user.school
    return {
        "username": user.username,
        "full_name": user.full_name,
        "roles": sorted(r.value for r in user.roles),
        "school": (
            {"id": school.id, "code": school.code, "name": school.name, "level": school.level.value}
            if school
            else None
        ),
    }


@blp.route("/auth/csrf", methods=["GET"])
@blp.operation("getCsrfToken", "Get a CSRF token to send as X-CSRFToken on writes")
@blp.response(200, CsrfSchema)
def get_csrf_token():
    return {"csrf_token": generate_csrf()}


@blp.route("/auth/login", methods=["POST"])
@blp.operation("login", "Sign in; sets the session cookie")
@blp.arguments(LoginSchema)
@blp.response(200, MeSchema)
def login(body):
    user = services.sign_in(
        username=body["username"], password=body["password"], address=request.remote_addr
    )
    sessions.begin(user)
    return me_payload(user)


@blp.route("/auth/logout", methods=["POST"])
@blp.operation("logout", "Sign out")
@blp.response(200, StatusSchema)
def logout():
    sessions.end()
    logout_user()
    return {"status": "signed_out"}


@blp.route("/me", methods=["GET"])
@blp.operation("me", "The signed-in user")
@blp.response(200, MeSchema)
@login_required
def me():
    return me_payload(current_user)
