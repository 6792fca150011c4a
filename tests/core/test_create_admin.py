import pytest
import sqlalchemy as sa

from core import audit
from core.accounts import services
from core.accounts.models import Role, User
from core.errors import Conflict, ValidationFailed
from tests.conftest import T0

STRONG = "Gi@Lam-2026"


def users_named(db, username):
    return db.session.scalars(sa.select(User).where(User.username == username)).all()


def test_create_admin_makes_an_active_administrator_with_that_password(db):
    user = services.create_admin(
        username=" quantri ", full_name=" Nguyễn Thị Hoa ", password=STRONG, now=T0
    )

    assert (user.username, user.full_name, user.roles, user.active) == (
        "quantri",
        "Nguyễn Thị Hoa",
        {Role.ADMIN},
        True,
    )
    assert services.check_password(user, STRONG)
    assert [e.action for e in audit.history("user", user.id)] == ["role.grant"]


@pytest.mark.parametrize(
    ("password", "field"),
    [("short7!", "new_password"), ("QuanTri2", "new_password"), ("", "new_password")],
)
def test_create_admin_refuses_a_weak_password(db, password, field):
    with pytest.raises(ValidationFailed) as refused:
        services.create_admin(username="quantri2", full_name="Hoa", password=password)

    assert refused.value.field == field
    assert users_named(db, "quantri2") == []


def test_create_admin_refuses_a_taken_username(db, make):
    make.user(username="hoa")

    with pytest.raises(Conflict):
        services.create_admin(username="HOA", full_name="Hoa", password=STRONG)


def test_cli_prompts_for_the_password_twice(runner, db):
    result = runner.invoke(
        args=["create-admin", "quantri", "--full-name", "Nguyễn Thị Hoa"],
        input=f"{STRONG}\n{STRONG}\n",
    )

    assert result.exit_code == 0, result.output
    assert "Đã tạo quản trị viên quantri (Nguyễn Thị Hoa)." in result.output
    (user,) = users_named(db, "quantri")
    assert user.roles == {Role.ADMIN}
    assert services.check_password(user, STRONG)


def test_cli_prompts_for_the_full_name_when_it_is_not_given(runner, db):
    result = runner.invoke(
        args=["create-admin", "quantri"], input=f"Nguyễn Thị Hoa\n{STRONG}\n{STRONG}\n"
    )

    assert result.exit_code == 0, result.output
    assert [u.full_name for u in users_named(db, "quantri")] == ["Nguyễn Thị Hoa"]


def test_cli_reads_the_password_from_stdin(runner, db):
    result = runner.invoke(
        args=["create-admin", "quantri", "--full-name", "Hoa", "--password-stdin"],
        input=f"{STRONG}\n",
    )

    assert result.exit_code == 0, result.output
    (user,) = users_named(db, "quantri")
    assert services.check_password(user, STRONG)
    assert STRONG not in result.output


def test_cli_asks_again_when_the_two_passwords_differ(runner, db):
    result = runner.invoke(
        args=["create-admin", "quantri", "--full-name", "Hoa"],
        input=f"{STRONG}\n{STRONG}x\n",
    )

    assert result.exit_code == 1
    assert "do not match" in result.output
    assert users_named(db, "quantri") == []


def test_cli_refuses_a_short_password(runner, db):
    result = runner.invoke(
        args=["create-admin", "quantri", "--full-name", "Hoa", "--password-stdin"],
        input="ngan\n",
    )

    assert result.exit_code == 1
    assert "Error: Mật khẩu phải có ít nhất 8 ký tự." in result.output
    assert users_named(db, "quantri") == []


def test_cli_refuses_an_existing_username_and_changes_nothing(runner, db, make):
    existing = make.user(username="hoa", full_name="Trần Hoa")

    result = runner.invoke(
        args=["create-admin", "hoa", "--full-name", "Khác", "--password-stdin"],
        input=f"{STRONG}\n",
    )

    assert result.exit_code == 1
    assert "Error: Tên đăng nhập hoa đã có người dùng." in result.output
    assert (existing.full_name, existing.roles) == ("Trần Hoa", set())
