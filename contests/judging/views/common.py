"""The judging blueprint and what its pages share: who leads a round."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from contests.essay.models import EssayRound
from contests.judging import services
from contests.judging.models import JudgingRound
from contests.judging.permissions import can_lead
from core.accounts.permissions import require

bp = Blueprint("judging", __name__)


def led_round(round_id: int) -> tuple[EssayRound, JudgingRound | None]:
    round_ = services.get_round(round_id)
    setup = services.find_setup(round_id)
    require(can_lead(current_user, setup))
    return round_, setup
