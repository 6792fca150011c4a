"""Ranking per DOMAIN.md, materialized snapshots, masked names, units."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from contests.quiz import leaderboards
from contests.quiz.leaderboards import ranking
from contests.quiz.models import (
    Attempt,
    AttemptStatus,
    LeaderboardEntry,
    LeaderboardSnapshot,
    LeaderboardStandings,
    PredictionActual,
)
from core.extensions import db
from core.schools.models import SchoolLevel
from tests.conftest import T0
from tests.contests.quiz.factories import QuizFactory


@pytest.fixture
def quiz(make):
    return QuizFactory(make)


def submitted(round_, student, *, score, prediction=None, duration=60, at=0, number=1, max_score=3):
    attempt = Attempt(
        round_id=round_.id,
        user_id=student.id,
        number=number,
        school_id=student.school_id,
        class_id=student.class_id,
        status=AttemptStatus.SUBMITTED,
        paper=[],
        started_at=T0,
        deadline_at=T0 + timedelta(minutes=15),
        submitted_at=T0 + timedelta(seconds=at),
        score=score,
        max_score=max_score,
        prediction=prediction,
        duration_ms=duration * 1000,
    )
    db.session.add(attempt)
    db.session.flush()
    return attempt


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # (score, prediction, duration, submitted offset) per student → expected ranks
        ([(3, None, 60, 0), (2, None, 10, 0)], [1, 2]),  # score first
        ([(2.3333, None, 10, 0), (2.3334, None, 60, 0)], [2, 1]),  # to the 4th decimal
        ([(2, 5, 60, 0), (2, 1, 60, 0)], [2, 1]),  # then prediction error (actual 0)
        ([(2, None, 60, 0), (2, 9, 60, 0)], [2, 1]),  # no prediction ranks after any
        ([(2, 1, 90, 0), (2, 1, 30, 0)], [2, 1]),  # then duration
        ([(2, 1, 30, 20), (2, 1, 30, 10)], [2, 1]),  # then submit time
        ([(2, 1, 30, 10.000001), (2, 1, 30, 10)], [2, 1]),  # to the microsecond
        ([(2, 1, 30, 10), (2, 1, 30, 10)], [1, 1]),  # full tie shares a rank
        ([(3, 1, 30, 10), (2, 1, 30, 10), (2, 1, 30, 10), (1, 0, 1, 0)], [1, 2, 2, 4]),
    ],
)
def test_round_ranking_follows_domain_rule(quiz, make, rows, expected):
    round_ = quiz.round(prediction_enabled=True, prediction_actual=PredictionActual.PERFECT)
    # "actual" = the number of perfect (3/3) scores in the table.
    students = [make.student(full_name=f"Học Sinh {chr(65 + i)}") for i in range(len(rows))]
    for student, (score, prediction, duration, at) in zip(students, rows, strict=True):
        submitted(round_, student, score=score, prediction=prediction, duration=duration, at=at)

    snapshot = leaderboards.snapshot_round(round_=round_, now=T0 + timedelta(hours=1))
    board = leaderboards.read_leaderboard(snapshot=snapshot, scope="student")

    ranks = {e["name"]: e["rank"] for e in board["entries"]}
    assert [ranks[leaderboards.mask_name(s.full_name)] for s in students] == expected


def test_prediction_actual_counts_perfect_scores(quiz, make):
    round_ = quiz.round(prediction_enabled=True)
    for score in (3, 3, 2):
        submitted(round_, make.student(), score=score, prediction=1)

    snapshot = leaderboards.snapshot_round(round_=round_, now=T0)

    assert (snapshot.entrants, snapshot.actual) == (3, 2)


def test_prediction_actual_can_count_entrants(quiz, make):
    round_ = quiz.round(prediction_enabled=True, prediction_actual=PredictionActual.ENTRANTS)
    for score in (3, 1):
        submitted(round_, make.student(), score=score, prediction=1)

    snapshot = leaderboards.snapshot_round(round_=round_, now=T0)

    assert snapshot.actual == 2


def test_best_attempt_of_several_is_kept(quiz, make):
    round_ = quiz.round(attempts_allowed=3)
    student = make.student()
    submitted(round_, student, score=1, number=1)
    submitted(round_, student, score=3, duration=80, number=2)
    submitted(round_, student, score=3, duration=90, number=3)

    snapshot = leaderboards.snapshot_round(round_=round_, now=T0)
    board = leaderboards.read_leaderboard(snapshot=snapshot, scope="student", me=student)

    assert board["me"]["score"] == 3
    assert board["me"]["duration_seconds"] == 80.0
    assert snapshot.entrants == 1


def test_mask_name_keeps_family_name_only():
    assert leaderboards.mask_name("Nguyễn Văn An") == "Nguyễn V. A."
    assert leaderboards.mask_name("Lê Thị Thu Hà") == "Lê T. T. H."
    assert leaderboards.mask_name("An") == "A."


def test_my_rank_shown_outside_top_n(quiz, make):
    round_ = quiz.round()
    students = [make.student(full_name=f"Học Sinh {chr(65 + i)}") for i in range(5)]
    for index, student in enumerate(students):
        submitted(round_, student, score=5 - index)

    snapshot = leaderboards.snapshot_round(round_=round_, now=T0)
    board = leaderboards.read_leaderboard(
        snapshot=snapshot, scope="student", me=students[4], limit=2
    )

    assert [e["rank"] for e in board["entries"]] == [1, 2]
    assert board["me"]["rank"] == 5
    assert board["me"]["is_me"] is True


def test_school_board_adds_participation_rate_and_prize_points(quiz, make):
    round_ = quiz.round(prize_points="10,8,6")
    big, small = make.school(), make.school()
    big_class, small_class = make.school_class(big), make.school_class(small)
    big_students = [make.student(big_class) for _ in range(4)]
    small_students = [make.student(small_class) for _ in range(2)]
    submitted(round_, small_students[0], score=3)  # 1st: 10 points
    submitted(round_, big_students[0], score=2)  # 2nd: 8 points
    submitted(round_, big_students[1], score=1)  # 3rd: 6 points

    snapshot = leaderboards.snapshot_round(round_=round_, now=T0)
    board = leaderboards.read_leaderboard(snapshot=snapshot, scope="school")

    lines = {e["name"]: e for e in board["entries"]}
    assert (lines[big.name]["participation_rate"], lines[big.name]["prize_points"]) == (50.0, 14)
    assert (lines[small.name]["participation_rate"], lines[small.name]["prize_points"]) == (
        50.0,
        10,
    )
    assert [e["name"] for e in board["entries"]][:2] == [big.name, small.name]


def test_class_board_ranks_by_mean_score(quiz, make):
    round_ = quiz.round()
    a, b = make.school_class(name="6A1"), make.school_class(name="7A1")
    submitted(round_, make.student(a), score=1)
    submitted(round_, make.student(b), score=3)
    submitted(round_, make.student(b), score=2)

    board = leaderboards.read_leaderboard(
        snapshot=leaderboards.snapshot_round(round_=round_, now=T0), scope="class"
    )

    assert [(e["name"], e["score"], e["participants"]) for e in board["entries"]] == [
        ("7A1", 2.5, 2),
        ("6A1", 1.0, 1),
    ]


def test_level_filter_ranks_within_level(quiz, make):
    round_ = quiz.round()
    th = make.school_class(make.school(level=SchoolLevel.TH), name="5A1")
    thcs = make.school_class(make.school(level=SchoolLevel.THCS), name="8A1")
    submitted(round_, make.student(thcs), score=3)
    primary = make.student(th)
    submitted(round_, primary, score=1)

    board = leaderboards.read_leaderboard(
        snapshot=leaderboards.snapshot_round(round_=round_, now=T0), scope="student", level="TH"
    )

    assert [(e["name"], e["rank"]) for e in board["entries"]] == [
        (leaderboards.mask_name(primary.full_name), 1)
    ]


def test_prune_older_keeps_newest_snapshot(quiz, make):
    round_ = quiz.round()
    submitted(round_, make.student(), score=1)
    leaderboards.snapshot_round(round_=round_, now=T0)
    latest = leaderboards.snapshot_round(round_=round_, now=T0 + timedelta(minutes=1))

    pruned = leaderboards.prune_older(latest)

    assert pruned == 1
    assert db.session.query(LeaderboardSnapshot).filter_by(round_id=round_.id).all() == [latest]
    assert db.session.scalars(sa.select(LeaderboardStandings.snapshot_id)).all() == [latest.id]
    assert leaderboards.latest_snapshot(round_id=round_.id) == latest


def test_refresh_snapshots_takes_final_snapshot_once(quiz, make):
    round_ = quiz.round(closes_at=T0)
    submitted(round_, make.student(), score=1)
    later = T0 + timedelta(minutes=5)

    counts = [leaderboards.refresh_snapshots(now=later), leaderboards.refresh_snapshots(now=later)]

    assert counts == [2, 0]  # the round and its contest, then nothing
    assert leaderboards.latest_snapshot(round_id=round_.id).final is True


def test_contest_snapshot_sums_rounds(quiz, make):
    contest = quiz.contest()
    first, second = quiz.round(contest), quiz.round(contest)
    student = make.student()
    submitted(first, student, score=2)
    submitted(second, student, score=3)

    snapshot = leaderboards.snapshot_contest(contest=contest, now=T0)
    board = leaderboards.read_leaderboard(snapshot=snapshot, scope="student", me=student)

    assert board["me"]["score"] == 5


def test_level_rank_shown_for_reader_outside_top(quiz, make):
    round_ = quiz.round()
    th = make.school_class(make.school(level=SchoolLevel.TH), name="5A1")
    thcs = make.school_class(make.school(level=SchoolLevel.THCS), name="8A1")
    submitted(round_, make.student(thcs), score=3)
    primary = [make.student(th, full_name=f"Lê Văn {c}") for c in "ABC"]
    for score, student in zip((2, 2, 1), primary, strict=True):
        submitted(round_, student, score=score)

    board = leaderboards.read_leaderboard(
        snapshot=leaderboards.snapshot_round(round_=round_, now=T0),
        scope="student",
        level="TH",
        me=primary[2],
        limit=1,
    )

    assert [e["rank"] for e in board["entries"]] == [1]
    assert board["me"]["rank"] == 3


def test_standings_pack_and_find_every_field():
    columns = {
        "user_id": [7, 3, 9],
        "rank": [1, 2, 2],
        "school_id": [4, 0, 5],
        "class_id": [8, 0, 6],
        "prediction_error": [2, leaderboards.NO_PREDICTION, 0],
        "duration_ms": [61_000, leaderboards.NEVER, 59_500],
        "negated_score": [-3.0, -2.5, -2.5],
    }
    levels = bytes([leaderboards.LEVELS.index("THCS"), 0, leaderboards.LEVELS.index("THCS")])

    standings = leaderboards.Standings.unpack(leaderboards.Standings.pack(columns, levels))

    assert len(standings) == 3
    assert standings.find(9) == {
        "user_id": 9,
        "rank": 2,
        "level_rank": 2,
        "school_id": 5,
        "class_id": 6,
        "prediction_error": 0,
        "duration_ms": 59_500,
        "score": 2.5,
        "level": "THCS",
    }
    missing = standings.find(3)
    assert (missing["school_id"], missing["class_id"], missing["level"]) == (None, None, None)
    assert (missing["prediction_error"], missing["duration_ms"]) == (None, None)
    assert standings.find(4) is None
    assert len(leaderboards.Standings.unpack(None)) == 0
    with pytest.raises(ValueError):
        leaderboards.Standings.unpack(b"JUNK")


def test_only_top_lines_are_rows_and_everyone_else_reads_their_standing(quiz, make, monkeypatch):
    monkeypatch.setattr(ranking, "TOP_LINES", 2)
    round_ = quiz.round()
    th = make.school_class(make.school(level=SchoolLevel.TH), name="5A1")
    thcs = make.school_class(make.school(level=SchoolLevel.THCS), name="8A1")
    # Overall: A 3 (THCS), B 3 (THCS, slower), C 2 (TH), D 2 (THCS), E 1 (TH), F 1 (TH)
    rows = [
        (thcs, 3, 30),
        (thcs, 3, 40),
        (th, 2, 30),
        (thcs, 2, 30),
        (th, 1, 30),
        (th, 1, 30),
    ]
    students = []
    for index, (klass, score, duration) in enumerate(rows):
        student = make.student(klass, full_name=f"Học Sinh {chr(65 + index)}")
        submitted(round_, student, score=score, duration=duration)
        students.append(student)

    snapshot = leaderboards.snapshot_round(round_=round_, now=T0)

    stored = db.session.scalars(
        sa.select(LeaderboardEntry.ref_id)
        .where(LeaderboardEntry.snapshot_id == snapshot.id, LeaderboardEntry.scope == "student")
        .order_by(LeaderboardEntry.rank, LeaderboardEntry.ref_id)
    ).all()
    # the top two overall (A, B) and the top two of each level (THCS: A, B; TH: C, E or F)
    first_th_tie = min(students[4].id, students[5].id)
    assert stored == [students[0].id, students[1].id, students[2].id, first_th_tie]
    board = leaderboards.read_leaderboard(snapshot=snapshot, scope="student", me=students[5])
    assert [e["rank"] for e in board["entries"]] == [1, 2]
    assert board["me"] == {
        "rank": 5,
        "name": leaderboards.mask_name(students[5].full_name),
        "class_name": "5A1",
        "school_name": th.school.name,
        "level": "TH",
        "score": 1.0,
        "prediction_error": None,
        "duration_seconds": 30.0,
        "participants": None,
        "eligible": None,
        "participation_rate": None,
        "prize_points": None,
        "is_me": True,
    }
    in_level = leaderboards.read_leaderboard(
        snapshot=snapshot, scope="student", me=students[3], level="THCS"
    )
    assert [e["rank"] for e in in_level["entries"]] == [1, 2]
    assert (in_level["me"]["rank"], in_level["me"]["score"]) == (3, 2.0)
    tied = leaderboards.read_leaderboard(
        snapshot=snapshot, scope="student", me=students[5], level="TH"
    )
    assert [e["rank"] for e in tied["entries"]] == [1, 2]
    assert tied["me"]["rank"] == 2  # tied with the level's second line
    other_level = leaderboards.read_leaderboard(
        snapshot=snapshot, scope="student", me=students[5], level="THCS"
    )
    assert other_level["me"] is None


def test_a_reader_without_an_attempt_has_no_line(quiz, make):
    round_ = quiz.round()
    submitted(round_, make.student(), score=1)

    board = leaderboards.read_leaderboard(
        snapshot=leaderboards.snapshot_round(round_=round_, now=T0),
        scope="student",
        me=make.student(),
    )

    assert len(board["entries"]) == 1
    assert board["me"] is None
