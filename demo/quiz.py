"""The demo law quiz: the bank from quiz_questions.json, an open round, a closed round with results."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from contests.quiz import leaderboards, services
from contests.quiz.models import (
    Choice,
    Pool,
    PredictionActual,
    QuestionCategory,
    QuestionKind,
    QuizContest,
    QuizRound,
    RoundKind,
)
from core.accounts.models import Role, RoleAssignment, User
from core.clock import local_today
from core.extensions import db
from core.schools.models import School, SchoolClass, SchoolLevel

DEMO_FILE = Path(__file__).with_name("quiz_questions.json")
DEMO_CAMPAIGN_SLUG = "van-hoa-ung-xu-tren-khong-gian-mang"
DEMO_TITLE = "Cuộc thi trực tuyến tìm hiểu pháp luật về an ninh mạng và bảo vệ trẻ em"
CAMPAIGN = sa.table("campaign", sa.column("id"), sa.column("slug"))


def _draw_rules(pool: Pool, day: date, total: int) -> list[dict]:
    """Spread ``total`` questions over the categories, as far as valid questions allow."""
    available = services.available_counts(pool=pool, day=day)
    counts = dict.fromkeys(sorted(available), 0)
    while sum(counts.values()) < total and any(counts[c] < available[c] for c in counts):
        for category_id in counts:
            if counts[category_id] < available[category_id] and sum(counts.values()) < total:
                counts[category_id] += 1
    return [{"category_id": c, "count": n} for c, n in counts.items() if n]


def _load_bank() -> None:
    data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    categories = {}
    for item in data["categories"]:
        category = QuestionCategory(code=item["code"], name=item["name"])
        db.session.add(category)
        categories[item["code"]] = category
    db.session.flush()
    # Practice questions are written apart ("pool": "practice"): never copies of contest
    # questions, whose keys a practice review would otherwise show.
    for q in data["questions"]:
        services.save_question(
            actor=None,
            question=None,
            category_id=categories[q["category"]].id,
            kind=QuestionKind(q["kind"]),
            text=q["text"],
            choices=[(c["text"], c["correct"]) for c in q["choices"]],
            explanation=q.get("explanation", ""),
            difficulty=int(q.get("difficulty", 2)),
            source=q.get("source", ""),
            valid_from=date.fromisoformat(q["valid_from"]) if q.get("valid_from") else None,
            valid_to=date.fromisoformat(q["valid_to"]) if q.get("valid_to") else None,
            pool=Pool(q.get("pool", Pool.CONTEST)),
            audit_it=False,
        )


def _thcs_students() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .join(School, School.id == User.school_id)
            .join(SchoolClass, SchoolClass.id == User.class_id)
            .where(RoleAssignment.role == Role.STUDENT, School.level == SchoolLevel.THCS)
            .order_by(User.id)
        )
    )


def _simulate(round_: QuizRound, students: list[User], rng: random.Random) -> None:
    """A few hundred students take the closed round: abilities vary, answers are saved, then sent."""

    keys: dict[int, list[int]] = {}
    for choice_id, question_id in db.session.execute(
        sa.select(Choice.id, Choice.question_id).where(Choice.correct)
    ):
        keys.setdefault(question_id, []).append(choice_id)
    window = (round_.closes_at - round_.opens_at).total_seconds() - round_.time_limit_seconds
    for student in students:
        if student.username == "student1":
            continue
        start = round_.opens_at + timedelta(seconds=rng.uniform(0, window))
        attempt, _created = services.start_attempt(
            round_=round_, user=student, now=start, rng=random.Random(student.id)
        )
        ability = rng.betavariate(5, 2)
        moment = start
        for seq, item in enumerate(attempt.paper, start=1):
            moment += timedelta(seconds=rng.uniform(8, 45))
            if rng.random() < ability:
                chosen = (
                    keys[item["q"]] if item["k"] == QuestionKind.MULTIPLE else keys[item["q"]][:1]
                )
            else:
                chosen = [rng.choice(item["c"])]
            services.save_answer(
                attempt=attempt, question_id=item["q"], choice_ids=chosen, seq=seq, now=moment
            )
        if rng.random() < 0.05:
            continue  # never pressed submit: the scheduler finalizes it below
        services.submit_attempt(
            attempt=attempt,
            prediction=max(0, int(rng.gauss(25, 12))),
            now=min(moment + timedelta(seconds=5), attempt.deadline_at),
        )
    services.finalize_expired(now=round_.closes_at + timedelta(minutes=5))


DESCRIPTION = (
    "Cuộc thi dành cho học sinh THCS trong huyện: mỗi vòng {questions} câu hỏi trong {minutes} "
    "phút, rút ngẫu nhiên từ ngân hàng câu hỏi về Luật An ninh mạng, Luật Trẻ em, Bộ Quy tắc ứng "
    "xử trên mạng xã hội và kỹ năng an toàn trên mạng, kèm một câu hỏi dự đoán."
)


def paper_facts() -> tuple[int, int] | None:
    """The demo contest's ranked paper: (questions, minutes) of its latest ranked round."""
    round_ = db.session.scalar(
        sa.select(QuizRound)
        .join(QuizContest, QuizContest.id == QuizRound.contest_id)
        .where(QuizContest.title == DEMO_TITLE, QuizRound.kind == RoundKind.RANKED)
        .order_by(QuizRound.opens_at.desc())
        .limit(1)
    )
    if round_ is None:
        return None
    return round_.question_count, round_.time_limit_seconds // 60


def seed_quiz(*, now: datetime) -> None:
    """The demo contest on the demo campaign (idempotent)."""
    if db.session.scalar(sa.select(QuizContest.id).where(QuizContest.title == DEMO_TITLE)):
        return
    campaign_id = db.session.scalar(
        sa.select(CAMPAIGN.c.id).where(CAMPAIGN.c.slug == DEMO_CAMPAIGN_SLUG)
    )
    if campaign_id is None:
        return
    rng = random.Random(2026)
    if not db.session.scalar(sa.select(sa.func.count(QuestionCategory.id))):
        _load_bank()
    contest = QuizContest(
        campaign_id=campaign_id,
        title=DEMO_TITLE,
        description="",
    )
    db.session.add(contest)
    db.session.flush()
    common = {
        "contest_id": contest.id,
        "kind": RoundKind.RANKED,
        "time_limit_seconds": 20 * 60,
        "shuffle_questions": True,
        "shuffle_choices": True,
        "attempts_allowed": 1,
        "eligible_levels": "THCS",
        "eligible_grades": "6,7,8,9",
        "prediction_enabled": True,
        "prediction_actual": PredictionActual.PERFECT,
        "show_answers": True,
        "show_score_on_submit": True,
        "prize_points": "10,8,6",
        "balance_difficulty": True,
    }
    closed_opens = now - timedelta(days=14)
    closed = QuizRound(
        title="Vòng 1",
        opens_at=closed_opens,
        closes_at=now - timedelta(days=7),
        results_release_at=now - timedelta(days=6),
        draw_rules=_draw_rules(Pool.CONTEST, local_today(closed_opens), 19),
        **common,
    )
    open_round = QuizRound(
        title="Vòng 2",
        opens_at=now - timedelta(hours=2),
        closes_at=now + timedelta(days=7),
        results_release_at=now + timedelta(days=8),
        draw_rules=_draw_rules(Pool.CONTEST, local_today(now), 19),
        **common,
    )
    practice = QuizRound(
        title="Luyện tập",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=60),
        draw_rules=_draw_rules(Pool.PRACTICE, local_today(now), 10),
        **{**common, "kind": RoundKind.PRACTICE, "prediction_enabled": False},
    )
    db.session.add_all([closed, open_round, practice])
    db.session.flush()
    # The stated paper is the one the draw rules make, never a number typed beside them.
    contest.description = DESCRIPTION.format(
        questions=open_round.question_count, minutes=open_round.time_limit_seconds // 60
    )
    _simulate(closed, _thcs_students(), rng)
    leaderboards.snapshot_round(round_=closed, now=now)
    leaderboards.snapshot_contest(contest=contest, now=now)
