"""The quiz JSON API: the quiz page itself runs on it. Answer keys never leave the server here."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import Schema, fields, validate

from contests.quiz import leaderboards, services, tokens
from contests.quiz.fastsave import attempt_token_first, end_reads_on_sqlite, write_lock_last
from contests.quiz.models import Attempt, AttemptStatus, QuizContest, QuizRound
from contests.quiz.permissions import can_view_contest_leaderboard, can_view_leaderboard
from core.api import ApiBlueprint
from core.auth.sessions import current_login_session_id
from core.clock import utcnow
from core.errors import Forbidden, NotFound
from core.extensions import compress, db

blp = ApiBlueprint("quiz_api", __name__, description="Law quizzes: rounds, attempts, leaderboards")


class MyRoundSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    contest_title = fields.String()
    opens_at = fields.DateTime()
    closes_at = fields.DateTime()
    time_limit_seconds = fields.Integer()
    status = fields.String(metadata={"enum": ["upcoming", "open", "closed"]})


class ChoiceSchema(Schema):
    id = fields.Integer()
    text = fields.String()


class QuestionSchema(Schema):
    id = fields.Integer()
    text = fields.String()
    kind = fields.String(metadata={"enum": ["single", "multiple", "truefalse"]})
    choices = fields.List(fields.Nested(ChoiceSchema))


class SavedAnswerSchema(Schema):
    question_id = fields.Integer()
    choice_ids = fields.List(fields.Integer())
    seq = fields.Integer()


class AttemptSchema(Schema):
    id = fields.Integer()
    round_id = fields.Integer()
    status = fields.String(metadata={"enum": ["in_progress", "submitted"]})
    seconds_remaining = fields.Integer()
    deadline_at = fields.DateTime()
    questions = fields.List(fields.Nested(QuestionSchema))
    answers = fields.List(fields.Nested(SavedAnswerSchema))
    prediction_required = fields.Boolean()
    attempt_token = fields.String(
        allow_none=True,
        metadata={
            "description": f"Send it as the {tokens.HEADER} header of saveAnswer (a capability "
            "for this attempt and session; null when the session is not a stored one)"
        },
    )


class AnswerInSchema(Schema):
    choice_ids = fields.List(fields.Integer(strict=True), required=True)
    seq = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=2**31 - 1))


class AnswerOutSchema(Schema):
    question_id = fields.Integer()
    choice_ids = fields.List(fields.Integer())
    seq = fields.Integer()
    saved = fields.Boolean(metadata={"description": "False when a newer save was already kept"})
    seconds_remaining = fields.Integer()


class SubmitInSchema(Schema):
    prediction = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=0, max=10_000_000)
    )


class SubmitOutSchema(Schema):
    id = fields.Integer()
    status = fields.String()
    score = fields.Float()
    max_score = fields.Float()


class LeaderboardArgs(Schema):
    scope = fields.String(load_default="student", validate=validate.OneOf(leaderboards.SCOPES))
    level = fields.String(load_default=None, validate=validate.OneOf(["MN", "TH", "THCS"]))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=100))


class LeaderboardLineSchema(Schema):
    rank = fields.Integer()
    name = fields.String()
    class_name = fields.String(allow_none=True)
    school_name = fields.String(allow_none=True)
    level = fields.String(allow_none=True)
    score = fields.Float()
    prediction_error = fields.Integer(allow_none=True)
    duration_seconds = fields.Float(allow_none=True)
    participants = fields.Integer(allow_none=True)
    eligible = fields.Integer(allow_none=True)
    participation_rate = fields.Float(allow_none=True)
    prize_points = fields.Integer(allow_none=True)
    is_me = fields.Boolean()


class LeaderboardSchema(Schema):
    scope = fields.String()
    level = fields.String(allow_none=True)
    computed_at = fields.DateTime(allow_none=True)
    entrants = fields.Integer()
    entries = fields.List(fields.Nested(LeaderboardLineSchema))
    me = fields.Nested(LeaderboardLineSchema, allow_none=True)


def attempt_payload(
    attempt: Attempt, now, *, with_questions: bool = True, new: bool = False
) -> dict:
    """What a student sees of their attempt: never the key or explanations.

    ``new``: the attempt was created by this request, so it has no saved answers to read.
    """
    return {
        "id": attempt.id,
        "round_id": attempt.round_id,
        "status": attempt.status.value,
        "seconds_remaining": services.seconds_remaining(attempt, now),
        "deadline_at": attempt.deadline_at,
        "questions": services.paper_questions(attempt) if with_questions else [],
        "answers": []
        if new
        else [
            {"question_id": a.question_id, "choice_ids": a.choice_ids, "seq": a.seq}
            for a in services.saved_answers(attempt.id)
        ],
        "prediction_required": bool(
            attempt.round.prediction_enabled and not attempt.round.is_practice
        ),
    }


def submit_payload(attempt: Attempt) -> dict:
    payload = {"id": attempt.id, "status": attempt.status.value}
    if attempt.status == AttemptStatus.SUBMITTED and attempt.round.show_score_on_submit:
        payload["score"] = attempt.score
        payload["max_score"] = attempt.max_score
    return payload


def get_round(round_id: int) -> QuizRound:
    round_ = db.session.get(QuizRound, round_id)
    if round_ is None:
        raise NotFound(_("Round not found."))
    return round_


@blp.route("/me/rounds", methods=["GET"])
@blp.operation("listMyRounds", "Rounds the signed-in student may enter now or soon")
@blp.response(200, MyRoundSchema(many=True))
@login_required
def list_my_rounds():
    now = utcnow()
    return [
        {
            "id": r.id,
            "title": r.title,
            "contest_title": r.contest.title,
            "opens_at": r.opens_at,
            "closes_at": r.closes_at,
            "time_limit_seconds": r.time_limit_seconds,
            "status": r.status(now),
        }
        for r in services.rounds_for_student(user=current_user, now=now)
    ]


def _with_token(payload: dict, attempt: Attempt) -> dict:
    """The attempt's payload with the token its saves may bring; its sheet kept for them."""
    if attempt.status == AttemptStatus.IN_PROGRESS:
        services.remember_sheet(attempt)
        payload["attempt_token"] = tokens.issue(
            attempt_id=attempt.id, user_id=attempt.user_id, session_id=current_login_session_id()
        )
    else:
        payload["attempt_token"] = None
    return payload


@blp.route("/rounds/<int:round_id>/attempts", methods=["POST"])
@blp.operation("startAttempt", "Start the round, or resume the open attempt (idempotent)")
@blp.response(200, AttemptSchema)
@blp.alt_response(201, schema=AttemptSchema, description="A new attempt was started")
@write_lock_last
@login_required
def start_attempt(round_id: int):
    now = utcnow()
    round_ = get_round(round_id)
    attempt, created = services.start_attempt(
        round_=round_, user=current_user, now=now, before_write=end_reads_on_sqlite
    )
    payload = _with_token(attempt_payload(attempt, now, new=created), attempt)
    return payload, 201 if created else 200


@blp.route("/attempts/<int:attempt_id>", methods=["GET"])
@blp.operation("getAttempt", "The student's attempt: questions, saved answers, time left")
@blp.response(200, AttemptSchema)
@login_required
def get_attempt(attempt_id: int):
    attempt = services.get_attempt_for(attempt_id=attempt_id, user=current_user)
    return _with_token(attempt_payload(attempt, utcnow()), attempt)


@blp.route(
    "/attempts/<int:attempt_id>/answers/<int:question_id>",
    methods=["PUT"],
    parameters=[
        {
            "in": "header",
            "name": tokens.HEADER,
            "required": False,
            "schema": {"type": "string"},
            "description": "The attempt_token of startAttempt or getAttempt: the save is "
            "authenticated by it (no session cookie or CSRF token needed)",
        }
    ],
)
@blp.operation("saveAnswer", "Save one answer; an older seq never overwrites a newer one")
@attempt_token_first
@blp.arguments(AnswerInSchema)
@blp.response(200, AnswerOutSchema)
@write_lock_last
@login_required
def save_answer(body, attempt_id: int, question_id: int):
    now = utcnow()
    attempt = services.get_attempt_for(attempt_id=attempt_id, user=current_user)
    saved = services.save_answer(
        attempt=attempt,
        question_id=question_id,
        choice_ids=body["choice_ids"],
        seq=body["seq"],
        now=now,
        before_write=end_reads_on_sqlite,
    )
    payload = {
        "question_id": question_id,
        "choice_ids": body["choice_ids"],
        "seq": body["seq"],
        "saved": saved,
        "seconds_remaining": services.seconds_remaining(attempt, now),
    }
    return payload


@blp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@blp.operation("submitAttempt", "Submit the attempt (a retry returns the same result)")
@blp.arguments(SubmitInSchema, required=False)
@blp.response(200, SubmitOutSchema)
@login_required
def submit_attempt(body, attempt_id: int):
    attempt = services.get_attempt_for(attempt_id=attempt_id, user=current_user)
    services.submit_attempt(attempt=attempt, prediction=(body or {}).get("prediction"))
    return submit_payload(attempt)


@blp.route("/rounds/<int:round_id>/leaderboard", methods=["GET"])
@blp.operation("getLeaderboard", "A round's leaderboard: top N and the reader's own line")
@blp.arguments(LeaderboardArgs, location="query")
@blp.response(200, LeaderboardSchema)
@login_required
@compress.compressed()
def get_leaderboard(args, round_id: int):
    round_, snapshot = leaderboards.round_and_latest_snapshot(round_id)
    if round_ is None:
        raise NotFound(_("Round not found."))
    if not can_view_leaderboard(current_user, round_, utcnow()):
        raise Forbidden(_("The results of this round are not released yet."))
    return _board(snapshot, args)


@blp.route("/contests/<int:contest_id>/leaderboard", methods=["GET"])
@blp.operation(
    "getContestLeaderboard", "A contest's leaderboard over its ranked rounds: top N and my line"
)
@blp.arguments(LeaderboardArgs, location="query")
@blp.response(200, LeaderboardSchema)
@login_required
@compress.compressed()
def get_contest_leaderboard(args, contest_id: int):
    contest = db.session.get(QuizContest, contest_id)
    if contest is None:
        raise NotFound(_("Contest not found."))
    if not can_view_contest_leaderboard(current_user, contest, utcnow()):
        raise Forbidden(_("The results of this contest are not released yet."))
    return _board(leaderboards.latest_snapshot(contest_id=contest.id), args)


BOARD_SCHEMA = LeaderboardSchema()
LINE_SCHEMA = LeaderboardLineSchema()


def _board(snapshot, args):
    """The board's reply: from the bytes kept per snapshot (leaderboards.replies), or built in
    full when there is no snapshot yet."""
    board = {"snapshot": snapshot, "scope": args["scope"], "level": args["level"]}
    if snapshot is None:
        return leaderboards.read_leaderboard(**board, me=current_user, limit=args["limit"])
    return leaderboards.board_response(
        **board, limit=args["limit"], me=current_user, schema=BOARD_SCHEMA, line_schema=LINE_SCHEMA
    )
