"""The /api/v1 JSON API: blueprints, JSON errors and the generated OpenAPI document."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api, Blueprint
from webargs.flaskparser import FlaskParser

API_PREFIX = "/api/v1"


class _Parser(FlaskParser):
    """Malformed or invalid input is a plain 400, not webargs' default 422."""

    DEFAULT_VALIDATION_STATUS = 400


class ApiBlueprint(Blueprint):
    """A flask-smorest blueprint under /api/v1; routes document themselves in OpenAPI."""

    ARGUMENTS_PARSER = _Parser()

    def __init__(self, name: str, import_name: str, **kwargs) -> None:
        kwargs.setdefault("url_prefix", API_PREFIX)
        super().__init__(name, import_name, **kwargs)

    def operation(self, operation_id: str, summary: str | None = None, **doc):
        """Name the operation in the OpenAPI document (operationIds are part of the contract)."""
        values = {"operationId": operation_id, **doc}
        if summary:
            values["summary"] = summary
        return self.doc(**values)


def register(app: Flask, blueprint: ApiBlueprint) -> None:
    """Register an API blueprint so it appears in the OpenAPI document."""
    app.extensions["mangxanh.api"].register_blueprint(blueprint)


def init_app(app: Flask) -> None:
    # One Api per application: the OpenAPI document is built per app, tests make several apps.
    api = Api(app)
    app.extensions["mangxanh.api"] = api
    api.spec.components.security_scheme(
        "session", {"type": "apiKey", "in": "cookie", "name": app.config["SESSION_COOKIE_NAME"]}
    )
    api.spec.components.security_scheme(
        "csrf", {"type": "apiKey", "in": "header", "name": "X-CSRFToken"}
    )
