"""The demo quiz keeps its keys: practice apart from contest questions, no live key revealed."""

from __future__ import annotations

import sqlalchemy as sa

from campaign.news.models import NewsPost
from contests.quiz import keys, services
from contests.quiz.models import (
    Attempt,
    AttemptStatus,
    Pool,
    Question,
    QuestionExposure,
    QuizContest,
    QuizRound,
)
from core.accounts.models import User
from demo import seed_demo
from demo.quiz import DEMO_TITLE
from tests.conftest import T0


def test_seed_demo_quiz_reveals_no_key_of_the_live_round(app, db):
    with app.test_request_context():
        seed_demo(now=T0)
        contest = db.session.scalar(sa.select(QuizContest).where(QuizContest.title == DEMO_TITLE))
        rounds = {r.title: r for r in contest.rounds}
        student1 = db.session.scalar(sa.select(User).where(User.username == "student1"))
        live, _ = services.start_attempt(round_=rounds["Vòng 2"], user=student1, now=T0)
        released = db.session.scalars(
            sa.select(Attempt).where(
                Attempt.round_id == rounds["Vòng 1"].id,
                Attempt.status == AttemptStatus.SUBMITTED,
            )
        ).all()
        reviews = [services.review(a, now=T0) for a in released]
        practice, _ = services.start_attempt(round_=rounds["Luyện tập"], user=student1, now=T0)
        services.submit_attempt(attempt=practice, now=T0)
        practice_review = services.review(practice, now=T0)

        by_pool: dict[Pool, dict[str, Question]] = {Pool.CONTEST: {}, Pool.PRACTICE: {}}
        for question in db.session.scalars(sa.select(Question)):
            by_pool[question.pool][question.text_key] = question
        exposed = set(db.session.scalars(sa.select(QuestionExposure.question_id)))

        assert contest.reveal_keys_after_last_round is True
        assert rounds["Vòng 1"].results_released(T0)
        assert keys.keys_shown_from(rounds["Vòng 1"]) == rounds["Vòng 2"].closes_at
        assert len(released) > 100 and reviews == [None] * len(released)
        assert len(by_pool[Pool.PRACTICE]) == 18
        assert set(by_pool[Pool.PRACTICE]) & set(by_pool[Pool.CONTEST]) == set()
        assert all(q.source for q in by_pool[Pool.PRACTICE].values())
        # Practice shows its keys at once, and only practice questions become exposed.
        assert len(practice_review) == 10
        assert exposed == set(practice.question_ids)
        assert exposed.isdisjoint(live.question_ids)
        assert db.session.get(QuizRound, rounds["Vòng 2"].id).question_count == 19


def test_seed_demo_states_the_paper_its_draw_rules_make(app, db):
    with app.test_request_context():
        seed_demo(now=T0)
        contest = db.session.scalar(sa.select(QuizContest).where(QuizContest.title == DEMO_TITLE))
        ranked = next(r for r in contest.rounds if r.title == "Vòng 2")
        stated = f"{ranked.question_count} câu hỏi trong {ranked.time_limit_seconds // 60} phút"
        news = db.session.scalar(
            sa.select(NewsPost.body_markdown).where(NewsPost.title.like("Khai mạc cuộc thi%"))
        )

    assert ranked.question_count == 19
    assert stated in contest.description
    assert stated in news
