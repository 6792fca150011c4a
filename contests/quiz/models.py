"""Law quizzes: question bank, contests, rounds, attempts and their saved answers."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.extensions import db


class QuestionKind(enum.StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUEFALSE = "truefalse"


class Pool(enum.StrEnum):
    """Which bank a question belongs to: contest rounds or the separate practice pool."""

    CONTEST = "contest"
    PRACTICE = "practice"


class RoundKind(enum.StrEnum):
    RANKED = "ranked"
    PRACTICE = "practice"


class MultipleScoring(enum.StrEnum):
    ALL_OR_NOTHING = "all_or_nothing"
    PARTIAL = "partial"


class PredictionActual(enum.StrEnum):
    """What a prediction is compared with: entrants with a perfect score, or all entrants."""

    PERFECT = "perfect"
    ENTRANTS = "entrants"


class AttemptStatus(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"


def _enum(kind, length=20):
    return sa.Enum(kind, native_enum=False, length=length)


def parse_levels(text: str | None) -> list[str]:
    """A round's stored school levels ("THCS,TH") as a list; empty means every level."""
    return [v for v in (text or "").split(",") if v]


def parse_grades(text: str | None) -> list[int]:
    """A round's stored grades ("6,7") as a list; empty means every grade."""
    return [int(v) for v in (text or "").split(",") if v.strip().isdigit()]


class ExposedBy(enum.StrEnum):
    """What showed a student a question's key."""

    REVIEW = "review"
    PRACTICE_REVIEW = "practice_review"


class QuestionCategory(db.Model):
    __tablename__ = "quiz_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))


class Question(db.Model):
    __tablename__ = "quiz_question"
    __table_args__ = (
        sa.Index("ix_quiz_question_draw", "pool", "category_id", "retired_at"),
        sa.CheckConstraint("difficulty BETWEEN 1 AND 3", name="difficulty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz_category.id"))
    pool: Mapped[Pool] = mapped_column(_enum(Pool, 12), default=Pool.CONTEST)
    kind: Mapped[QuestionKind] = mapped_column(_enum(QuestionKind, 12))
    text: Mapped[str] = mapped_column(sa.Text)
    #: A hash of the text with case, spacing and punctuation normalized (contests.quiz.keys):
    #: a practice question never has the text of a contest question.
    text_key: Mapped[str] = mapped_column(sa.String(64), index=True, default="")
    explanation: Mapped[str] = mapped_column(sa.Text, default="")
    difficulty: Mapped[int] = mapped_column(sa.SmallInteger, default=2)
    #: The legal instrument and article the question rests on, e.g. "Luật Trẻ em 2016, Điều 6".
    source: Mapped[str] = mapped_column(sa.String(300), default="")
    #: Laws change: a question is drawn only on dates inside [valid_from, valid_to].
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]
    retired_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    category: Mapped[QuestionCategory] = relationship()
    choices: Mapped[list[Choice]] = relationship(
        back_populates="question",
        order_by="Choice.position",
        cascade="all, delete-orphan",
    )

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


class Choice(db.Model):
    __tablename__ = "quiz_choice"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("quiz_question.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    text: Mapped[str] = mapped_column(sa.Text)
    correct: Mapped[bool] = mapped_column(default=False)

    question: Mapped[Question] = relationship(back_populates="choices")


class QuestionExposure(db.Model):
    """A question whose key a review is to show a student: never drawn into a ranked paper again.

    One row per question, written the first time a review would show its key (later reviews
    leave it as it is).
    """

    __tablename__ = "quiz_question_exposure"

    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("quiz_question.id", ondelete="CASCADE"), primary_key=True
    )
    exposed_at: Mapped[datetime]
    #: What showed the key: a ranked round's released review or a practice review.
    exposed_by: Mapped[ExposedBy] = mapped_column(_enum(ExposedBy, 20))
    #: The attempt whose review showed it.
    attempt_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("quiz_attempt.id", ondelete="SET NULL")
    )
    #: When reviews may show its key: once every ranked attempt that was in progress with it on
    #: its paper when it was exposed has ended (papers drawn later never hold it).
    keys_shown_from: Mapped[datetime]


class QuizContest(db.Model):
    """A law quiz contest inside a campaign (the campaign is referred to by key only)."""

    __tablename__ = "quiz_contest"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: Reviews of ranked rounds show keys and explanations only once the contest's last ranked
    #: round has closed (a released round's review would otherwise answer a live round's paper).
    reveal_keys_after_last_round: Mapped[bool] = mapped_column(
        default=True, server_default=sa.true()
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    rounds: Mapped[list[QuizRound]] = relationship(
        back_populates="contest", order_by="QuizRound.opens_at"
    )


class Accommodation(db.Model):
    """Extra time for one student, set once per contest."""

    __tablename__ = "quiz_accommodation"
    __table_args__ = (sa.UniqueConstraint("contest_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz_contest.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    extra_seconds: Mapped[int] = mapped_column(default=0)

    user = relationship("User")


class QuizRound(db.Model):
    __tablename__ = "quiz_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz_contest.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[RoundKind] = mapped_column(_enum(RoundKind, 12), default=RoundKind.RANKED)
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    time_limit_seconds: Mapped[int] = mapped_column(default=900)
    #: [{"category_id": 1, "count": 5}, …]; counts per category of the drawn paper.
    draw_rules: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: Spread each category's count evenly over difficulties 1–3 where the bank allows.
    balance_difficulty: Mapped[bool] = mapped_column(default=False)
    shuffle_questions: Mapped[bool] = mapped_column(default=True)
    shuffle_choices: Mapped[bool] = mapped_column(default=True)
    #: 1 for most school contests; N keeps the best of N.
    attempts_allowed: Mapped[int] = mapped_column(default=1)
    multiple_scoring: Mapped[MultipleScoring] = mapped_column(
        _enum(MultipleScoring), default=MultipleScoring.ALL_OR_NOTHING
    )
    #: Comma-separated school levels ("THCS,TH") and grades ("6,7"); empty means everyone.
    eligible_levels: Mapped[str] = mapped_column(sa.String(40), default="")
    eligible_grades: Mapped[str] = mapped_column(sa.String(40), default="")
    prediction_enabled: Mapped[bool] = mapped_column(default=False)
    prediction_actual: Mapped[PredictionActual] = mapped_column(
        _enum(PredictionActual), default=PredictionActual.PERFECT
    )
    #: Ranks, correct answers and explanations are shown from this time (never before).
    results_release_at: Mapped[datetime | None]
    show_answers: Mapped[bool] = mapped_column(default=False)
    show_score_on_submit: Mapped[bool] = mapped_column(default=True)
    #: School prize points for the top students, e.g. "10,8,6".
    prize_points: Mapped[str] = mapped_column(sa.String(60), default="10,8,6")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    contest: Mapped[QuizContest] = relationship(back_populates="rounds")

    @property
    def is_practice(self) -> bool:
        return self.kind == RoundKind.PRACTICE

    @property
    def pool(self) -> Pool:
        """The pool the round draws from."""
        return Pool.PRACTICE if self.is_practice else Pool.CONTEST

    @property
    def levels(self) -> list[str]:
        return parse_levels(self.eligible_levels)

    @property
    def grades(self) -> list[int]:
        return parse_grades(self.eligible_grades)

    @property
    def prizes(self) -> list[int]:
        return [int(v) for v in (self.prize_points or "").split(",") if v.strip().isdigit()]

    @property
    def question_count(self) -> int:
        return sum(int(rule.get("count", 0)) for rule in self.draw_rules or [])

    def status(self, now: datetime) -> str:
        if now < self.opens_at:
            return "upcoming"
        if now < self.closes_at:
            return "open"
        return "closed"

    def results_released(self, now: datetime) -> bool:
        return self.results_release_at is not None and self.results_release_at <= now


class Attempt(db.Model):
    """One student's try at a round: a fixed paper and a fixed deadline, set at start."""

    __tablename__ = "quiz_attempt"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "user_id", "number"),
        sa.Index("ix_quiz_attempt_open", "status", "deadline_at"),
        # Covers what a leaderboard snapshot reads of a round's submitted attempts, so ranking
        # 100,000 of them never visits the table (half the ranking time on SQLite).
        sa.Index(
            "ix_quiz_attempt_ranking",
            "round_id",
            "status",
            "score",
            "prediction",
            "duration_ms",
            "submitted_at",
            "user_id",
            "school_id",
            "class_id",
            "max_score",
        ),
        sa.Index("ix_quiz_attempt_school_submitted", "school_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz_round.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    #: 1 for the first try; at most one attempt is in progress because each new number waits
    #: for the previous attempt to be submitted.
    number: Mapped[int] = mapped_column(sa.SmallInteger, default=1)
    #: The student's school and class when they started (leaderboards group by these).
    school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("school.id"))
    class_id: Mapped[int | None] = mapped_column(sa.ForeignKey("school_class.id"))
    status: Mapped[AttemptStatus] = mapped_column(
        _enum(AttemptStatus, 12), default=AttemptStatus.IN_PROGRESS
    )
    #: [{"q": question_id, "c": [choice ids in the order shown]}, …] in the order shown.
    paper: Mapped[list] = mapped_column(sa.JSON)
    started_at: Mapped[datetime]
    #: min(started_at + limit + extra time, round close); a short grace is added on checks.
    deadline_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    #: Who closed it: "student" or "scheduler" (from the saved answers after the deadline).
    finalized_by: Mapped[str | None] = mapped_column(sa.String(12))
    score: Mapped[float | None] = mapped_column(sa.Float)
    max_score: Mapped[float | None] = mapped_column(sa.Float)
    prediction: Mapped[int | None]
    #: Milliseconds from start to submission (capped at the deadline for late finalizing).
    duration_ms: Mapped[int | None]

    round: Mapped[QuizRound] = relationship()
    user = relationship("User")

    @property
    def question_ids(self) -> list[int]:
        return [item["q"] for item in self.paper]


class Answer(db.Model):
    """The latest saved answer to one question of an attempt; ``seq`` orders retries."""

    __tablename__ = "quiz_answer"
    __table_args__ = (sa.UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz_attempt.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz_question.id"))
    choice_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: The browser's sequence number of this save: an older retry never overwrites a newer one.
    seq: Mapped[int] = mapped_column(default=0)
    saved_at: Mapped[datetime]
    #: Set when the attempt is graded (0 ≤ points ≤ 1).
    points: Mapped[float | None] = mapped_column(sa.Float)


class LeaderboardSnapshot(db.Model):
    """A materialized ranking of a round (or of a whole contest), recomputed by the scheduler."""

    __tablename__ = "quiz_leaderboard_snapshot"
    __table_args__ = (sa.Index("ix_quiz_snapshot_target", "round_id", "contest_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int | None] = mapped_column(sa.ForeignKey("quiz_round.id"))
    contest_id: Mapped[int | None] = mapped_column(sa.ForeignKey("quiz_contest.id"))
    computed_at: Mapped[datetime]
    entrants: Mapped[int] = mapped_column(default=0)
    #: The "actual" number predictions are compared with.
    actual: Mapped[int | None]
    #: Set when the snapshot was taken after the round closed.
    final: Mapped[bool] = mapped_column(default=False)


class LeaderboardEntry(db.Model):
    """One ranked line of a snapshot: a top student (overall or in a school level), a class or
    a school. Every student's standing is in LeaderboardStandings.

    A materialized cache, rebuilt from attempts at every snapshot: the migration makes it an
    UNLOGGED table on PostgreSQL (no WAL; after a crash the scheduler simply rebuilds it), and
    it has no surrogate key or foreign key to maintain.
    """

    __tablename__ = "quiz_leaderboard_entry"
    __table_args__ = (sa.Index("ix_quiz_entry_rank", "snapshot_id", "scope", "rank"),)

    #: Lines are only written and pruned together with their snapshot (no per-line key check).
    snapshot_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    scope: Mapped[str] = mapped_column(sa.String(8), primary_key=True)  #: student, class, school
    ref_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  #: user/class/school
    level: Mapped[str | None] = mapped_column(sa.String(8))
    #: Rank among everyone; the rank within a school level is worked out when read.
    rank: Mapped[int]
    school_id: Mapped[int | None]
    class_id: Mapped[int | None]
    score: Mapped[float] = mapped_column(sa.Float, default=0)
    prediction_error: Mapped[int | None]
    duration_ms: Mapped[int | None]
    participants: Mapped[int | None]
    eligible: Mapped[int | None]
    participation_rate: Mapped[float | None] = mapped_column(sa.Float)
    prize_points: Mapped[int | None]


class LeaderboardStandings(db.Model):
    """Every ranked student of a snapshot in one packed value (contests.quiz.leaderboards.ranking.Standings).

    Like the lines, a rebuildable cache: UNLOGGED on PostgreSQL, stored uncompressed (the
    arrays are read whole, once per worker and snapshot).
    """

    __tablename__ = "quiz_leaderboard_standings"

    snapshot_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
