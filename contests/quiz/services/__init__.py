"""Law quiz rules, one module per concern; every public name is importable from here.

``deadlines`` (the attempt clock and its grace), ``bank`` (questions, choices, categories, what a
pool can still draw), ``draw`` (papers drawn through each worker's bank cache), ``rounds`` (who
may enter, organizers' contests, rounds and extra time), ``attempts`` (start and resume),
``answers`` (the guarded save, the attempt-token sheets), ``grading`` (grade, submit, finalize),
``review`` (keys once they may be shown) and ``announcements``. The few private names tests
reach for are re-exported too.
"""

from contests.quiz.models import Attempt, Pool
from contests.quiz.services.announcements import (
    ANNOUNCE_WITHIN,
    announce,
    eligible_student_ids,
    participants_by_school,
    round_takers,
)
from contests.quiz.services.answers import (
    Sheet,
    _sheets,
    forget_cached_rows,
    known_sheet,
    read_sheet,
    remember_sheet,
    save_answer,
    saved_answers,
    store_answer_by_token,
)
from contests.quiz.services.attempts import (
    extra_time,
    get_attempt_for,
    latest_attempt,
    start_attempt,
)
from contests.quiz.services.bank import (
    PoolCount,
    available_counts,
    category_by_name_or_code,
    check_question,
    create_category,
    pool_counts,
    retire_question,
    rounds_short_of_questions,
    save_question,
    shortfalls,
    valid_question_filter,
)
from contests.quiz.services.deadlines import (
    DEFAULT_GRACE_SECONDS,
    AttemptClosed,
    RoundNotOpen,
    accepts_answers,
    grace,
    seconds_left,
    seconds_remaining,
)
from contests.quiz.services.draw import (
    _BANK_CHOICES,
    Bank,
    _bank_rows,
    bank_ttl,
    draw_paper,
    draw_unexposed,
    forget_bank,
    load_bank,
    paper_questions,
)
from contests.quiz.services.grading import (
    finalize_attempt,
    finalize_expired,
    grade,
    question_points,
    submit_attempt,
)
from contests.quiz.services.review import (
    review,
    review_keys_from,
)
from contests.quiz.services.rounds import (
    ROUND_FIELDS,
    admits,
    is_eligible,
    past_rounds_for_student,
    rounds_for_student,
    save_contest,
    save_round,
    set_extra_time,
)

__all__ = [
    "ANNOUNCE_WITHIN",
    "DEFAULT_GRACE_SECONDS",
    "ROUND_FIELDS",
    "_BANK_CHOICES",
    "Attempt",
    "AttemptClosed",
    "Bank",
    "Pool",
    "PoolCount",
    "RoundNotOpen",
    "Sheet",
    "_bank_rows",
    "_sheets",
    "accepts_answers",
    "admits",
    "announce",
    "available_counts",
    "bank_ttl",
    "category_by_name_or_code",
    "check_question",
    "create_category",
    "draw_paper",
    "draw_unexposed",
    "eligible_student_ids",
    "extra_time",
    "finalize_attempt",
    "finalize_expired",
    "forget_bank",
    "forget_cached_rows",
    "get_attempt_for",
    "grace",
    "grade",
    "is_eligible",
    "known_sheet",
    "latest_attempt",
    "load_bank",
    "paper_questions",
    "participants_by_school",
    "past_rounds_for_student",
    "pool_counts",
    "question_points",
    "read_sheet",
    "remember_sheet",
    "retire_question",
    "review",
    "review_keys_from",
    "round_takers",
    "rounds_for_student",
    "rounds_short_of_questions",
    "save_answer",
    "save_contest",
    "save_question",
    "save_round",
    "saved_answers",
    "seconds_left",
    "seconds_remaining",
    "set_extra_time",
    "shortfalls",
    "start_attempt",
    "store_answer_by_token",
    "submit_attempt",
    "valid_question_filter",
]
