"""The permission matrix: no page or payload a judge (chief judge included) can reach names an
author, their school or class; other marks stay hidden until one's own submit; results stay
hidden until publication; an unassigned sheet is simply not found."""

from __future__ import annotations

import pytest

from contests.judging import services
from contests.judging.models import AssignmentStatus
from tests.conftest import T0
from tests.contests.judging.conftest import entry_assignments, mark

pytestmark = pytest.mark.usefixtures("frozen")


def live(entry):
    return [a for a in entry_assignments(entry) if a.status != AssignmentStatus.MOVED]


def secrets_of(judging) -> list[str]:
    """Everything that would identify an author: names, schools, class names."""
    return [
        *(e.student.full_name for e in judging.entries),
        *(s.name for s in judging.schools),
        "8A1",
    ]


def judge_urls(judging, judge) -> list[str]:
    sheets = [a for e in judging.entries for a in live(e) if a.judge_id == judge.id]
    urls = ["/judging", "/", "/api/v1/judging/assignments"]
    for sheet in sheets:
        urls += [f"/judging/sheets/{sheet.id}", f"/api/v1/judging/assignments/{sheet.id}"]
    return urls


def chief_urls(judging) -> list[str]:
    round_id = judging.round.id
    urls = [
        "/manage/judging",
        f"/manage/judging/rounds/{round_id}",
        f"/api/v1/judging/rounds/{round_id}/progress",
    ]
    return urls + [f"/manage/judging/entries/{e.id}" for e in judging.entries]


@pytest.fixture
def names_in_text(assigned):
    """Authors who wrote their own name, school and class into the text."""
    pairs = zip(assigned.entries, [s for s in assigned.schools for _ in (0, 1)], strict=True)
    for entry, school in pairs:
        entry.body = f"Em là {entry.student.full_name}, lớp 8A1 {school.name}. " + entry.body
        entry.title = f"Bài của {entry.student.full_name}"
    return assigned


def test_judges_never_reach_an_author(client, login, names_in_text):
    judging = names_in_text
    # Half the sheets marked, so pages show others' marks and disagreements too.
    for entry in judging.entries[:3]:
        for sheet in live(entry):
            mark(sheet, ["3", "2", "2"], comment="Nhận xét")
    checked = 0
    for judge in judging.judges:
        login(judge)
        urls = judge_urls(judging, judge)
        if judge.id == services.find_setup(judging.round.id).chief_judge_id:
            urls += chief_urls(judging)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            text = response.get_data(as_text=True)
            leaked = [s for s in secrets_of(judging) if s in text]
            assert leaked == [], (url, leaked)
            checked += 1
    assert checked >= 30


def test_unassigned_sheets_are_not_found_for_every_judge(client, login, assigned):
    for judge in assigned.judges:
        login(judge)
        for entry in assigned.entries:
            for sheet in live(entry):
                if sheet.judge_id == judge.id:
                    continue
                assert client.get(f"/judging/sheets/{sheet.id}").status_code == 404
                assert client.get(f"/api/v1/judging/assignments/{sheet.id}").status_code == 404


def test_marks_hidden_before_own_submit_in_html_and_json(client, login, assigned):
    for entry in assigned.entries:
        first, second = live(entry)
        mark(first, ["3.75", "2.75", "2.75"], comment=f"Bí mật {entry.code}")
        login(second.judge)

        page = client.get(f"/judging/sheets/{second.id}").get_data(as_text=True)
        data = client.get(f"/api/v1/judging/assignments/{second.id}").get_json()

        assert f"Bí mật {entry.code}" not in page
        assert data["others"] == []


@pytest.mark.parametrize("who", ["anonymous", "student", "judge", "chief"])
def test_results_hidden_before_publication(client, login, assigned, who):
    for entry in assigned.entries:
        for sheet in live(entry):
            mark(sheet, ["3", "2", "2"])
    if who != "anonymous":
        login(
            {
                "student": assigned.students[0],
                "judge": assigned.judges[0],
                "chief": assigned.judges[3],
            }[who]
        )

    assert client.get(f"/results/essay/{assigned.round.id}").status_code == 404
    if who == "student":
        page = client.get("/judging/my-results").get_data(as_text=True)
        assert assigned.entries[0].code not in page

    services.publish_results(actor=assigned.organizer, round_=assigned.round, now=T0)
    assert client.get(f"/results/essay/{assigned.round.id}").status_code == 200
