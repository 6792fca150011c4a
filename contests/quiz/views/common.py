"""The quiz blueprint and what its pages share."""

from __future__ import annotations

from flask import Blueprint, abort

from core.accounts.models import Role
from core.extensions import db

bp = Blueprint("quiz", __name__)

#: Who runs contests and the bank.
MANAGERS = (Role.ADMIN, Role.ORGANIZER)


def get_or_404(model, ident: int):
    item = db.session.get(model, ident)
    if item is None:
        abort(404)
    return item
