"""Reading a released leaderboard (issue 18): its statements, compression, own line apart.

A board is read by every student when results come out, so each read is counted: the reader's
own line comes from the snapshot's standings (one lookup by user, never everyone's lines).
"""

from __future__ import annotations

import gzip
import json

import brotli
import pytest

from contests.quiz import leaderboards
from contests.quiz.leaderboards import ranking
from tests.conftest import T0
from tests.contests.quiz.factories import QuizFactory
from tests.contests.quiz.test_leaderboards import submitted
from tests.dbtools import Statements


@pytest.fixture
def board(make, db, monkeypatch, frozen):
    """A released round of 6 students in three schools, the board's top 2 lines kept as rows."""
    monkeypatch.setattr(ranking, "TOP_LINES", 2)
    quiz = QuizFactory(make)
    round_ = quiz.round(results_release_at=T0)
    schools = [make.school_class() for _ in range(3)]
    students = [make.student(schools[i % 3], full_name=f"Học Sinh {chr(65 + i)}") for i in range(6)]
    for index, student in enumerate(students):
        submitted(round_, student, score=6 - index)
    leaderboards.snapshot_round(round_=round_, now=T0)
    db.session.commit()
    return round_, students


def _read(client, path):
    client.get(path)  # the worker's caches filled
    db_statements = Statements()
    with db_statements:
        response = client.get(path)
    assert response.status_code == 200, response.data
    return response, db_statements


@pytest.mark.parametrize(
    ("scope", "level", "expected"),
    [
        # the reader with their live session, and the round's newest released snapshot, in one
        # statement (contests.quiz.boardapp; the top lines, the standings and the class and
        # school names are kept by the worker, per snapshot)
        ("student", None, 1),
        ("student", "THCS", 1),
        # … and the reader's class or school line, by its key
        ("class", None, 2),
        ("school", None, 2),
        # … and how many lines of the level rank before it
        ("class", "THCS", 3),
    ],
)
def test_a_leaderboard_read_runs_few_statements(client, login, board, scope, level, expected):
    round_, students = board
    login(students[5])  # ranked last: outside the top lines in every scope
    path = f"/api/v1/rounds/{round_.id}/leaderboard?scope={scope}" + (
        f"&level={level}" if level else ""
    )

    response, statements = _read(client, path)

    assert response.json["me"] is not None
    assert len(statements) == expected, "\n".join(statements)
    assert not any("quiz_attempt" in s for s in statements), "no attempt is read"


def test_the_readers_line_is_looked_up_not_read_with_everyones(client, login, board):
    round_, students = board
    login(students[5])

    response, statements = _read(client, f"/api/v1/rounds/{round_.id}/leaderboard")

    assert response.json["me"]["rank"] == 6
    assert len(response.json["entries"]) == 2
    # No statement reads the snapshot's lines or standings again (both cached, by snapshot).
    assert not any("quiz_leaderboard_entry" in s for s in statements), statements


def test_a_leaderboard_reply_is_compressed_when_the_client_accepts_it(client, login, board):
    round_, students = board
    login(students[0])
    path = f"/api/v1/rounds/{round_.id}/leaderboard"

    plain = client.get(path)
    packed = client.get(path, headers={"Accept-Encoding": "gzip"})

    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert json.loads(gzip.decompress(packed.data)) == plain.json


@pytest.mark.parametrize("scope", ["student", "class", "school"])
@pytest.mark.parametrize("reader", [0, 5])  # among the top lines, and outside them
def test_the_kept_reply_is_the_full_reply(app, client, login, board, scope, reader):
    from contests.quiz.api import LeaderboardSchema

    round_, students = board
    login(students[reader])
    path = f"/api/v1/rounds/{round_.id}/leaderboard?scope={scope}"

    plain = client.get(path)
    packed = client.get(path, headers={"Accept-Encoding": "gzip, br"})

    snapshot = leaderboards.latest_snapshot(round_id=round_.id)
    full = leaderboards.read_leaderboard(snapshot=snapshot, scope=scope, me=students[reader])
    expected = json.loads(app.json.dumps(LeaderboardSchema().dump(full)))
    assert plain.json == expected
    assert json.loads(_decoded(packed)) == expected
    assert expected["me"]["is_me"] is True


def _decoded(response) -> bytes:
    encoding = response.headers["Content-Encoding"]
    return brotli.decompress(response.data) if encoding == "br" else gzip.decompress(response.data)


def test_a_new_snapshot_is_read_at_once(client, login, board, db):
    round_, students = board
    login(students[5])
    path = f"/api/v1/rounds/{round_.id}/leaderboard"
    before = client.get(path).json

    submitted(round_, students[5], score=60, number=2)
    leaderboards.snapshot_round(round_=round_, now=T0)
    db.session.commit()
    after = client.get(path).json

    assert before["me"]["rank"] == 6
    assert after["me"]["rank"] == 1
