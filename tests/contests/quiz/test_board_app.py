"""Released leaderboards read through their own small application (contests.quiz.boardapp).

A signed-in reader of a released ranked round is answered by the board application without the
full application's request (no ``request_started``, no hooks), with the very reply the full
route gives; every other request reaches the full application, and whatever the board
application hands on gets the answer the full application gives to the same request sent to it
directly.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_login.utils import _create_identifier
from werkzeug.test import Client

from contests.quiz import boardapp, leaderboards
from contests.quiz.models import RoundKind
from core.auth import sessions
from core.mounts import Mount
from tests.conftest import T0, sign_in
from tests.contests.quiz import test_leaderboard_reads
from tests.contests.quiz.factories import QuizFactory
from tests.contests.quiz.mounts import counted_mount
from tests.contests.quiz.test_leaderboards import submitted
from tests.core import test_database_down
from tests.dbtools import Statements
from tests.factories import PASSWORD

# The released board of six students in three schools, top lines cut to two.
board = test_leaderboard_reads.board


@pytest.fixture
def mount(app) -> Iterator[Mount]:
    yield from counted_mount(app, boardapp)


def _cookie(client) -> str:
    return f"mx_session={client.get_cookie('mx_session').value}"


def _both(app, mount, client, path, **headers):
    """The same request through the mounted application and to the full application alone."""
    headers = {"Cookie": _cookie(client), **headers}
    mounted = app.test_client(use_cookies=False).get(path, headers=headers)
    # As the test client sends it (its address and user agent: Flask-Login's session protection).
    environ_base = app.test_client().environ_base
    direct = Client(mount.wrapped, use_cookies=False).get(
        path, headers=headers, environ_base=environ_base
    )
    return mounted, direct


def test_a_released_board_is_read_by_the_board_application(
    app, client, login, board, mount, full_requests
):
    round_, students = board
    login(students[5])

    response = client.get(f"/api/v1/rounds/{round_.id}/leaderboard")

    assert response.status_code == 200
    assert response.json["me"]["rank"] == 6
    assert (mount.served, mount.passed, full_requests) == (1, 0, [])


@pytest.mark.parametrize(
    "query", ["", "?scope=class", "?scope=school", "?scope=student&level=THCS", "?limit=1"]
)
@pytest.mark.parametrize("reader", [0, 5])  # among the top lines, and outside them
@pytest.mark.parametrize("encoding", ["gzip", "identity"])
def test_its_reply_is_the_full_applications(
    app, client, login, board, mount, full_requests, query, reader, encoding
):
    round_, students = board
    login(students[reader])
    path = f"/api/v1/rounds/{round_.id}/leaderboard{query}"

    mounted, direct = _both(app, mount, client, path, **{"Accept-Encoding": encoding})

    assert (mounted.status_code, direct.status_code) == (200, 200)
    assert (mount.served, full_requests) == (1, [path.split("?")[0]])
    assert mounted.data == direct.data
    assert sorted(mounted.headers.items()) == sorted(direct.headers.items())
    assert mounted.headers["Cache-Control"] == "private, no-store"
    body = gzip.decompress(mounted.data) if encoding == "gzip" else mounted.data
    assert json.loads(body)["me"]["is_me"] is True


@pytest.mark.parametrize(
    "query",
    [
        "?scope=teacher",
        "?scope=",
        "?level=",
        "?level=THPT",
        "?limit=0",
        "?limit=101",
        "?limit=07",
        "?limit=ten",
        "?scope=student&scope=class",
        "?scope=student&",
        "?page=2",
    ],
)
def test_unusual_arguments_are_the_full_routes_to_parse(
    app, client, login, board, mount, full_requests, query
):
    round_, students = board
    login(students[5])
    path = f"/api/v1/rounds/{round_.id}/leaderboard{query}"

    mounted, direct = _both(app, mount, client, path)

    assert (mount.served, mount.passed) == (0, 1)
    assert (mounted.status_code, mounted.data) == (direct.status_code, direct.data)
    assert len(full_requests) == 2


def test_an_ended_session_is_the_full_applications_401(
    app, client, login, board, mount, full_requests
):
    round_, students = board
    login(students[5])
    cookie = _cookie(client)
    client.post("/logout")
    mount.passed = 0

    response = app.test_client(use_cookies=False).get(
        f"/api/v1/rounds/{round_.id}/leaderboard", headers={"Cookie": cookie}
    )

    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert (mount.served, mount.passed) == (0, 1)


def test_a_disabled_account_reads_nothing(app, client, login, board, mount, db):
    round_, students = board
    login(students[5])
    students[5].active = False
    db.session.commit()

    response = client.get(f"/api/v1/rounds/{round_.id}/leaderboard")

    assert response.status_code == 401
    assert (mount.served, mount.passed) == (0, 1)


def test_an_expired_session_reads_nothing(app, client, login, board, mount, frozen):
    round_, students = board
    login(students[5])
    frozen.shift(timedelta(days=400))

    response = client.get(f"/api/v1/rounds/{round_.id}/leaderboard")

    assert response.status_code == 401
    assert (mount.served, mount.passed) == (0, 1)


def test_a_board_before_its_release_is_the_full_applications(
    app, client, login, make, mount, full_requests, db, frozen
):
    quiz = QuizFactory(make)
    round_ = quiz.round(results_release_at=T0 + timedelta(hours=3))
    student = make.student()
    submitted(round_, student, score=5)
    leaderboards.snapshot_round(round_=round_, now=T0)
    db.session.commit()
    path = f"/api/v1/rounds/{round_.id}/leaderboard"

    login(student)
    refused = client.get(path)
    staff = sign_in(app.test_client(), make.organizer().id)
    allowed = staff.get(path)

    assert refused.status_code == 403
    assert allowed.status_code == 200  # district staff see boards at any time
    assert (mount.served, mount.passed) == (0, 2)
    assert full_requests == [path, path]


def test_a_practice_round_an_unknown_round_and_a_round_without_a_snapshot(
    app, client, login, make, mount, db
):
    quiz = QuizFactory(make)
    practice = quiz.round(kind=RoundKind.PRACTICE, results_release_at=T0 - timedelta(hours=1))
    fresh = quiz.round(results_release_at=T0 - timedelta(hours=1))
    db.session.commit()
    login(make.student())

    assert client.get(f"/api/v1/rounds/{practice.id}/leaderboard").status_code == 403
    assert client.get("/api/v1/rounds/987654/leaderboard").status_code == 404
    empty = client.get(f"/api/v1/rounds/{fresh.id}/leaderboard")
    assert (empty.status_code, empty.json["entries"], empty.json["me"]) == (200, [], None)
    assert (mount.served, mount.passed) == (0, 3)


def test_a_session_from_another_browser_is_the_full_applications(app, client, login, board, mount):
    round_, students = board
    login(students[5])
    path = f"/api/v1/rounds/{round_.id}/leaderboard"

    mounted, direct = _both(app, mount, client, path, **{"User-Agent": "another browser"})

    # Flask-Login's session protection marks the session not fresh: a change to the session,
    # which the full application makes and sends.
    assert (mount.served, mount.passed) == (0, 1)
    assert (mounted.status_code, mounted.data) == (direct.status_code, direct.data)
    assert "Set-Cookie" in mounted.headers


def test_a_remember_me_cookie_alone_is_exchanged_by_the_full_application(
    app, board, mount, full_requests
):
    round_, students = board
    device = app.test_client()
    data = {"username": students[5].username, "password": PASSWORD, "remember": "y"}
    assert device.post("/login", data=data).status_code == 302
    remember = device.get_cookie("mx_remember").value
    browser = app.test_client()  # the session cookie is gone: only remember-me is left
    browser.set_cookie("mx_remember", remember)

    response = browser.get(f"/api/v1/rounds/{round_.id}/leaderboard")

    assert response.status_code == 200
    assert response.json["me"]["rank"] == 6
    assert (mount.served, mount.passed) == (0, 1)
    assert browser.get_cookie("mx_remember").value != remember  # exchanged for a new one
    assert browser.get_cookie("mx_session") is not None


def test_a_failing_read_is_handed_on(app, client, login, board, mount, monkeypatch, caplog):
    round_, students = board
    login(students[5])

    def broken(*args, **kwargs):
        raise sa.exc.ProgrammingError("SELECT", {}, Exception("no such column: user.nickname"))

    monkeypatch.setattr(sessions, "load_reader", broken)
    response = client.get(f"/api/v1/rounds/{round_.id}/leaderboard")

    assert response.status_code == 200  # the full application's own read
    assert (mount.served, mount.passed) == (0, 1)
    assert "leaderboard read handed on" in caplog.text


@pytest.mark.parametrize("kind", ["round", "contest"])
def test_a_board_read_runs_one_statement(request, client, login, mount, kind):
    if kind == "round":
        round_, students = request.getfixturevalue("board")
        path = f"/api/v1/rounds/{round_.id}/leaderboard"
    else:
        contest, _rounds, students = request.getfixturevalue("contest_board")
        path = f"/api/v1/contests/{contest.id}/leaderboard"
    login(students[-1])
    client.get(path)  # the worker's caches filled

    with Statements() as statements:
        response = client.get(path)

    assert response.status_code == 200
    assert mount.served == 2
    # The reader with their live session, and the board's newest released snapshot.
    assert len(statements) == 1, "\n".join(statements)
    assert "login_session" in statements[0]
    assert "quiz_leaderboard_snapshot" in statements[0]


def test_other_requests_are_not_the_board_applications(app, client, login, board, mount):
    round_, students = board
    login(students[5])
    path = f"/api/v1/rounds/{round_.id}/leaderboard"

    assert app.test_client().get(path).status_code == 401  # no cookie at all
    assert client.head(path).status_code == 200
    assert client.post(path).status_code == 405
    assert client.get(path + "/").status_code == 404
    assert (mount.served, mount.passed) == (0, 0)


down_app = test_database_down.down_app


def test_with_the_database_down_a_board_read_is_the_full_applications_503(down_app, caplog):
    client = down_app.test_client()
    with client.session_transaction() as session:  # a signed-in cookie (no database to record it)
        session["_user_id"] = "1:1"
        session["_fresh"] = True
        with down_app.test_request_context(environ_base=client.environ_base):
            session["_id"] = _create_identifier()
    caplog.set_level(logging.INFO)
    path = "/api/v1/rounds/1/leaderboard"

    mounted = client.get(path)
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    direct = Client(down_app.wsgi_app.wrapped.wrapped, use_cookies=False).get(
        path,
        headers={"Cookie": f"mx_session={client.get_cookie('mx_session').value}"},
        environ_base=client.environ_base,
    )

    assert mounted.status_code == 503
    assert mounted.json["error"]["code"] == "database_unavailable"
    assert (mounted.get_data(), mounted.headers["Retry-After"]) == (
        direct.get_data(),
        direct.headers["Retry-After"],
    )
    assert sorted(mounted.headers.items()) == sorted(direct.headers.items())
    assert len(lines) == 1 and lines[0].startswith(f"database unavailable: GET {path}")


# --- the whole-contest board (getContestLeaderboard) ---------------------------------------------


@pytest.fixture
def contest_board(make, db, frozen):
    """A contest of two ranked rounds, both released, and a practice round that never is."""
    quiz = QuizFactory(make)
    contest = quiz.contest()
    first = quiz.round(contest, results_release_at=T0 - timedelta(hours=1))
    second = quiz.round(contest, results_release_at=T0)
    quiz.round(contest, kind=RoundKind.PRACTICE)
    students = [make.student(full_name=f"Học Sinh {chr(65 + i)}") for i in range(4)]
    for index, student in enumerate(students):
        submitted(first, student, score=4 - index)
        submitted(second, student, score=index)
    leaderboards.snapshot_contest(contest=contest, now=T0)
    db.session.commit()
    return contest, (first, second), students


@pytest.mark.parametrize("query", ["", "?scope=school", "?limit=2"])
def test_a_released_contest_board_is_read_by_the_board_application(
    app, client, login, contest_board, mount, full_requests, query
):
    contest, _rounds, students = contest_board
    login(students[3])
    path = f"/api/v1/contests/{contest.id}/leaderboard{query}"

    mounted, direct = _both(app, mount, client, path, **{"Accept-Encoding": "gzip"})

    assert (mounted.status_code, direct.status_code) == (200, 200)
    assert (mount.served, full_requests) == (1, [path.split("?")[0]])
    assert mounted.data == direct.data
    assert sorted(mounted.headers.items()) == sorted(direct.headers.items())
    assert json.loads(gzip.decompress(mounted.data))["me"]["is_me"] is True


def test_a_contest_board_with_a_started_round_not_released_is_the_full_applications(
    app, client, login, make, contest_board, mount, db
):
    contest, (_first, second), students = contest_board
    second.results_release_at = T0 + timedelta(hours=1)
    db.session.commit()
    path = f"/api/v1/contests/{contest.id}/leaderboard"

    login(students[0])
    refused = client.get(path)
    staff = sign_in(app.test_client(), make.organizer().id).get(path)

    assert (refused.status_code, staff.status_code) == (403, 200)
    assert (mount.served, mount.passed) == (0, 2)


def test_a_contest_board_before_any_ranked_round_starts_is_the_full_applications(
    app, client, login, make, mount, db, frozen
):
    quiz = QuizFactory(make)
    contest = quiz.contest()
    quiz.round(  # opens tomorrow
        contest,
        opens_at=T0 + timedelta(days=1),
        closes_at=T0 + timedelta(days=2),
        results_release_at=T0 + timedelta(days=3),
    )
    leaderboards.snapshot_contest(contest=contest, now=T0)
    db.session.commit()
    login(make.student())

    response = client.get(f"/api/v1/contests/{contest.id}/leaderboard")
    unknown = client.get("/api/v1/contests/987654/leaderboard")

    assert (response.status_code, unknown.status_code) == (403, 404)
    assert (mount.served, mount.passed) == (0, 2)
