"""Keys that stay secret: exposure, the practice pool apart, reveal after the last round."""

from __future__ import annotations

import io
import random
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from contests.quiz import formats, keys, services
from contests.quiz.models import (
    ExposedBy,
    Pool,
    Question,
    QuestionExposure,
    QuizRound,
    RoundKind,
)
from core.errors import ValidationFailed
from core.extensions import db
from core.spreadsheets import ImportRejected
from tests.conftest import T0

pytestmark = pytest.mark.usefixtures("ctx")


def submitted(round_, student, at=T0):
    attempt, _ = services.start_attempt(round_=round_, user=student, now=at)
    services.submit_attempt(attempt=attempt, now=at)
    return attempt


def exposures() -> dict[int, tuple]:
    return {
        e.question_id: (e.exposed_by, e.attempt_id, e.exposed_at)
        for e in db.session.scalars(sa.select(QuestionExposure))
    }


def round_values(category, **kw) -> dict:
    values = {
        "title": "Vòng 3",
        "kind": RoundKind.RANKED,
        "opens_at": T0 + timedelta(days=1),
        "closes_at": T0 + timedelta(days=1, hours=2),
        "time_limit_seconds": 900,
        "draw_rules": [{"category_id": category.id, "count": 3}],
        "balance_difficulty": False,
        "shuffle_questions": True,
        "shuffle_choices": True,
        "attempts_allowed": 1,
        "multiple_scoring": "all_or_nothing",
        "eligible_levels": "",
        "eligible_grades": "",
        "prediction_enabled": False,
        "prediction_actual": "perfect",
        "results_release_at": None,
        "show_answers": True,
        "show_score_on_submit": True,
        "prize_points": "10,8,6",
    }
    values.update(kw)
    return values


# --- exposure -----------------------------------------------------------------------------------


def test_released_review_records_exposure_once(quiz, make):
    round_ = quiz.round(count=3, results_release_at=T0 + timedelta(hours=3))
    first = submitted(round_, make.student())
    second = submitted(round_, make.student())
    shown_at = T0 + timedelta(hours=4)

    items = services.review(first, now=shown_at)
    services.review(second, now=shown_at + timedelta(hours=1))
    services.review(first, now=shown_at + timedelta(hours=2))

    assert len(items) == 3
    assert exposures() == {
        q: (ExposedBy.REVIEW, first.id, shown_at) for q in sorted(first.question_ids)
    }


def test_review_holds_keys_a_live_paper_of_another_contest_may_hold(quiz, make):
    category = quiz.category()
    for _ in range(3):
        quiz.question(category)
    done = quiz.round(
        category=category,
        count=3,
        opens_at=T0 - timedelta(days=3),
        closes_at=T0 - timedelta(days=2),
        results_release_at=T0 - timedelta(days=1),
    )
    live = quiz.round(category=category, count=3)
    reviewed = submitted(done, make.student(), at=T0 - timedelta(days=3))
    in_progress, _ = services.start_attempt(round_=live, user=make.student(), now=T0)
    held_until = in_progress.deadline_at + services.grace()

    during = services.review(reviewed, now=T0 + timedelta(minutes=1))
    keys_from = services.review_keys_from(reviewed, now=T0 + timedelta(minutes=1))
    after = services.review(reviewed, now=held_until)

    assert during is None
    assert keys_from == held_until
    assert len(after) == 3
    # Exposed at the first read; never drawn again from then on.
    assert {e[2] for e in exposures().values()} == {T0 + timedelta(minutes=1)}
    assert set(exposures()) == set(reviewed.question_ids)


def test_review_shows_keys_no_live_paper_holds_while_other_rounds_run(quiz, make):
    done = quiz.round(
        count=3,
        opens_at=T0 - timedelta(days=3),
        closes_at=T0 - timedelta(days=2),
        results_release_at=T0 - timedelta(days=1),
    )
    live = quiz.round(count=3)  # another category
    reviewed = submitted(done, make.student(), at=T0 - timedelta(days=3))
    services.start_attempt(round_=live, user=make.student(), now=T0)

    items = services.review(reviewed, now=T0 + timedelta(minutes=1))

    assert len(items) == 3
    assert services.review_keys_from(reviewed, now=T0) == T0 + timedelta(minutes=1)
    assert (
        db.session.scalars(sa.select(QuestionExposure.keys_shown_from)).all()
        == [T0 + timedelta(minutes=1)] * 3
    )


def test_practice_review_records_exposure(quiz, make):
    round_ = quiz.round(count=2, kind=RoundKind.PRACTICE)
    attempt = submitted(round_, make.student())

    services.review(attempt, now=T0 + timedelta(minutes=1))

    assert {q: e[0] for q, e in exposures().items()} == {
        q: ExposedBy.PRACTICE_REVIEW for q in attempt.question_ids
    }


def test_review_not_shown_exposes_nothing(quiz, make):
    hidden = quiz.round(count=2, results_release_at=T0 + timedelta(days=1))
    no_answers = quiz.round(count=2, results_release_at=T0 + timedelta(hours=3))
    no_answers.show_answers = False
    a = submitted(hidden, make.student())
    b = submitted(no_answers, make.student())

    assert services.review(a, now=T0 + timedelta(hours=5)) is None
    assert services.review(b, now=T0 + timedelta(days=2)) is None
    assert exposures() == {}


def test_exposed_question_is_never_drawn_into_a_ranked_paper(quiz, make):
    category = quiz.category()
    questions = [quiz.question(category) for _ in range(4)]
    keys.record_exposure(
        question_ids=[questions[0].id], by=ExposedBy.REVIEW, attempt_id=None, now=T0
    )
    round_ = quiz.round(category=category, count=3)

    papers = [
        set(
            services.start_attempt(
                round_=round_, user=make.student(), now=T0, rng=random.Random(seed)
            )[0].question_ids
        )
        for seed in range(8)
    ]

    assert papers == [{q.id for q in questions[1:]}] * 8


def test_question_exposed_after_the_bank_was_cached_is_not_drawn(app, quiz, make):
    category = quiz.category()
    questions = [quiz.question(category) for _ in range(4)]
    round_ = quiz.round(category=category, count=3)
    app.config["QUIZ_BANK_CACHE_SECONDS"] = 30
    try:
        services.start_attempt(round_=round_, user=make.student(), now=T0)  # caches the bank
        keys.record_exposure(
            question_ids=[questions[1].id], by=ExposedBy.REVIEW, attempt_id=None, now=T0
        )
        papers = [
            set(
                services.start_attempt(
                    round_=round_, user=make.student(), now=T0, rng=random.Random(seed)
                )[0].question_ids
            )
            for seed in range(6)
        ]
    finally:
        app.config["QUIZ_BANK_CACHE_SECONDS"] = 0
        services.forget_cached_rows()

    assert papers == [{questions[0].id, questions[2].id, questions[3].id}] * 6


def test_exposed_practice_question_moved_to_the_contest_pool_is_not_drawn(quiz, make):
    category = quiz.category()
    practice_round = quiz.round(category=category, count=1, kind=RoundKind.PRACTICE)
    practice = quiz.question(category, pool=Pool.PRACTICE)
    contest = [quiz.question(category) for _ in range(2)]
    services.review(submitted(practice_round, make.student()), now=T0)
    services.save_question(
        actor=None,
        question=practice,
        category_id=category.id,
        kind="single",
        text=practice.text,
        choices=[(c.text, c.correct) for c in practice.choices],
        pool=Pool.CONTEST,
        audit_it=False,
    )
    ranked = quiz.round(category=category, count=2)

    papers = {
        frozenset(
            services.start_attempt(
                round_=ranked, user=make.student(), now=T0, rng=random.Random(seed)
            )[0].question_ids
        )
        for seed in range(6)
    }

    assert practice.id in exposures()
    assert papers == {frozenset(q.id for q in contest)}


def test_exposed_practice_questions_are_still_drawn_for_practice(quiz, make):
    category = quiz.category()
    practice = [quiz.question(category, pool=Pool.PRACTICE) for _ in range(2)]
    keys.record_exposure(
        question_ids=[q.id for q in practice], by=ExposedBy.PRACTICE_REVIEW, attempt_id=None, now=T0
    )
    round_ = quiz.round(category=category, count=2, kind=RoundKind.PRACTICE)

    attempt, _ = services.start_attempt(round_=round_, user=make.student(), now=T0)

    assert sorted(attempt.question_ids) == sorted(q.id for q in practice)


def test_pool_counts_show_unexposed_per_pool_and_category(quiz):
    a, b = quiz.category(), quiz.category()
    contest = [quiz.question(a) for _ in range(3)]
    practice = [quiz.question(a, pool=Pool.PRACTICE) for _ in range(2)]
    quiz.question(b)
    keys.record_exposure(
        question_ids=[contest[0].id, contest[1].id, practice[0].id],
        by=ExposedBy.REVIEW,
        attempt_id=None,
        now=T0,
    )

    counts = services.pool_counts(day=T0.date())

    assert counts == {
        (Pool.CONTEST, a.id): services.PoolCount(active=3, unexposed=1),
        (Pool.PRACTICE, a.id): services.PoolCount(active=2, unexposed=1),
        (Pool.CONTEST, b.id): services.PoolCount(active=1, unexposed=1),
    }
    assert services.available_counts(pool=Pool.CONTEST, day=T0.date()) == {a.id: 1, b.id: 1}
    assert services.available_counts(pool=Pool.PRACTICE, day=T0.date()) == {a.id: 2}


# --- saving a round -----------------------------------------------------------------------------


def test_save_round_refused_when_unexposed_questions_cannot_meet_a_rule(quiz, make):
    contest = quiz.contest()
    category = quiz.category("Quyền trẻ em")
    questions = [quiz.question(category) for _ in range(3)]
    keys.record_exposure(
        question_ids=[questions[0].id], by=ExposedBy.REVIEW, attempt_id=None, now=T0
    )

    with pytest.raises(ValidationFailed) as refused:
        services.save_round(
            actor=make.organizer(), contest=contest, round_=None, now=T0, **round_values(category)
        )

    assert refused.value.field == f"count_{category.id}"
    assert "“Quyền trẻ em”" in refused.value.message
    assert "chỉ còn 2 câu hỏi" in refused.value.message
    assert db.session.scalar(sa.select(sa.func.count(QuizRound.id))) == 0


def test_save_practice_round_counts_exposed_practice_questions(quiz, make):
    contest = quiz.contest()
    category = quiz.category()
    practice = [quiz.question(category, pool=Pool.PRACTICE) for _ in range(3)]
    keys.record_exposure(
        question_ids=[q.id for q in practice], by=ExposedBy.PRACTICE_REVIEW, attempt_id=None, now=T0
    )

    round_ = services.save_round(
        actor=make.organizer(),
        contest=contest,
        round_=None,
        now=T0,
        **round_values(category, kind=RoundKind.PRACTICE),
    )

    assert round_.draw_rules == [{"category_id": category.id, "count": 3}]


def test_save_round_release_before_close_refused(quiz, make):
    contest = quiz.contest()
    category = quiz.category()
    for _ in range(3):
        quiz.question(category)
    closes = T0 + timedelta(days=1, hours=2)

    with pytest.raises(ValidationFailed) as refused:
        services.save_round(
            actor=make.organizer(),
            contest=contest,
            round_=None,
            now=T0,
            **round_values(category, results_release_at=closes - timedelta(minutes=1)),
        )
    at_close = services.save_round(
        actor=make.organizer(),
        contest=contest,
        round_=None,
        now=T0,
        **round_values(category, results_release_at=closes),
    )

    assert refused.value.field == "results_release_at"
    assert refused.value.message == "Không thể công bố kết quả trước khi vòng thi đóng."
    assert at_close.results_release_at == closes


def test_rounds_short_of_questions_after_exposures(quiz):
    category = quiz.category()
    questions = [quiz.question(category) for _ in range(3)]
    upcoming = quiz.round(
        category=category,
        count=3,
        opens_at=T0 + timedelta(days=1),
        closes_at=T0 + timedelta(days=2),
    )
    quiz.round(
        category=category,
        count=3,
        opens_at=T0 - timedelta(days=3),
        closes_at=T0 - timedelta(days=2),
    )
    assert services.rounds_short_of_questions(now=T0) == []

    keys.record_exposure(
        question_ids=[questions[2].id], by=ExposedBy.REVIEW, attempt_id=None, now=T0
    )

    assert services.rounds_short_of_questions(now=T0) == [(upcoming, [(category, 3, 2)])]


# --- when reviews show keys ---------------------------------------------------------------------


def two_rounds(quiz, *, reveal: bool):
    contest = quiz.contest()
    contest.reveal_keys_after_last_round = reveal
    category = quiz.category()
    for _ in range(3):
        quiz.question(category)
    first = quiz.round(
        contest,
        category=category,
        count=3,
        opens_at=T0 - timedelta(days=3),
        closes_at=T0 - timedelta(days=2),
        results_release_at=T0 - timedelta(days=1),
    )
    second = quiz.round(
        contest,
        category=category,
        count=3,
        opens_at=T0 - timedelta(hours=1),
        closes_at=T0 + timedelta(days=1),
    )
    return first, second


def test_contest_default_holds_reviews_until_its_last_ranked_round_closes(quiz, make):
    first, second = two_rounds(quiz, reveal=True)
    attempt = submitted(first, make.student(), at=T0 - timedelta(days=3))

    during = services.review(attempt, now=T0)
    after = services.review(attempt, now=second.closes_at)

    assert quiz.contest().reveal_keys_after_last_round is True
    assert keys.keys_shown_from(first) == second.closes_at
    assert during is None
    assert len(after) == 3


def test_contest_without_the_setting_shows_reviews_at_release(quiz, make):
    first, _second = two_rounds(quiz, reveal=False)
    attempt = submitted(first, make.student(), at=T0 - timedelta(days=3))

    assert keys.keys_shown_from(first) == first.results_release_at
    assert len(services.review(attempt, now=T0)) == 3


def test_save_contest_stores_the_reveal_setting(quiz, make):
    campaign = quiz.campaign()

    default = services.save_contest(
        actor=make.organizer(), contest=None, campaign_id=campaign.id, title="A"
    )
    off = services.save_contest(
        actor=make.organizer(),
        contest=None,
        campaign_id=campaign.id,
        title="B",
        reveal_keys_after_last_round=False,
    )

    assert (default.reveal_keys_after_last_round, off.reveal_keys_after_last_round) == (True, False)


# --- the practice pool never shares a question with the contest pool ---------------------------


def test_normalize_text_folds_case_spacing_and_punctuation_but_not_diacritics():
    assert keys.normalize_text("  Tổng đài  111 là SỐ nào? ") == "tổng đài 111 là số nào"
    assert keys.normalize_text("Tổng đài 111, là số nào…") == "tổng đài 111 là số nào"
    # The same letters typed decomposed are the same text; other diacritics are other words.
    assert keys.text_key("Tuo\u0302\u0300i") == keys.text_key("Tuồi")
    assert keys.text_key("Có") != keys.text_key("Cỏ")


def test_practice_question_with_a_contest_text_is_refused_on_create(quiz):
    category = quiz.category()
    original = quiz.question(category, text="Trẻ em là người dưới bao nhiêu tuổi?")

    with pytest.raises(keys.SharedWithOtherPool) as refused:
        quiz.question(category, pool=Pool.PRACTICE, text="trẻ em là người  dưới bao nhiêu tuổi")

    assert refused.value.field == "text"
    assert f"#{original.id}" in refused.value.message
    assert "“Trẻ em là người dưới bao nhiêu tuổi?”" in refused.value.message


def test_contest_question_with_a_practice_text_is_refused_on_create(quiz):
    category = quiz.category()
    practice = quiz.question(category, pool=Pool.PRACTICE, text="Mật khẩu nào an toàn nhất?")

    with pytest.raises(keys.SharedWithOtherPool) as refused:
        quiz.question(category, text="MẬT KHẨU NÀO AN TOÀN NHẤT!")

    assert f"câu hỏi luyện tập #{practice.id}" in refused.value.message


def test_same_text_in_the_same_pool_or_with_other_diacritics_is_allowed(quiz):
    category = quiz.category()
    quiz.question(category, text="Có nên chia sẻ mật khẩu?")

    quiz.question(category, text="Có nên chia sẻ mật khẩu?")
    quiz.question(category, pool=Pool.PRACTICE, text="Cỏ nên chia sẻ mật khẩu?")

    assert db.session.scalar(sa.select(sa.func.count(Question.id))) == 3


def test_editing_into_a_shared_text_or_pool_is_refused(quiz):
    category = quiz.category()
    contest = quiz.question(category, text="Số tổng đài bảo vệ trẻ em?")
    practice = quiz.question(category, pool=Pool.PRACTICE, text="Câu luyện tập?")
    choices = [(c.text, c.correct) for c in practice.choices]

    def edit(question, text, pool):
        services.save_question(
            actor=None,
            question=question,
            category_id=category.id,
            kind="single",
            text=text,
            choices=choices,
            pool=pool,
            audit_it=False,
        )

    with pytest.raises(keys.SharedWithOtherPool):
        edit(practice, "số tổng đài bảo vệ trẻ em", Pool.PRACTICE)
    # Moving a question to the other pool is fine when that pool has no twin (it is no twin
    # of itself); moving it next to its twin is refused.
    edit(practice, "Câu luyện tập?", Pool.CONTEST)
    twin = quiz.question(category, pool=Pool.PRACTICE, text="Câu riêng?")
    with pytest.raises(keys.SharedWithOtherPool):
        edit(contest, "Câu riêng", Pool.CONTEST)

    assert (practice.pool, contest.text, twin.pool) == (
        Pool.CONTEST,
        "Số tổng đài bảo vệ trẻ em?",
        Pool.PRACTICE,
    )


def test_import_with_a_text_of_the_other_pool_is_refused_per_row(quiz):
    category = quiz.category()
    contest = quiz.question(category, text="Luật Trẻ em có bao nhiêu điều?")
    aiken = (
        "Câu mới hoàn toàn?\nA. x\nB. y\nANSWER: A\n\n"
        "Luật trẻ em có bao nhiêu điều\nA. 106\nB. 43\nANSWER: A\n"
    )

    with pytest.raises(ImportRejected) as rejected:
        formats.import_questions(
            actor=None,
            data=aiken.encode(),
            filename="q.txt",
            fmt="aiken",
            category_id=category.id,
            pool=Pool.PRACTICE,
        )

    errors = rejected.value.report.errors
    assert [(e.row, e.column) for e in errors] == [(6, formats.COLUMNS["text"])]
    assert f"#{contest.id}" in errors[0].message
    assert db.session.scalar(sa.select(sa.func.count(Question.id))) == 1


def xlsx_bytes(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(formats.COLUMNS.values()))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def row(text: str, pool: str) -> list:
    return [
        "Kỹ năng",
        "một đáp án",
        text,
        "Một",
        "Hai",
        "",
        "",
        "",
        "",
        "A",
        "",
        1,
        "",
        "",
        "",
        pool,
    ]


def test_import_with_the_same_text_in_both_pools_of_one_file_is_refused(quiz):
    data = xlsx_bytes(
        [
            row("Câu hỏi chung?", "thi"),
            row("Câu hỏi khác?", "luyện tập"),
            row("câu hỏi  chung", "luyện tập"),
            row("Câu hỏi chung!", "thi"),
        ]
    )

    with pytest.raises(ImportRejected) as rejected:
        formats.import_questions(actor=None, data=data, filename="q.xlsx", fmt="xlsx")

    errors = rejected.value.report.errors
    assert [(e.row, e.column) for e in errors] == [(4, formats.COLUMNS["text"])]
    assert "dòng 2" in errors[0].message
    assert db.session.scalar(sa.select(sa.func.count(Question.id))) == 0
