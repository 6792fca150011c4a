"""The request's unit of work (core.transaction): one commit after success, a rollback otherwise.

These requests run on an application and database of their own, with no test transaction
around them, so a commit here is a real commit.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Blueprint, abort, redirect

from core.config import PROJECT_ROOT
from core.errors import Conflict
from core.extensions import db
from core.transaction import domain_errors
from core.web import writes_on_read
from tests.conftest import database_url, make_test_app

probe = Blueprint("uow_probe", __name__)


def _insert(note: str) -> None:
    db.session.execute(sa.text("INSERT INTO uow_probe (note) VALUES (:note)"), {"note": note})


@probe.route("/uow/ok", methods=["POST"])
def ok():
    _insert("ok")
    return redirect("/")


@probe.route("/uow/conflict", methods=["POST"])
def conflict():
    _insert("conflict")
    raise Conflict("Không được.")


@probe.route("/api/uow/conflict", methods=["POST"])
def api_conflict():
    _insert("api")
    raise Conflict("Không được.")


@probe.route("/uow/abort", methods=["POST"])
def aborted():
    _insert("abort")
    abort(403)


@probe.route("/uow/crash", methods=["POST"])
def crash():
    _insert("crash")
    raise RuntimeError("boom")


@probe.route("/uow/form-error", methods=["POST"])
def form_error():
    with domain_errors(category="warning"):
        _insert("inside")
        raise Conflict("Không được.")
    _insert("after")
    return "the form again, with the message", 200


@probe.route("/uow/read")
def read():
    _insert("read")
    return "shown"


@probe.route("/uow/logged-read")
@writes_on_read
def logged_read():
    _insert("logged")
    return "shown"


@pytest.fixture(scope="module")
def uow_app(request, tmp_path_factory):
    url = database_url(request, tmp_path_factory, "uow")
    application = make_test_app(url, tmp_path_factory.mktemp("uow"))
    application.register_blueprint(probe)
    with application.app_context():
        key = "SERIAL" if db.engine.dialect.name == "postgresql" else "INTEGER"
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(f"CREATE TABLE uow_probe (id {key} PRIMARY KEY, note VARCHAR(20))")
            )
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def uow(uow_app):
    yield uow_app.test_client()
    with uow_app.app_context(), db.engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM uow_probe"))


def stored(app) -> list[str]:
    """What another connection sees: committed rows only."""
    with app.app_context(), db.engine.connect() as connection:
        return list(connection.scalars(sa.text("SELECT note FROM uow_probe ORDER BY id")))


def test_a_successful_post_commits_once_after_the_view(uow_app, uow):
    response = uow.post("/uow/ok")

    assert response.status_code == 302
    assert stored(uow_app) == ["ok"]


def test_a_domain_error_page_rolls_back(uow_app, uow):
    response = uow.post("/uow/conflict")

    assert response.status_code == 409
    assert stored(uow_app) == []


def test_a_domain_error_from_the_api_is_json_and_rolls_back(uow_app, uow):
    response = uow.post("/api/uow/conflict")

    assert response.status_code == 409
    assert response.json["error"]["code"] == "conflict"
    assert stored(uow_app) == []


def test_an_aborted_request_rolls_back(uow_app, uow):
    response = uow.post("/uow/abort")

    assert response.status_code == 403
    assert stored(uow_app) == []


def test_a_crash_answers_500_and_rolls_back(uow_app, uow, monkeypatch):
    monkeypatch.setitem(uow_app.config, "PROPAGATE_EXCEPTIONS", False)

    response = uow.post("/uow/crash")

    assert response.status_code == 500
    assert stored(uow_app) == []


def test_an_exception_that_escapes_rolls_back(uow_app, uow):
    with pytest.raises(RuntimeError):
        uow.post("/uow/crash")

    assert stored(uow_app) == []


def test_a_form_shown_again_after_a_domain_error_commits_nothing(uow_app, uow):
    response = uow.post("/uow/form-error")

    assert response.status_code == 200
    assert stored(uow_app) == []


def test_a_read_is_rolled_back(uow_app, uow):
    response = uow.get("/uow/read")

    assert response.status_code == 200
    assert stored(uow_app) == []


def test_a_read_marked_writes_on_read_commits(uow_app, uow):
    response = uow.get("/uow/logged-read")

    assert response.status_code == 200
    assert stored(uow_app) == ["logged"]


# --- views and API modules leave the transaction to the request --------------------------------


def _view_modules() -> list[Path]:
    found = []
    for package in ("core", "contests", "campaign"):
        for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
            parts = path.relative_to(PROJECT_ROOT).parts
            if path.stem in ("views", "api") or "views" in parts[:-1]:
                found.append(path)
    return found


def _transaction_calls(path: Path) -> list[str]:
    calls = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("commit", "rollback")
        ):
            relative = path.relative_to(PROJECT_ROOT)
            calls.append(f"{relative}:{node.lineno} {ast.unparse(node.func)}()")
    return calls


def test_the_view_modules_are_found():
    names = {str(p.relative_to(PROJECT_ROOT)) for p in _view_modules()}

    assert {"core/api.py", "contests/quiz/views/students.py", "contests/quiz/api.py"} <= names


def test_no_view_or_api_module_commits_or_rolls_back():
    calls = [call for path in _view_modules() for call in _transaction_calls(path)]

    assert calls == []


def test_the_check_sees_a_commit(tmp_path, monkeypatch):
    monkeypatch.setattr("tests.core.test_transaction.PROJECT_ROOT", tmp_path)
    module = tmp_path / "views.py"
    module.write_text("def save():\n    db.session.commit()\n", encoding="utf-8")

    assert _transaction_calls(module) == ["views.py:2 db.session.commit()"]
