"""Quiz rules with a frozen clock: before, during and after a round."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from contests.quiz import services
from contests.quiz.models import (
    Accommodation,
    Answer,
    Attempt,
    AttemptStatus,
    Choice,
    MultipleScoring,
    RoundKind,
)
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.schools.models import SchoolLevel
from tests.conftest import T0

pytestmark = pytest.mark.usefixtures("ctx")


def correct_ids(question_id):
    return list(
        db.session.scalars(
            sa.select(Choice.id).where(Choice.question_id == question_id, Choice.correct)
        )
    )


def wrong_id(question_id):
    return db.session.scalar(
        sa.select(Choice.id).where(Choice.question_id == question_id, Choice.correct.is_(False))
    )


def test_start_attempt_before_round_opens_is_refused(quiz, make):
    round_ = quiz.round(opens_at=T0 + timedelta(minutes=5))

    with pytest.raises(services.RoundNotOpen):
        services.start_attempt(round_=round_, user=make.student(), now=T0)


def test_start_attempt_after_round_closes_is_refused(quiz, make):
    round_ = quiz.round(closes_at=T0)

    with pytest.raises(services.RoundNotOpen):
        services.start_attempt(round_=round_, user=make.student(), now=T0)


def test_start_attempt_fixes_paper_and_deadline(quiz, make):
    round_ = quiz.round(count=3, time_limit_seconds=600)
    student = make.student()

    attempt, created = services.start_attempt(round_=round_, user=student, now=T0)

    assert created is True
    assert attempt.deadline_at == T0 + timedelta(seconds=600)
    assert len(attempt.paper) == 3
    assert attempt.status == AttemptStatus.IN_PROGRESS
    assert attempt.school_id == student.school_id


def test_start_attempt_calls_before_write_once_everything_is_read(quiz, make):
    """The view ends SQLite's read transaction there: a start writes after it, a resume never
    writes, a resume past the deadline finalizes after it."""
    round_ = quiz.round(count=3, time_limit_seconds=600)
    student = make.student()
    calls = []

    def before_write():
        calls.append(db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)))

    services.start_attempt(round_=round_, user=student, now=T0, before_write=before_write)
    services.start_attempt(
        round_=round_, user=student, now=T0 + timedelta(minutes=1), before_write=before_write
    )
    late = T0 + timedelta(seconds=600 + services.DEFAULT_GRACE_SECONDS + 1)
    attempt, _ = services.start_attempt(
        round_=round_, user=student, now=late, before_write=before_write
    )

    assert calls == [0, 1]  # before the insert; none for the resume; before the finalization
    assert attempt.status == AttemptStatus.SUBMITTED


def test_save_answer_calls_before_write_after_its_checks(quiz, make):
    attempt, _ = services.start_attempt(round_=quiz.round(), user=make.student(), now=T0)
    item = attempt.paper[0]
    calls = []

    with pytest.raises(ValidationFailed):
        services.save_answer(
            attempt=attempt,
            question_id=item["q"],
            choice_ids=[-1],
            seq=1,
            now=T0,
            before_write=lambda: calls.append("refused"),
        )
    saved = services.save_answer(
        attempt=attempt,
        question_id=item["q"],
        choice_ids=[item["c"][0]],
        seq=1,
        now=T0,
        before_write=lambda: calls.append("saved"),
    )

    assert (saved, calls) == (True, ["saved"])


def test_start_attempt_again_returns_the_same_attempt(quiz, make):
    round_ = quiz.round(count=3)
    student = make.student()
    first, _ = services.start_attempt(round_=round_, user=student, now=T0)

    again, created = services.start_attempt(
        round_=round_, user=student, now=T0 + timedelta(minutes=3)
    )

    assert created is False
    assert again.id == first.id
    assert again.paper == first.paper
    assert again.deadline_at == first.deadline_at


def test_deadline_is_capped_at_round_close(quiz, make):
    round_ = quiz.round(closes_at=T0 + timedelta(minutes=5), time_limit_seconds=900)

    attempt, _ = services.start_attempt(round_=round_, user=make.student(), now=T0)

    assert attempt.deadline_at == T0 + timedelta(minutes=5)


def test_deadline_includes_extra_time(quiz, make):
    round_ = quiz.round(time_limit_seconds=900)
    student = make.student()
    db.session.add(
        Accommodation(contest_id=round_.contest_id, user_id=student.id, extra_seconds=300)
    )

    attempt, _ = services.start_attempt(round_=round_, user=student, now=T0)

    assert attempt.deadline_at == T0 + timedelta(seconds=1200)


def test_set_extra_time_updates_the_one_accommodation(quiz, make):
    contest = quiz.contest()
    student = make.student()

    services.set_extra_time(actor=None, contest=contest, user=student, extra_seconds=120)
    services.set_extra_time(actor=None, contest=contest, user=student, extra_seconds=240)

    rows = db.session.scalars(sa.select(Accommodation).where(Accommodation.user_id == student.id))
    assert [a.extra_seconds for a in rows] == [240]


def test_start_attempt_by_ineligible_level_is_forbidden(quiz, make):
    round_ = quiz.round(eligible_levels="TH")
    student = make.student(make.school_class(make.school(level=SchoolLevel.THCS), name="6A1"))

    with pytest.raises(Forbidden):
        services.start_attempt(round_=round_, user=student, now=T0)


def test_start_attempt_by_ineligible_grade_is_forbidden(quiz, make):
    round_ = quiz.round(eligible_grades="6,7")

    with pytest.raises(Forbidden):
        services.start_attempt(
            round_=round_, user=make.student(make.school_class(name="9A1")), now=T0
        )


def test_start_attempt_by_organizer_is_forbidden(quiz, make):
    with pytest.raises(Forbidden):
        services.start_attempt(round_=quiz.round(), user=make.organizer(), now=T0)


def test_start_attempt_after_last_attempt_used_is_refused(quiz, make):
    round_ = quiz.round(attempts_allowed=1)
    student = make.student()
    attempt, _ = services.start_attempt(round_=round_, user=student, now=T0)
    services.submit_attempt(attempt=attempt, now=T0 + timedelta(minutes=1))

    with pytest.raises(Conflict):
        services.start_attempt(round_=round_, user=student, now=T0 + timedelta(minutes=2))


def test_second_attempt_allowed_when_round_allows_two(quiz, make):
    round_ = quiz.round(attempts_allowed=2)
    student = make.student()
    attempt, _ = services.start_attempt(round_=round_, user=student, now=T0)
    services.submit_attempt(attempt=attempt, now=T0 + timedelta(minutes=1))

    second, created = services.start_attempt(
        round_=round_, user=student, now=T0 + timedelta(minutes=2)
    )

    assert created is True
    assert second.number == 2


def test_practice_round_allows_unlimited_attempts(quiz, make):
    round_ = quiz.round(kind=RoundKind.PRACTICE, attempts_allowed=1)
    student = make.student()
    for minute in range(3):
        attempt, _ = services.start_attempt(
            round_=round_, user=student, now=T0 + timedelta(minutes=minute)
        )
        services.submit_attempt(attempt=attempt, now=T0 + timedelta(minutes=minute, seconds=30))

    assert attempt.number == 3


def test_draw_paper_never_draws_question_outside_validity(quiz):
    category = quiz.category()
    valid = [quiz.question(category) for _ in range(2)]
    quiz.question(category, valid_to=date(2026, 6, 30))
    quiz.question(category, valid_from=date(2027, 1, 1))
    round_ = quiz.round(category=category, count=2)

    for seed in range(20):
        paper = services.draw_paper(round_=round_, rng=random.Random(seed), day=date(2026, 11, 30))
        assert {item["q"] for item in paper} == {q.id for q in valid}


def test_draw_paper_without_enough_valid_questions_conflicts(quiz):
    category = quiz.category()
    quiz.question(category)
    quiz.question(category, valid_to=date(2026, 1, 1))
    round_ = quiz.round(category=category, count=2)

    with pytest.raises(Conflict):
        services.draw_paper(round_=round_, rng=random.Random(1), day=date(2026, 11, 30))


def test_draw_paper_skips_retired_questions(quiz):
    category = quiz.category()
    keep = quiz.question(category)
    retired = quiz.question(category)
    services.retire_question(actor=None, question=retired, now=T0)
    round_ = quiz.round(category=category, count=1)

    paper = services.draw_paper(round_=round_, rng=random.Random(3), day=date(2026, 11, 30))

    assert [item["q"] for item in paper] == [keep.id]


def test_draw_paper_balanced_spreads_difficulties(quiz):
    category = quiz.category()
    for difficulty in (1, 1, 1, 1, 2, 2, 2, 3, 3, 3):
        quiz.question(category, difficulty=difficulty)
    round_ = quiz.round(category=category, count=6, balance_difficulty=True)

    paper = services.draw_paper(round_=round_, rng=random.Random(5), day=date(2026, 11, 30))

    from contests.quiz.models import Question

    levels = sorted(db.session.get(Question, item["q"]).difficulty for item in paper)
    assert levels == [1, 1, 2, 2, 3, 3]


def test_save_answer_stores_choice(quiz, make):
    attempt, _ = services.start_attempt(round_=quiz.round(), user=make.student(), now=T0)
    item = attempt.paper[0]

    saved = services.save_answer(
        attempt=attempt, question_id=item["q"], choice_ids=[item["c"][1]], seq=1, now=T0
    )

    assert saved is True
    assert [(a.question_id, a.choice_ids, a.seq) for a in services.saved_answers(attempt.id)] == [
        (item["q"], [item["c"][1]], 1)
    ]


def test_save_answer_older_seq_never_overwrites_newer(quiz, make):
    attempt, _ = services.start_attempt(round_=quiz.round(), user=make.student(), now=T0)
    item = attempt.paper[0]
    services.save_answer(
        attempt=attempt, question_id=item["q"], choice_ids=[item["c"][2]], seq=5, now=T0
    )

    saved = services.save_answer(
        attempt=attempt, question_id=item["q"], choice_ids=[item["c"][0]], seq=4, now=T0
    )

    assert saved is False
    assert [(a.choice_ids, a.seq) for a in services.saved_answers(attempt.id)] == [
        ([item["c"][2]], 5)
    ]


def test_save_answer_within_grace_is_accepted(quiz, make):
    attempt, _ = services.start_attempt(round_=quiz.round(), user=make.student(), now=T0)
    item = attempt.paper[0]

    saved = services.save_answer(
        attempt=attempt,
        question_id=item["q"],
        choice_ids=[item["c"][0]],
        seq=1,
        now=attempt.deadline_at + timedelta(seconds=30),
    )

    assert saved is True


def test_save_answer_refused_after_deadline_and_grace(quiz, make):
    attempt, _ = services.start_attempt(round_=quiz.round(), user=make.student(), now=T0)
    item = attempt.paper[0]

    with pytest.raises(services.AttemptClosed):
        services.save_answer(
            attempt=attempt,
            question_id=item["q"],
            choice_ids=[item["c"][0]],
            seq=1,
            now=attempt.deadline_at + timedelta(seconds=31),
        )

    assert services.saved_answers(attempt.id) == []


def test_save_answer_to_question_not_on_paper_is_not_found(quiz, make):
    attempt, _ = services.start_attempt(round_=quiz.round(), user=make.student(), now=T0)

    with pytest.raises(NotFound):
        services.save_answer(attempt=attempt, question_id=999999, choice_ids=[], seq=1, now=T0)


def test_save_answer_with_foreign_choice_is_invalid(quiz, make):
    attempt, _ = services.start_attempt(round_=quiz.round(), user=make.student(), now=T0)
    first, second = attempt.paper[0], attempt.paper[1]

    with pytest.raises(ValidationFailed):
        services.save_answer(
            attempt=attempt, question_id=first["q"], choice_ids=[second["c"][0]], seq=1, now=T0
        )


def test_save_answer_two_choices_on_single_question_is_invalid(quiz, make):
    attempt, _ = services.start_attempt(round_=quiz.round(), user=make.student(), now=T0)
    item = attempt.paper[0]

    with pytest.raises(ValidationFailed):
        services.save_answer(
            attempt=attempt, question_id=item["q"], choice_ids=item["c"][:2], seq=1, now=T0
        )


def test_save_answer_after_submit_is_refused(quiz, make):
    attempt, _ = services.start_attempt(round_=quiz.round(), user=make.student(), now=T0)
    services.submit_attempt(attempt=attempt, now=T0)
    item = attempt.paper[0]

    with pytest.raises(services.AttemptClosed):
        services.save_answer(
            attempt=attempt, question_id=item["q"], choice_ids=[item["c"][0]], seq=1, now=T0
        )


def answer_all(attempt, right: int, now=T0):
    for index, item in enumerate(attempt.paper):
        choice = correct_ids(item["q"]) if index < right else [wrong_id(item["q"])]
        services.save_answer(
            attempt=attempt, question_id=item["q"], choice_ids=choice, seq=1, now=now
        )


def test_submit_grades_saved_answers(quiz, make):
    attempt, _ = services.start_attempt(round_=quiz.round(count=3), user=make.student(), now=T0)
    answer_all(attempt, right=2)

    services.submit_attempt(attempt=attempt, now=T0 + timedelta(seconds=95))

    assert attempt.status == AttemptStatus.SUBMITTED
    assert attempt.score == 2.0
    assert attempt.max_score == 3.0
    assert attempt.duration_ms == 95000
    assert attempt.finalized_by == "student"


def test_submit_twice_returns_same_result(quiz, make):
    attempt, _ = services.start_attempt(round_=quiz.round(count=3), user=make.student(), now=T0)
    answer_all(attempt, right=3)
    services.submit_attempt(attempt=attempt, now=T0 + timedelta(seconds=60))

    again = services.submit_attempt(attempt=attempt, now=T0 + timedelta(seconds=90))

    assert (again.score, again.submitted_at) == (3.0, T0 + timedelta(seconds=60))


def test_submit_after_deadline_and_grace_is_refused(quiz, make):
    attempt, _ = services.start_attempt(round_=quiz.round(), user=make.student(), now=T0)

    with pytest.raises(services.AttemptClosed):
        services.submit_attempt(attempt=attempt, now=attempt.deadline_at + timedelta(seconds=31))

    assert attempt.status == AttemptStatus.IN_PROGRESS


def test_submit_without_required_prediction_is_invalid(quiz, make):
    attempt, _ = services.start_attempt(
        round_=quiz.round(prediction_enabled=True), user=make.student(), now=T0
    )

    with pytest.raises(ValidationFailed):
        services.submit_attempt(attempt=attempt, now=T0)


def test_submit_records_prediction(quiz, make):
    attempt, _ = services.start_attempt(
        round_=quiz.round(prediction_enabled=True), user=make.student(), now=T0
    )

    services.submit_attempt(attempt=attempt, prediction=42, now=T0)

    assert attempt.prediction == 42


@pytest.mark.parametrize(
    ("kind", "chosen", "correct", "scoring", "expected"),
    [
        ("single", {1}, {1}, "all_or_nothing", 1.0),
        ("single", {2}, {1}, "all_or_nothing", 0.0),
        ("single", set(), {1}, "all_or_nothing", 0.0),
        ("truefalse", {1}, {1}, "partial", 1.0),
        ("multiple", {1, 2}, {1, 2}, "all_or_nothing", 1.0),
        ("multiple", {1}, {1, 2}, "all_or_nothing", 0.0),
        ("multiple", {1}, {1, 2}, "partial", 0.5),
        ("multiple", {1, 3}, {1, 2}, "partial", 0.0),
        ("multiple", {1, 2, 3}, {1, 2}, "partial", 0.5),
        ("multiple", {3, 4}, {1, 2}, "partial", 0.0),
    ],
)
def test_question_points(kind, chosen, correct, scoring, expected):
    assert services.question_points(kind, chosen, correct, 4, MultipleScoring(scoring)) == expected


def test_partial_credit_round_grades_multiple_choice(quiz, make):
    category = quiz.category()
    question = quiz.question(category, kind="multiple", correct=(0, 1))
    round_ = quiz.round(category=category, count=1, multiple_scoring=MultipleScoring.PARTIAL)
    attempt, _ = services.start_attempt(round_=round_, user=make.student(), now=T0)
    services.save_answer(
        attempt=attempt,
        question_id=question.id,
        choice_ids=correct_ids(question.id)[:1],
        seq=1,
        now=T0,
    )

    services.submit_attempt(attempt=attempt, now=T0)

    assert attempt.score == 0.5
    assert db.session.scalar(sa.select(Answer.points)) == 0.5


def test_finalize_expired_closes_from_saved_answers(quiz, make):
    attempt, _ = services.start_attempt(
        round_=quiz.round(count=3, time_limit_seconds=600), user=make.student(), now=T0
    )
    answer_all(attempt, right=1)

    count = services.finalize_expired(now=T0 + timedelta(seconds=631))

    assert count == 1
    assert attempt.status == AttemptStatus.SUBMITTED
    assert attempt.finalized_by == "scheduler"
    assert attempt.score == 1.0
    assert attempt.submitted_at == T0 + timedelta(seconds=600)
    assert attempt.duration_ms == 600000


def test_finalize_expired_within_grace_leaves_attempt_open(quiz, make):
    attempt, _ = services.start_attempt(
        round_=quiz.round(time_limit_seconds=600), user=make.student(), now=T0
    )

    count = services.finalize_expired(now=T0 + timedelta(seconds=629))

    assert count == 0
    assert attempt.status == AttemptStatus.IN_PROGRESS


def test_finalize_expired_twice_has_one_effect(quiz, make):
    services.start_attempt(round_=quiz.round(time_limit_seconds=600), user=make.student(), now=T0)
    later = T0 + timedelta(hours=1)

    counts = [services.finalize_expired(now=later), services.finalize_expired(now=later)]

    assert counts == [1, 0]
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(Attempt.status == AttemptStatus.SUBMITTED)
        )
        == 1
    )


def test_finalize_attempt_after_student_submit_changes_nothing(quiz, make):
    attempt, _ = services.start_attempt(round_=quiz.round(), user=make.student(), now=T0)
    services.submit_attempt(attempt=attempt, now=T0 + timedelta(seconds=10))

    closed = services.finalize_attempt(attempt=attempt, now=T0 + timedelta(hours=1), by="scheduler")

    assert closed is False
    assert attempt.finalized_by == "student"


def test_seconds_remaining_counts_down_from_fixed_deadline(quiz, make):
    attempt, _ = services.start_attempt(
        round_=quiz.round(time_limit_seconds=900), user=make.student(), now=T0
    )

    assert services.seconds_remaining(attempt, T0 + timedelta(seconds=100)) == 800
    assert services.seconds_remaining(attempt, T0 + timedelta(hours=1)) == 0


def test_review_hidden_before_results_release(quiz, make):
    round_ = quiz.round(results_release_at=T0 + timedelta(days=1), show_answers=True)
    attempt, _ = services.start_attempt(round_=round_, user=make.student(), now=T0)
    services.submit_attempt(attempt=attempt, now=T0)

    assert services.review(attempt, now=T0 + timedelta(hours=3)) is None
    assert len(services.review(attempt, now=T0 + timedelta(days=2))) == 3


def test_review_hidden_when_round_does_not_show_answers(quiz, make):
    round_ = quiz.round(results_release_at=T0, show_answers=False)
    attempt, _ = services.start_attempt(round_=round_, user=make.student(), now=T0)
    services.submit_attempt(attempt=attempt, now=T0)

    assert services.review(attempt, now=T0 + timedelta(days=2)) is None


def test_get_attempt_for_other_student_is_not_found(quiz, make):
    attempt, _ = services.start_attempt(round_=quiz.round(), user=make.student(), now=T0)

    with pytest.raises(NotFound):
        services.get_attempt_for(attempt_id=attempt.id, user=make.student())


def test_participants_by_school_counts_distinct_students_in_window(quiz, make):
    round_ = quiz.round(attempts_allowed=2)
    practice = quiz.round(kind=RoundKind.PRACTICE)
    school_class = make.school_class()
    a, b = make.student(school_class), make.student(school_class)
    for student, minute in ((a, 0), (a, 5), (b, 10)):
        attempt, _ = services.start_attempt(
            round_=round_, user=student, now=T0 + timedelta(minutes=minute)
        )
        services.submit_attempt(attempt=attempt, now=T0 + timedelta(minutes=minute, seconds=1))
    other, _ = services.start_attempt(round_=practice, user=make.student(), now=T0)
    services.submit_attempt(attempt=other, now=T0)

    assert services.participants_by_school(since=T0, until=T0 + timedelta(hours=1)) == {
        school_class.school_id: 2
    }
    assert services.participants_by_school(
        since=T0 + timedelta(minutes=6), until=T0 + timedelta(hours=1)
    ) == {school_class.school_id: 1}


def test_save_question_single_with_two_right_choices_is_invalid(quiz):
    with pytest.raises(ValidationFailed):
        quiz.question(kind="single", correct=(0, 1))


def test_save_question_truefalse_needs_two_choices(quiz):
    with pytest.raises(ValidationFailed):
        services.check_question(
            "truefalse", [("Đúng", True), ("Sai", False), ("?", False)], 1, None, None
        )


def test_save_round_closing_before_opening_is_invalid(quiz):
    contest = quiz.contest()
    category = quiz.category()
    quiz.question(category)
    values = {k: None for k in services.ROUND_FIELDS}
    values.update(
        title="R",
        kind=RoundKind.RANKED,
        opens_at=T0,
        closes_at=T0 - timedelta(minutes=1),
        time_limit_seconds=600,
        draw_rules=[{"category_id": category.id, "count": 1}],
    )

    with pytest.raises(ValidationFailed):
        services.save_round(actor=None, contest=contest, round_=None, now=T0, **values)


def test_save_round_with_more_questions_than_bank_is_invalid(quiz):
    contest = quiz.contest()
    category = quiz.category()
    quiz.question(category)
    values = {k: None for k in services.ROUND_FIELDS}
    values.update(
        title="R",
        kind=RoundKind.RANKED,
        opens_at=T0,
        closes_at=T0 + timedelta(hours=1),
        time_limit_seconds=600,
        draw_rules=[{"category_id": category.id, "count": 2}],
    )

    with pytest.raises(ValidationFailed):
        services.save_round(actor=None, contest=contest, round_=None, now=T0, **values)


def test_save_answer_guarded_when_attempt_closed_by_another_request(quiz, make):
    attempt, _ = services.start_attempt(round_=quiz.round(), user=make.student(), now=T0)
    item = attempt.paper[0]
    # Another request submits; this request still holds the attempt as it was read.
    db.session.execute(
        sa.update(Attempt)
        .where(Attempt.id == attempt.id)
        .values(status=AttemptStatus.SUBMITTED)
        .execution_options(synchronize_session=False)
    )

    # Refused, not acknowledged as "a newer save was kept": nothing of it will be graded.
    with pytest.raises(services.AttemptClosed, match="Bài làm này đã được nộp"):
        services.save_answer(
            attempt=attempt, question_id=item["q"], choice_ids=[item["c"][0]], seq=1, now=T0
        )

    assert services.saved_answers(attempt.id) == []
