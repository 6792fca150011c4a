"""Sign-in does the password hash and little else: its statements, and its failures' cost.

Issue 18: a sign-in spent ~48 ms besides the 22 ms argon2id verification. The statements a
sign-in runs are counted here (each was a round trip, and on SQLite the write lock was held
through the hash); failed sign-ins run one verification as successful ones do.
"""

from __future__ import annotations

import sqlalchemy as sa

from core.accounts import services
from core.auth.models import LoginSession
from tests.dbtools import Statements
from tests.factories import PASSWORD


def _login(client, username, password):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def test_a_sign_in_runs_four_statements(client, make, db):
    student = make.student(username="hoa")
    school_code = student.school.code
    db.session.commit()
    db.session.expunge_all()

    with Statements() as statements:
        response = _login(client, "hoa", PASSWORD)

    assert response.status_code == 200
    assert response.json["school"]["code"] == school_code
    assert response.json["roles"] == ["student"]
    # The credentials; the user with their roles and school; last_login_at; the session row.
    assert len(statements) == 4, "\n".join(statements)
    assert "password_hash" in statements[0]
    assert "role_assignment" in statements[1] and "school" in statements[1]
    writes = sorted(s.lstrip().split()[0].upper() for s in statements[2:])
    assert writes == ["INSERT", "UPDATE"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginSession)) == 1


def test_a_failed_sign_in_runs_one_statement(client, make, db):
    make.student(username="hoa")
    db.session.commit()

    with Statements() as wrong:
        assert _login(client, "hoa", "not-the-password").status_code == 401
    with Statements() as unknown:
        assert _login(client, "nobody", "not-the-password").status_code == 401

    assert len(wrong) == 1, "\n".join(wrong)
    assert len(unknown) == 1, "\n".join(unknown)


def test_failed_sign_ins_verify_one_hash_like_successful_ones(app, client, make, db, monkeypatch):
    make.student(username="hoa")
    make.user("gone", active=False)
    db.session.commit()
    verified = []
    real_verify = services._verify
    monkeypatch.setattr(
        services,
        "_verify",
        lambda digest, password: verified.append(1) or real_verify(digest, password),
    )

    counts = []
    for username, password in [
        ("hoa", PASSWORD),
        ("hoa", "wrong-password"),
        ("nobody", "wrong-password"),
        ("gone", PASSWORD),
        ("", "x"),
    ]:
        verified.clear()
        _login(app.test_client(), username, password)
        counts.append(len(verified))

    assert counts == [1, 1, 1, 1, 1]


def test_a_password_changed_during_the_check_refuses_the_sign_in(make, db, monkeypatch):
    """The hash verified is the one read; if the row's hash changed meanwhile, no sign-in."""
    user = make.student(username="hoa")
    db.session.commit()
    real_verify = services._verify

    def verify_then_change(digest, password):
        ok = real_verify(digest, password)
        db.session.execute(
            sa.update(type(user)).where(type(user).id == user.id).values(password_hash="other")
        )
        return ok

    monkeypatch.setattr(services, "_verify", verify_then_change)
    assert services.authenticate(username="hoa", password=PASSWORD) is None
