"""The released leaderboard page is shared (issue 18): cacheable, the same for everyone.

Browsers and nginx may keep it for a short while (Cache-Control public, max-age, an ETag from
the snapshot), so it must hold nothing of its reader: no name, no CSRF token, no cookie set.
The reader's own line comes from getLeaderboard, fetched by the page's script.
"""

from __future__ import annotations

import pytest

from contests.quiz import leaderboards
from tests.conftest import T0
from tests.contests.quiz.factories import QuizFactory
from tests.contests.quiz.test_leaderboards import submitted
from tests.core.test_sessions import REMEMBER, cookie, fresh_client, sign_in_with_password


@pytest.fixture
def released(make, db, frozen):
    quiz = QuizFactory(make)
    round_ = quiz.round(results_release_at=T0)
    students = [
        make.student(full_name=f"Nguyễn Văn {chr(65 + i)}", username=f"hs{i}") for i in range(3)
    ]
    for index, student in enumerate(students):
        submitted(round_, student, score=3 - index)
    leaderboards.snapshot_round(round_=round_, now=T0)
    db.session.commit()
    return round_, students


def test_the_released_page_is_shared_and_holds_nothing_of_its_reader(client, login, released):
    round_, students = released
    login(students[2])

    response = client.get(f"/quiz/rounds/{round_.id}/leaderboard")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] in ("public, max-age=60", "max-age=60, public")
    assert response.headers["ETag"]
    assert "Set-Cookie" not in response.headers
    assert "Nguyễn Văn C" not in html  # the reader's full name (the user menu)
    assert "Nguyễn V. C." in html  # masked, as everyone sees it
    # The reader's menu is an empty slot, filled in by the page's script (app.js).
    assert '<li class="nav-item dropdown" id="reader-menu" hidden' in html
    assert 'data-slot="full_name"></a>' in html and 'data-slot="username"></span>' in html
    assert 'name="csrf-token" content=""' in html
    assert "js/board.js" in html and 'id="my-rank"' in html
    # The safety corner stays, with the national lines (the same for every reader).
    assert 'data-testid="safety-corner"' in html and "111" in html


def test_every_reader_gets_the_same_page(app, client, login, released):
    round_, students = released
    path = f"/quiz/rounds/{round_.id}/leaderboard?scope=class"
    anonymous = app.test_client().get(path)
    login(students[0])
    signed_in = client.get(path)

    assert anonymous.status_code == signed_in.status_code == 200
    assert anonymous.get_data(as_text=True) == signed_in.get_data(as_text=True)
    assert anonymous.headers["ETag"] == signed_in.headers["ETag"]


def test_the_browsers_copy_is_confirmed_with_304(app, released):
    round_, _ = released
    browser = app.test_client()
    first = browser.get(f"/quiz/rounds/{round_.id}/leaderboard")

    again = browser.get(
        f"/quiz/rounds/{round_.id}/leaderboard", headers={"If-None-Match": first.headers["ETag"]}
    )

    assert again.status_code == 304
    assert again.data == b""


def test_a_new_snapshot_changes_the_etag(app, make, released, db):
    round_, _students = released
    before = app.test_client().get(f"/quiz/rounds/{round_.id}/leaderboard").headers["ETag"]
    submitted(round_, make.student(), score=9)
    leaderboards.snapshot_round(round_=round_, now=T0)
    db.session.commit()

    after = app.test_client().get(f"/quiz/rounds/{round_.id}/leaderboard").headers["ETag"]

    assert before != after


def test_a_page_that_sets_a_cookie_is_never_shared(app, client, released):
    """A remember-me cookie restoring a session rotates its token on this very request."""
    round_, _students = released
    sign_in_with_password(client, "hs0", remember=True)
    browser_restarted = fresh_client(app, **{REMEMBER: cookie(client, REMEMBER)})

    response = browser_restarted.get(f"/quiz/rounds/{round_.id}/leaderboard")

    assert response.status_code == 200
    assert "Set-Cookie" in response.headers
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "ETag" not in response.headers


def test_before_release_staff_get_a_private_page(client, make, login, db, frozen):
    quiz = QuizFactory(make)
    round_ = quiz.round(results_release_at=None)
    login(make.organizer())

    response = client.get(f"/quiz/rounds/{round_.id}/leaderboard")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"


def test_before_release_a_student_is_refused(client, make, login, db, frozen):
    quiz = QuizFactory(make)
    round_ = quiz.round(results_release_at=None)
    login(make.student())

    assert client.get(f"/quiz/rounds/{round_.id}/leaderboard").status_code == 403


def test_the_page_compresses_when_accepted(app, released):
    round_, _ = released
    response = app.test_client().get(
        f"/quiz/rounds/{round_.id}/leaderboard", headers={"Accept-Encoding": "gzip"}
    )

    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Cache-Control"] in ("public, max-age=60", "max-age=60, public")
