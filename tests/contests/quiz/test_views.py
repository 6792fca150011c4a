"""Quiz pages: every route once allowed and once forbidden; organizer flows end to end."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from contests.quiz import formats, leaderboards, services
from contests.quiz.models import (
    Accommodation,
    Attempt,
    Pool,
    Question,
    QuestionKind,
    QuizContest,
    QuizRound,
)
from core.extensions import db
from core.schools.models import SchoolLevel
from tests.conftest import T0


@pytest.fixture
def world(quiz, make, frozen):
    round_ = quiz.round(count=3, results_release_at=T0 + timedelta(days=1))
    student = make.student(full_name="Phạm Thu Trang")
    return round_, student


def start(round_, student):
    attempt, _ = services.start_attempt(round_=round_, user=student, now=T0)
    return attempt


ORGANIZER_GETS = [
    "/manage/quiz",
    "/manage/quiz/contests/new",
    "/manage/quiz/contests/{contest}/edit",
    "/manage/quiz/contests/{contest}",
    "/manage/quiz/contests/{contest}/rounds/new",
    "/manage/quiz/rounds/{round}/edit",
    "/manage/quiz/rounds/{round}/results",
    "/manage/quiz/rounds/{round}/results.xlsx",
    "/manage/quiz/questions",
    "/manage/quiz/questions/new",
    "/manage/quiz/questions/{question}/edit",
    "/manage/quiz/questions/{question}",
    "/manage/quiz/questions/import",
    "/manage/quiz/questions/template.xlsx",
    "/manage/quiz/questions/export.xlsx",
]
ORGANIZER_POSTS = [
    "/manage/quiz/contests/new",
    "/manage/quiz/contests/{contest}/edit",
    "/manage/quiz/contests/{contest}",
    "/manage/quiz/contests/{contest}/rounds/new",
    "/manage/quiz/rounds/{round}/edit",
    "/manage/quiz/rounds/{round}/snapshot",
    "/manage/quiz/rounds/{round}/release",
    "/manage/quiz/questions/new",
    "/manage/quiz/questions/{question}/edit",
    "/manage/quiz/questions/{question}/retire",
    "/manage/quiz/questions/import",
]


def fill(url, round_):
    question = db.session.scalar(sa.select(Question.id).limit(1))
    return url.format(contest=round_.contest_id, round=round_.id, question=question)


@pytest.mark.parametrize("url", ORGANIZER_GETS)
def test_organizer_page_allowed_for_organizer(client, login, make, world, url):
    round_, _ = world
    login(make.organizer())

    response = client.get(fill(url, round_))

    assert response.status_code == 200


@pytest.mark.parametrize("url", ORGANIZER_GETS)
def test_organizer_page_forbidden_for_student(client, login, world, url):
    round_, student = world
    login(student)

    assert client.get(fill(url, round_)).status_code == 403


@pytest.mark.parametrize("url", ORGANIZER_POSTS)
def test_organizer_post_forbidden_for_student(client, login, world, url):
    round_, student = world
    login(student)

    assert client.post(fill(url, round_), data={}).status_code == 403


@pytest.mark.parametrize("url", ["/manage/quiz", "/manage/quiz/questions"])
def test_organizer_page_sends_anonymous_to_sign_in(client, world, url):
    response = client.get(url)

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_my_rounds_lists_open_round_for_student(client, login, world):
    round_, student = world
    login(student)

    response = client.get("/quiz")

    assert response.status_code == 200
    assert round_.title in response.get_data(as_text=True)


def test_my_rounds_forbidden_for_organizer(client, login, make, world):
    login(make.organizer())

    assert client.get("/quiz").status_code == 403


def test_contest_page_prints_ranking_rule(client, world):
    round_, _ = world

    response = client.get(f"/quiz/contests/{round_.contest_id}")

    assert response.status_code == 200
    assert "Cách xếp hạng thí sinh" in response.get_data(as_text=True)


def test_contest_page_unknown_is_404(client, world):
    assert client.get("/quiz/contests/999999").status_code == 404


def test_round_page_for_eligible_student(client, login, world):
    round_, student = world
    login(student)

    response = client.get(f"/quiz/rounds/{round_.id}")

    assert response.status_code == 200
    assert 'data-testid="start-quiz"' in response.get_data(as_text=True)


def test_round_page_forbidden_for_ineligible_student(client, login, quiz, make, world):
    round_ = quiz.round(eligible_levels="TH")
    login(make.student())

    assert client.get(f"/quiz/rounds/{round_.id}").status_code == 403


def test_take_page_renders_without_answer_keys(client, login, world):
    round_, student = world
    login(student)

    response = client.get(f"/quiz/rounds/{round_.id}/take")

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="quiz-app"' in body
    assert "Giải thích bí mật" not in body


def test_take_page_forbidden_for_ineligible_student(client, login, quiz, make, world):
    round_ = quiz.round(eligible_grades="6")
    login(make.student(make.school_class(name="9A1")))

    assert client.get(f"/quiz/rounds/{round_.id}/take").status_code == 403


def test_take_page_of_closed_round_redirects(client, login, quiz, make, world):
    round_ = quiz.round(closes_at=T0)
    login(make.student())

    assert client.get(f"/quiz/rounds/{round_.id}/take").status_code == 302


def test_result_page_shows_score_not_key_before_release(client, login, world):
    round_, student = world
    attempt = start(round_, student)
    services.submit_attempt(attempt=attempt, now=T0 + timedelta(seconds=75))
    login(student)

    response = client.get(f"/quiz/attempts/{attempt.id}")

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "0 / 3 điểm" in body
    assert "1 phút 15 giây" in body
    assert "Giải thích bí mật" not in body
    assert "Đáp án đúng" not in body


def test_result_page_after_release_shows_rank_and_review(client, login, world, frozen):
    round_, student = world
    attempt = start(round_, student)
    services.submit_attempt(attempt=attempt, now=T0 + timedelta(seconds=75))
    leaderboards.snapshot_round(round_=round_, now=T0)
    frozen.shift(timedelta(days=2))
    login(student)

    body = client.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)

    assert "Thứ hạng của em: 1" in body
    assert "Giải thích bí mật" in body


def test_result_page_of_someone_else_is_404(client, login, make, world):
    round_, student = world
    attempt = start(round_, student)
    services.submit_attempt(attempt=attempt, now=T0)
    login(make.student())

    assert client.get(f"/quiz/attempts/{attempt.id}").status_code == 404


def test_leaderboard_page_after_release_masks_names(client, world, frozen):
    round_, student = world
    attempt = start(round_, student)
    services.submit_attempt(attempt=attempt, now=T0)
    leaderboards.snapshot_round(round_=round_, now=T0)
    frozen.shift(timedelta(days=2))

    body = client.get(f"/quiz/rounds/{round_.id}/leaderboard").get_data(as_text=True)

    assert "Phạm T. T." in body
    assert "Phạm Thu Trang" not in body


def test_leaderboard_page_before_release_forbidden(client, login, world):
    round_, student = world
    login(student)

    assert client.get(f"/quiz/rounds/{round_.id}/leaderboard").status_code == 403


def test_home_shows_quiz_section_to_student(client, login, world):
    _round, student = world
    login(student)

    assert "Các vòng thi của em" in client.get("/").get_data(as_text=True)


def test_create_contest(client, login, make, quiz, frozen):
    campaign = quiz.campaign()
    login(make.organizer())

    response = client.post(
        "/manage/quiz/contests/new",
        data={"campaign_id": campaign.id, "title": "Tìm hiểu Luật Trẻ em", "description": ""},
    )

    contest = db.session.scalar(
        sa.select(QuizContest).where(QuizContest.title == "Tìm hiểu Luật Trẻ em")
    )
    assert response.status_code == 302
    assert contest.campaign_id == campaign.id


def test_create_round_with_draw_rules_and_eligibility(client, login, make, quiz, frozen):
    contest = quiz.contest()
    category = quiz.category()
    for _ in range(5):
        quiz.question(category)
    login(make.organizer())

    response = client.post(
        f"/manage/quiz/contests/{contest.id}/rounds/new",
        data={
            "title": "Vòng chung kết",
            "kind": "ranked",
            "opens_at": "2026-12-01T08:00",
            "closes_at": "2026-12-01T10:00",
            "time_limit": "15",
            "attempts_allowed": "1",
            "multiple_scoring": "partial",
            "eligible_levels": ["THCS"],
            "eligible_grades": "8, 9",
            "prediction_enabled": "y",
            "prediction_actual": "entrants",
            "results_release_at": "2026-12-02T08:00",
            "show_answers": "y",
            "prize_points": "10,8,6",
            f"count_{category.id}": "4",
        },
    )

    round_ = db.session.scalar(sa.select(QuizRound).where(QuizRound.title == "Vòng chung kết"))
    assert response.status_code == 302
    assert round_.draw_rules == [{"category_id": category.id, "count": 4}]
    assert (round_.eligible_levels, round_.eligible_grades) == ("THCS", "8,9")
    assert round_.opens_at == T0 + timedelta(days=1)  # 08:00 in Hà Nội = 01:00 UTC
    assert round_.time_limit_seconds == 900


def test_create_round_with_too_many_questions_shows_error(client, login, make, quiz, frozen):
    contest = quiz.contest()
    category = quiz.category("Kỹ năng an toàn")
    quiz.question(category)
    login(make.organizer())

    response = client.post(
        f"/manage/quiz/contests/{contest.id}/rounds/new",
        data={
            "title": "R",
            "kind": "ranked",
            "opens_at": "2026-12-01T08:00",
            "closes_at": "2026-12-01T10:00",
            "time_limit": "15",
            "attempts_allowed": "1",
            "multiple_scoring": "all_or_nothing",
            "prediction_actual": "perfect",
            f"count_{category.id}": "3",
        },
    )

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    # Beside the rule that is short, naming its category.
    assert (
        f'id="count_{category.id}-error" class="invalid-feedback d-block" role="alert">'
        "Chủ đề “Kỹ năng an toàn” chỉ còn 1 câu hỏi có thể rút"
    ) in body


def test_set_extra_time_for_student(client, login, make, quiz, frozen):
    contest = quiz.contest()
    student = make.student()
    login(make.organizer())

    response = client.post(
        f"/manage/quiz/contests/{contest.id}",
        data={"username": student.username, "extra_minutes": "10"},
    )

    assert response.status_code == 302
    assert (
        db.session.scalar(
            sa.select(Accommodation.extra_seconds).where(Accommodation.user_id == student.id)
        )
        == 600
    )


def test_create_question_then_preview(client, login, make, quiz, frozen):
    category = quiz.category()
    login(make.organizer())

    response = client.post(
        "/manage/quiz/questions/new",
        data={
            "category_id": category.id,
            "pool": "contest",
            "kind": "single",
            "text": "Trẻ em là người dưới bao nhiêu tuổi?",
            "choice_1": "16",
            "correct_1": "y",
            "choice_2": "18",
            "difficulty": "1",
            "source": "Luật Trẻ em 2016, Điều 1",
            "valid_from": "2017-06-01",
        },
    )

    question = db.session.scalar(sa.select(Question).where(Question.category_id == category.id))
    assert response.status_code == 302
    assert [(c.text, c.correct) for c in question.choices] == [("16", True), ("18", False)]
    assert "Luật Trẻ em 2016, Điều 1" in client.get(
        f"/manage/quiz/questions/{question.id}"
    ).get_data(as_text=True)


def test_retire_question(client, login, make, quiz, frozen):
    question = quiz.question()
    login(make.organizer())

    response = client.post(f"/manage/quiz/questions/{question.id}/retire")

    assert response.status_code == 302
    assert question.retired_at is not None


def xlsx(rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(formats.COLUMNS.values()))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return out


GOOD_ROW = [
    "Chủ đề mới",
    "một đáp án",
    "Câu hỏi?",
    "Một",
    "Hai",
    "",
    "",
    "",
    "",
    "B",
    "Vì vậy",
    1,
    "Luật X",
    "01/01/2020",
    "",
    "thi",
]


def test_import_xlsx_all_rows(client, login, make, frozen):
    login(make.organizer())
    tf = [
        "Chủ đề mới",
        "đúng/sai",
        "Đúng không?",
        "",
        "",
        "",
        "",
        "",
        "",
        "Đúng",
        "",
        2,
        "",
        "",
        "",
        "luyện tập",
    ]

    response = client.post(
        "/manage/quiz/questions/import",
        data={"format": "xlsx", "pool": "contest", "file": (xlsx([GOOD_ROW, tf]), "q.xlsx")},
        content_type="multipart/form-data",
    )

    questions = db.session.scalars(sa.select(Question).order_by(Question.id)).all()
    assert response.status_code == 302
    assert [(q.kind, q.pool, q.category.name) for q in questions] == [
        (QuestionKind.SINGLE, Pool.CONTEST, "Chủ đề mới"),
        (QuestionKind.TRUEFALSE, Pool.PRACTICE, "Chủ đề mới"),
    ]
    assert [c.correct for c in questions[0].choices] == [False, True]


def test_import_xlsx_bad_row_imports_nothing_and_reports(client, login, make, frozen):
    login(make.organizer())
    bad = [
        "Chủ đề mới",
        "một đáp án",
        "Câu sai?",
        "Một",
        "Hai",
        "",
        "",
        "",
        "",
        "A, B",
        "",
        1,
        "",
        "",
        "",
        "",
    ]

    response = client.post(
        "/manage/quiz/questions/import",
        data={"format": "xlsx", "pool": "contest", "file": (xlsx([GOOD_ROW, bad]), "q.xlsx")},
        content_type="multipart/form-data",
    )

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-testid="import-report"' in body
    assert "<td>3</td>" in body
    assert db.session.scalar(sa.select(sa.func.count(Question.id))) == 0


def test_export_then_import_round_trips(client, login, make, quiz, frozen):
    quiz.question(kind="multiple", correct=(0, 2))
    login(make.organizer())
    exported = client.get("/manage/quiz/questions/export.xlsx").data

    report = formats.import_questions(actor=None, data=exported, filename="x.xlsx", fmt="xlsx")

    assert report.counts["questions"] == 1
    copies = db.session.scalars(sa.select(Question).order_by(Question.id)).all()
    assert [c.correct for c in copies[-1].choices] == [True, False, True, False]


def test_import_aiken(client, login, make, quiz, frozen):
    category = quiz.category()
    login(make.organizer())
    text = "Tổng đài bảo vệ trẻ em là số nào?\nA. 111\nB. 113\nC. 115\nANSWER: A\n\nCâu hai?\nA) Có\nB) Không\nANSWER: B\n"

    response = client.post(
        "/manage/quiz/questions/import",
        data={
            "format": "aiken",
            "pool": "contest",
            "category_id": category.id,
            "file": (io.BytesIO(text.encode()), "q.txt"),
        },
        content_type="multipart/form-data",
    )

    questions = db.session.scalars(
        sa.select(Question).where(Question.category_id == category.id).order_by(Question.id)
    ).all()
    assert response.status_code == 302
    assert [q.text for q in questions] == ["Tổng đài bảo vệ trẻ em là số nào?", "Câu hai?"]
    assert [c.correct for c in questions[0].choices] == [True, False, False]


def test_import_aiken_missing_answer_rejected(ctx, quiz):
    category = quiz.category()

    with pytest.raises(formats.ImportRejected) as rejected:
        formats.import_questions(
            actor=None,
            data=b"Q?\nA. x\nB. y\n",
            filename="q.txt",
            fmt="aiken",
            category_id=category.id,
        )

    assert [e.row for e in rejected.value.report.errors] == [1]


def test_import_gift_kinds(ctx, quiz):
    text = (
        "// comment\n$CATEGORY: Kỹ năng\n\n"
        "::Q1:: Số tổng đài 111 là miễn phí? {T}\n\n"
        "::Q2:: Chọn một {=Đúng ~Sai ~Không biết}\n\n"
        "::Q3:: Chọn nhiều {~%50%A ~%50%B ~%-100%C}\n"
    )

    report = formats.import_questions(actor=None, data=text.encode(), filename="q.gift", fmt="gift")

    questions = db.session.scalars(sa.select(Question).order_by(Question.id)).all()
    assert report.counts == {"questions": 3, "categories": 1}
    assert [q.kind for q in questions] == [
        QuestionKind.TRUEFALSE,
        QuestionKind.SINGLE,
        QuestionKind.MULTIPLE,
    ]
    assert [c.correct for c in questions[2].choices] == [True, True, False]
    assert questions[1].text == "Chọn một"


def test_results_export_lists_attempts(client, login, make, world):
    round_, student = world
    attempt = start(round_, student)
    services.submit_attempt(attempt=attempt, now=T0)
    login(make.organizer())

    response = client.get(f"/manage/quiz/rounds/{round_.id}/results.xlsx")

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Họ và tên"
    assert rows[1][0] == "Phạm Thu Trang"


def test_item_statistics_flags_hard_items(ctx, quiz, make, frozen):
    from contests.quiz import exports

    round_ = quiz.round(count=3)
    for _ in range(4):
        attempt = start(round_, make.student())
        services.submit_attempt(attempt=attempt, now=T0)

    stats = exports.item_statistics(round_)

    assert [(s["attempts"], s["facility"], s["flagged"]) for s in stats] == [(4, 0.0, True)] * 3


def test_snapshot_button_recomputes(client, login, make, world):
    round_, student = world
    services.submit_attempt(attempt=start(round_, student), now=T0)
    login(make.organizer())

    response = client.post(f"/manage/quiz/rounds/{round_.id}/snapshot")

    assert response.status_code == 302
    assert leaderboards.latest_snapshot(round_id=round_.id).entrants == 1


def test_campaign_page_lists_quiz_contest(client, quiz, db):
    contest = quiz.contest()
    slug = db.session.execute(
        sa.text("select slug from campaign where id = :id"), {"id": contest.campaign_id}
    ).scalar()

    body = client.get(f"/campaigns/{slug}").get_data(as_text=True)

    assert contest.title in body
    assert Attempt is not None and SchoolLevel is not None


def test_contest_leaderboard_after_release(client, world, frozen):
    round_, student = world
    services.submit_attempt(attempt=start(round_, student), now=T0)
    leaderboards.snapshot_contest(contest=round_.contest, now=T0)
    frozen.shift(timedelta(days=2))

    response = client.get(f"/quiz/contests/{round_.contest_id}/leaderboard?scope=school")

    assert response.status_code == 200
    assert student.school.name in response.get_data(as_text=True)


def test_contest_leaderboard_before_release_forbidden(client, login, world):
    _round, student = world
    login(student)

    assert client.get(f"/quiz/contests/{_round.contest_id}/leaderboard").status_code == 403


def test_create_category(client, login, make, frozen):
    login(make.organizer())

    response = client.post("/manage/quiz/categories", data={"name": "Quyền trẻ em"})

    from contests.quiz.models import QuestionCategory

    category = db.session.scalar(
        sa.select(QuestionCategory).where(QuestionCategory.name == "Quyền trẻ em")
    )
    assert response.status_code == 302
    assert category.code == "quyen_tre_em"


def test_create_category_forbidden_for_student(client, login, world):
    _round, student = world
    login(student)

    assert client.post("/manage/quiz/categories", data={"name": "X"}).status_code == 403


@pytest.mark.parametrize(
    ("locale", "started"),
    # T0 is 01:00 UTC on 30 November 2026: 08:00 in Ho Chi Minh City
    [("vi", "08:00:00 30/11/2026"), ("en", "Nov 30, 2026, 08:00:00")],
)
def test_results_export_writes_times_the_readers_way(client, login, make, world, locale, started):
    round_, student = world
    services.submit_attempt(attempt=start(round_, student), now=T0)
    organizer = make.organizer()
    organizer.locale = locale
    login(organizer)

    response = client.get(f"/manage/quiz/rounds/{round_.id}/results.xlsx")

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][9:11] == (started, started)
