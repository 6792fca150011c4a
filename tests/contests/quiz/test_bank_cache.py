"""Starts read the bank through a short per-worker cache (QUIZ_BANK_CACHE_SECONDS)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from contests.quiz import services
from tests.conftest import T0


@pytest.fixture
def cached(app):
    app.config["QUIZ_BANK_CACHE_SECONDS"] = 30
    yield
    app.config["QUIZ_BANK_CACHE_SECONDS"] = 0


def drawn(round_) -> set[int]:
    paper = services.draw_paper(round_=round_, rng=random.Random(1), day=T0.date())
    return {item["q"] for item in paper}


def test_a_new_question_reaches_papers_once_the_cache_expires(ctx, quiz, frozen, cached):
    category = quiz.category()
    first = quiz.question(category)
    round_ = quiz.round(category=category, count=1, questions=0)
    assert drawn(round_) == {first.id}

    first.retired_at = T0
    second = quiz.question(category)
    assert drawn(round_) == {first.id}  # still the bank as read a moment ago

    frozen.shift(31)
    assert drawn(round_) == {second.id}


def test_edited_texts_show_once_the_cache_expires(ctx, quiz, frozen, cached):
    question = quiz.question(text="Câu hỏi cũ?")
    paper = [{"q": question.id, "k": "single", "c": [c.id for c in question.choices]}]
    attempt = services.Attempt(paper=paper)
    assert services.paper_questions(attempt)[0]["text"] == "Câu hỏi cũ?"

    question.text = "Câu hỏi đã sửa?"
    assert services.paper_questions(attempt)[0]["text"] == "Câu hỏi cũ?"

    frozen.shift(31)
    assert services.paper_questions(attempt)[0]["text"] == "Câu hỏi đã sửa?"


def test_without_the_cache_every_draw_reads_the_bank(ctx, quiz, frozen):
    category = quiz.category()
    first = quiz.question(category)
    round_ = quiz.round(category=category, count=1, questions=0)
    assert drawn(round_) == {first.id}

    first.retired_at = T0
    second = quiz.question(category)

    assert drawn(round_) == {second.id}


def test_a_question_whose_choices_were_not_read_is_never_drawn(ctx, quiz, frozen, monkeypatch):
    """The bank's two reads need not see the same moment (PostgreSQL's READ COMMITTED): a
    question retired or deleted between them comes without choices and stays out of the bank."""
    category = quiz.category()
    kept, gone = quiz.question(category), quiz.question(category)
    read = services._bank_rows

    def rows(statement, params):
        found = read(statement, params)
        if statement is services._BANK_CHOICES:
            return [row for row in found if row[1] != gone.id]
        return found

    monkeypatch.setattr(services.draw, "_bank_rows", rows)
    bank = services.load_bank(services.Pool.CONTEST, T0.date(), ttl=timedelta(0))

    assert bank.by_category[category.id] == [(kept.id, kept.difficulty)]
    assert set(bank.kinds) == set(bank.texts) == {kept.id}
