"""The organizer's to-do list for judging, and the judge picker that works by touch."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contests.judging.services.todo import rounds_to_assign
from tests.conftest import T0

pytestmark = pytest.mark.usefixtures("frozen")


def test_rounds_to_assign_counts_entries_without_judges(judging):
    assert rounds_to_assign(now=T0) == [(judging.round, 6)]


def test_rounds_to_assign_empty_once_assigned(assigned):
    assert rounds_to_assign(now=T0) == []


def test_rounds_to_assign_ignores_open_rounds(judging):
    assert rounds_to_assign(now=judging.round.closes_at - timedelta(seconds=1)) == []


def test_organizer_home_lists_entries_to_assign(client, login, judging):
    login(judging.organizer)

    body = client.get("/").get_data(as_text=True)

    assert "Việc cần làm: phân công giám khảo chấm bài" in body
    assert "6 bài chưa có giám khảo." in body
    assert f"/manage/judging/rounds/{judging.round.id}/assign" in body


def test_organizer_home_without_entries_to_assign(client, login, assigned):
    login(assigned.organizer)

    body = client.get("/").get_data(as_text=True)

    assert "Việc cần làm: phân công giám khảo chấm bài" not in body


def test_setup_picks_judges_from_checkboxes_not_a_multi_select(client, login, judging):
    login(judging.organizer)

    body = client.get(f"/manage/judging/rounds/{judging.round.id}/setup").get_data(as_text=True)

    assert "<select multiple" not in body
    assert "Ctrl" not in body
    assert f'name="active" type="checkbox" value="{judging.judges[0].id}"' in body
    assert "data-checklist-filter" in body
    assert "js/checklist.js" in body
