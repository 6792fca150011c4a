"""Quiz factories: a bank, a contest on a campaign, rounds and attempts."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from campaign.campaigns.models import Campaign, CampaignStatus
from contests.quiz import services
from contests.quiz.models import Pool, QuestionCategory, QuizContest, QuizRound, RoundKind
from core.extensions import db
from tests.conftest import T0

_seq = itertools.count(1)


class QuizFactory:
    def __init__(self, make):
        self.make = make

    def seq(self) -> int:
        return next(_seq)

    def campaign(self) -> Campaign:
        n = self.seq()
        item = Campaign(
            slug=f"camp-{n}",
            title=f"Campaign {n}",
            starts_on=date(2026, 9, 5),
            ends_on=date(2027, 5, 31),
            status=CampaignStatus.PUBLISHED,
        )
        db.session.add(item)
        db.session.flush()
        return item

    def category(self, name: str | None = None) -> QuestionCategory:
        n = self.seq()
        item = QuestionCategory(code=f"cat{n}", name=name or f"Chủ đề {n}")
        db.session.add(item)
        db.session.flush()
        return item

    def question(self, category=None, kind="single", correct=(0,), n_choices=4, **kw):
        category = category or self.category()
        if kind == "truefalse":
            n_choices = 2
        choices = [(f"Phương án {i}", i in correct) for i in range(n_choices)]
        return services.save_question(
            actor=None,
            question=None,
            category_id=category.id,
            kind=kind,
            text=kw.pop("text", f"Câu hỏi {self.seq()}?"),
            choices=choices,
            explanation=kw.pop("explanation", "Giải thích bí mật"),
            audit_it=False,
            **kw,
        )

    def contest(self) -> QuizContest:
        item = QuizContest(campaign_id=self.campaign().id, title=f"Contest {self.seq()}")
        db.session.add(item)
        db.session.flush()
        return item

    def round(self, contest=None, *, category=None, count=3, questions=None, **kw) -> QuizRound:
        contest = contest or self.contest()
        if category is None:
            category = self.category()
            pool = Pool.PRACTICE if kw.get("kind") == RoundKind.PRACTICE else Pool.CONTEST
            for i in range(questions or count):
                self.question(category, pool=pool, difficulty=1 + i % 3)
        values = {
            "title": f"Round {self.seq()}",
            "opens_at": T0 - timedelta(hours=1),
            "closes_at": T0 + timedelta(hours=2),
            "time_limit_seconds": 900,
            "draw_rules": [{"category_id": category.id, "count": count}],
            "show_answers": True,
        }
        values.update(kw)
        item = QuizRound(contest_id=contest.id, **values)
        db.session.add(item)
        db.session.flush()
        return item


def live_app(request, tmp_path_factory, purpose: str, **overrides):
    """An application on a migrated database of its own (not the tests' rolled-back
    transaction), for what needs real commits: threads, SQLite's write lock, concurrency."""
    from flask_migrate import upgrade

    from tests.conftest import database_url, make_test_app

    url = database_url(request, tmp_path_factory, purpose)
    application = make_test_app(url, tmp_path_factory.mktemp(purpose), **overrides)
    with application.app_context():
        upgrade()
    return application


def seed_open_round(app, *, students: int = 1, count: int = 3) -> tuple[int, list[int]]:
    """Commit a round open now and ``students`` students; return their ids."""
    from core.clock import utcnow
    from tests import factories

    with app.test_request_context():
        now = utcnow()
        round_ = QuizFactory(factories).round(
            count=count, opens_at=now - timedelta(hours=1), closes_at=now + timedelta(hours=1)
        )
        users = [factories.student() for _ in range(students)]
        db.session.commit()
        ids = round_.id, [u.id for u in users]
        db.session.remove()
    return ids


class StoredSessions:
    """Signed-in sessions stored as ``LoginSession`` rows, and the request's one as
    :func:`core.auth.sessions.current_login_session_id` names it for the quiz API (each
    signed-in user's row opened here).

    ``open`` adds a live row for a user; ``revoke`` ends it, as a sign-out does.
    """

    def __init__(self):
        self.by_user: dict[int, int] = {}

    def open(self, user_id: int, *, expires_in: timedelta = timedelta(hours=12)) -> int:
        from core.auth.models import LoginSession
        from core.clock import utcnow

        row = LoginSession(user_id=user_id, expires_at=utcnow() + expires_in)
        db.session.add(row)
        db.session.flush()
        self.by_user[user_id] = row.id
        return row.id

    def revoke(self, user_id: int) -> None:
        from core.auth.models import LoginSession
        from core.clock import utcnow

        db.session.get(LoginSession, self.by_user[user_id]).revoked_at = utcnow()
        db.session.flush()

    def current(self) -> int | None:
        from flask_login import current_user

        if not current_user.is_authenticated:
            return None
        return self.by_user.get(current_user.id)


@pytest.fixture
def stored_sessions(monkeypatch) -> StoredSessions:
    """The quiz API issues attempt tokens naming the sessions opened here."""
    from contests.quiz import api

    sessions = StoredSessions()
    monkeypatch.setattr(api, "current_login_session_id", sessions.current)
    return sessions


def counting_view(app, monkeypatch, endpoint: str) -> list[dict]:
    """The calls of a view from now on (its keyword arguments), so a test can tell whether
    the full route answered."""
    calls: list[dict] = []
    view = app.view_functions[endpoint]

    def counting(*args, **kwargs):
        calls.append(kwargs)
        return view(*args, **kwargs)

    monkeypatch.setitem(app.view_functions, endpoint, counting)
    return calls


@pytest.fixture
def ctx(app, db):
    """A request context, so services' translated messages can be built."""
    with app.test_request_context():
        yield


@pytest.fixture
def quiz(make):
    return QuizFactory(make)


@pytest.fixture
def relogin(login):
    """Sign another user in mid-test (the test's app context caches the current user in g)."""
    from flask import g

    def _relogin(user, test_client=None):
        g.pop("_login_user", None)
        return login(user, test_client)

    return _relogin
