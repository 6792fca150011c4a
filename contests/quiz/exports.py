"""After a round: item statistics and the results spreadsheet."""

from __future__ import annotations

import math
from collections import defaultdict

import sqlalchemy as sa
from flask import Response
from flask_babel import gettext as _

from contests.quiz.models import Answer, Attempt, AttemptStatus, Question, QuizRound
from core.accounts.models import User
from core.extensions import db
from core.i18n import format_when
from core.schools.models import School, SchoolClass
from core.spreadsheets import XLSX_MIME, workbook_bytes

#: DOMAIN.md: flag items that almost nobody or almost everybody gets right, or that
#: strong students miss more often than weak ones.
FACILITY_LOW, FACILITY_HIGH = 0.2, 0.95


def _pearson(xs: list[float], ys: list[float]) -> float | None:
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / math.sqrt(sxx * syy)


def item_statistics(round_: QuizRound) -> list[dict]:
    """Per question: attempts, facility (share correct), discrimination (item vs rest), flag."""
    attempts = db.session.execute(
        sa.select(Attempt.id, Attempt.paper, Attempt.score).where(
            Attempt.round_id == round_.id, Attempt.status == AttemptStatus.SUBMITTED
        )
    ).all()
    points: dict[tuple[int, int], float] = {
        (a, q): p or 0.0
        for a, q, p in db.session.execute(
            sa.select(Answer.attempt_id, Answer.question_id, Answer.points)
            .join(Attempt, Attempt.id == Answer.attempt_id)
            .where(Attempt.round_id == round_.id, Attempt.status == AttemptStatus.SUBMITTED)
        )
    }
    items: dict[int, list[float]] = defaultdict(list)
    rests: dict[int, list[float]] = defaultdict(list)
    for attempt_id, paper, score in attempts:
        for item in paper:
            x = points.get((attempt_id, item["q"]), 0.0)
            items[item["q"]].append(x)
            rests[item["q"]].append((score or 0.0) - x)
    texts = dict(
        db.session.execute(
            sa.select(Question.id, Question.text).where(Question.id.in_(list(items)))
        ).all()
    )
    stats = []
    for question_id, xs in items.items():
        facility = sum(xs) / len(xs)
        discrimination = _pearson(xs, rests[question_id])
        stats.append(
            {
                "question_id": question_id,
                "text": texts.get(question_id, ""),
                "attempts": len(xs),
                "facility": round(facility, 3),
                "discrimination": None if discrimination is None else round(discrimination, 3),
                "flagged": facility < FACILITY_LOW
                or facility > FACILITY_HIGH
                or (discrimination is not None and discrimination < 0),
            }
        )
    stats.sort(key=lambda s: (not s["flagged"], s["facility"]))
    return stats


def result_headers() -> list[str]:
    """The results sheet's headers in the reader's language."""
    return [
        _("Full name"),
        _("Username"),
        _("School"),
        _("Class"),
        _("Attempt"),
        _("Score"),
        _("Maximum score"),
        _("Prediction"),
        _("Time taken (seconds)"),
        _("Started"),
        _("Submitted at"),
        _("Submitted by"),
    ]


def results_bytes(round_: QuizRound) -> bytes:
    """Every submitted attempt of the round, best first (for organizers only: real names)."""
    rows = db.session.execute(
        sa.select(Attempt, User.full_name, User.username, School.name, SchoolClass.name)
        .join(User, User.id == Attempt.user_id)
        .outerjoin(School, School.id == Attempt.school_id)
        .outerjoin(SchoolClass, SchoolClass.id == Attempt.class_id)
        .where(Attempt.round_id == round_.id, Attempt.status == AttemptStatus.SUBMITTED)
        .order_by(Attempt.score.desc(), Attempt.duration_ms, Attempt.submitted_at)
    )

    def local(value):
        # the reader's language, in the district's zone: "14:30:15 05/01/2025" in Vietnamese
        return format_when(value, seconds=True)

    data = [
        [
            name,
            username,
            school or "",
            class_name or "",
            a.number,
            a.score,
            a.max_score,
            a.prediction if a.prediction is not None else "",
            round((a.duration_ms or 0) / 1000, 1),
            local(a.started_at),
            local(a.submitted_at),
            _("the student") if a.finalized_by == "student" else _("automatically at time-out"),
        ]
        for a, name, username, school, class_name in rows
    ]
    return workbook_bytes([(_("Results"), result_headers(), data)])


def xlsx_response(data: bytes, filename: str) -> Response:
    return Response(
        data,
        mimetype=XLSX_MIME,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def results_response(round_: QuizRound) -> Response:
    return xlsx_response(results_bytes(round_), f"ket-qua-vong-{round_.id}.xlsx")
