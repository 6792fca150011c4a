"""``flask create-admin``: the first administrator, without ``flask shell``."""

from __future__ import annotations

import sys

import click

from core.accounts.services import create_admin
from core.errors import DomainError
from core.extensions import db


@click.command("create-admin")
@click.argument("username")
@click.option("--full-name", prompt="Họ và tên (full name)", help="The administrator's name.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of prompting.",
)
def create_admin_command(username: str, full_name: str, password_stdin: bool) -> None:
    """Create an administrator (password prompted twice, or read with --password-stdin)."""

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(
            "Mật khẩu (password)",
            hide_input=True,
            confirmation_prompt="Nhập lại mật khẩu (repeat the password)",
        )
    try:
        user = create_admin(username=username, full_name=full_name, password=password)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Đã tạo quản trị viên {user.username} ({user.full_name}).")
