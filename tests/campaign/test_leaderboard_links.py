"""The campaign page never links to a leaderboard before its release: it says when instead."""

from __future__ import annotations

from datetime import timedelta

import pytest

from campaign.campaigns.models import Campaign
from campaign.campaigns.services import rounds_now
from core.extensions import db
from tests.conftest import T0
from tests.contests.quiz.factories import QuizFactory


@pytest.fixture
def quiz_round(make, db, app):
    factory = QuizFactory(make)
    return factory.round(count=2, results_release_at=T0 + timedelta(days=1))


def test_rounds_now_has_no_leaderboard_link_before_release(app, quiz_round):
    with app.test_request_context():
        items = rounds_now(_campaign_of(quiz_round), now=T0)

    assert [(i["leaderboard_url"], i["leaderboard_from"]) for i in items] == [
        (None, T0 + timedelta(days=1))
    ]


def test_rounds_now_links_the_leaderboard_once_released(app, quiz_round):
    quiz_round.closes_at = T0 + timedelta(days=5)
    with app.test_request_context():
        items = rounds_now(_campaign_of(quiz_round), now=T0 + timedelta(days=2))

    assert items[0]["leaderboard_url"] == f"/quiz/rounds/{quiz_round.id}/leaderboard"


def test_campaign_page_says_when_the_leaderboard_is_published(client, quiz_round, frozen):
    slug = _campaign_of(quiz_round).slug

    body = client.get(f"/campaigns/{slug}").get_data(as_text=True)

    assert "Bảng xếp hạng công bố lúc 08:00 01/12/2026" in body
    assert f"/quiz/rounds/{quiz_round.id}/leaderboard" not in body


def _campaign_of(round_) -> Campaign:
    return db.session.get(Campaign, round_.contest.campaign_id)
