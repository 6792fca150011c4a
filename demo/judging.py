"""The demo's judging: the writing contest's closed round half judged, and last school year's
contest judged, published and ready for certificates.

- Closed round of the demo contest: rubric, five active judges and a reserve (judge6), judge1
  as chief judge, the plan committed a day after closing, judges part-way through their queues
  (judge1 done, judge5 barely started), and two disagreements: one entry third-marked whose
  three marks are still too far apart (waiting for the chief judge), one entry in the reconcile
  band (the two judges are looking again).
- Last year's contest (one round of twelve entries, student1 among the authors): fully judged
  and published, so student1 sees their marks and downloads a certificate.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from contests.essay import services as essay_services
from contests.essay.models import Entry, EntryStatus, EssayContest, EssayRound
from contests.judging import services
from contests.judging.models import MARKING, Assignment, AssignmentKind
from core.accounts.models import Role, RoleAssignment, User
from core.extensions import db
from demo import essay as essay_demo

EARLIER_TITLE = (
    "Cuộc thi viết \u201cNhững hành động đẹp trên không gian mạng\u201d — năm học 2025–2026"
)
RUBRIC = [
    {
        "name": "Nội dung câu chuyện",
        "guidance": "Hành động đẹp được kể cụ thể, chân thực; có tình huống, nhân vật, diễn biến.",
        "max_points": "4",
    },
    {
        "name": "Ý nghĩa, bài học",
        "guidance": "Rút ra được bài học về ứng xử văn minh, an toàn trên mạng; liên hệ bản thân.",
        "max_points": "3",
    },
    {
        "name": "Diễn đạt, trình bày",
        "guidance": "Bố cục rõ ràng, câu văn trong sáng, đúng chính tả; có cảm xúc.",
        "max_points": "3",
    },
]
#: Marks per criterion by the essay's quality (in the demo essays file).
BASE = {
    "strong": ["3.5", "2.75", "2.5"],
    "good": ["3", "2.5", "2.25"],
    "average": ["2.5", "2", "1.75"],
    "weak": ["1.5", "1.25", "1.25"],
}
COMMENTS = {
    "strong": "Câu chuyện cảm động, bài học rõ ràng. Em viết rất có cảm xúc.",
    "good": "Bài viết chân thành, bố cục tốt. Em có thể kể cụ thể hơn ở phần diễn biến.",
    "average": "Ý tưởng hay nhưng còn sơ sài; em nên kể chi tiết hơn và soát lỗi chính tả.",
    "weak": "Bài còn ngắn và chung chung; em hãy kể một việc cụ thể mà em đã làm.",
}
#: Share of each judge's queue marked so far (judge1 … judge5).
DONE_SHARE = [1.0, 0.8, 0.6, 0.4, 0.15]


def _user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == username))


def _marks(quality: str, judge_id: int, entry_id: int) -> list[str]:
    """The quality's marks, a quarter point higher on the first criterion for some judges
    (close enough that the mean stands: the rule also applies to each criterion)."""
    values = list(BASE[quality])
    if (judge_id + entry_id) % 2:
        values[0] = str(float(values[0]) + 0.25)
    return values


def _fill(sheet: Assignment, values: list[str], comment: str, now: datetime) -> None:
    rubric = services.current_rubric(sheet.round_id)
    services.save_marks(
        assignment=sheet,
        marks=dict(zip([c.id for c in rubric.criteria], values, strict=True)),
        comment=comment,
        seq=1 + sheet.seq,
        now=now,
    )
    services.submit_marks(assignment=sheet, now=now)


def _open_sheets(entry_id: int) -> list[Assignment]:
    return list(
        db.session.scalars(
            sa.select(Assignment)
            .where(Assignment.entry_id == entry_id, Assignment.status.in_(MARKING))
            .order_by(Assignment.id)
        )
    )


def _set_up(round_: EssayRound, organizer: User, judges: list[User], reserve: User, at: datetime):
    services.save_rubric(actor=organizer, round_=round_, criteria=RUBRIC, now=at)
    setup = services.setup_for(round_)
    setup.days_to_mark = 7
    services.set_pool(
        actor=organizer,
        round_=round_,
        active=[j.id for j in judges],
        reserve=[reserve.id],
        chief_judge_id=judges[0].id,
        now=at,
    )
    services.run_assignment(actor=organizer, round_=round_, seed=round_.id * 40 + 1, now=at)


def seed_judging(*, now: datetime) -> None:
    """Judge the demo writing contest part-way, and publish last year's (idempotent)."""
    contest = db.session.scalar(
        sa.select(EssayContest).where(EssayContest.title == essay_demo.TITLE)
    )
    organizer = _user("organizer")
    judges = [_user(f"judge{n}") for n in range(1, 7)]
    if contest is None or organizer is None or None in judges:
        return
    now = now.replace(second=0, microsecond=0)
    closed = next((r for r in contest.rounds if r.is_closed(now)), None)
    if closed is None or services.find_setup(closed.id) is not None:
        return
    quality = _qualities(closed)
    _judge_closed_round(closed, organizer, judges, quality, now)
    _publish_last_year(contest.campaign_id, organizer, judges, now)


def _qualities(round_: EssayRound) -> dict[int, str]:
    by_title = {e["title"]: e["quality"] for e in essay_demo.load_demo_essays()}
    return {
        e.id: by_title.get(e.title, "average") for e in essay_services.submitted_entries(round_)
    }


def _judge_closed_round(closed, organizer, judges, quality, now) -> None:
    start = closed.closes_at + timedelta(hours=2)
    _set_up(closed, organizer, judges[:5], judges[5], start)
    entries = sorted(quality)
    # Two planted disagreements on entries whose sheets nobody has touched yet.
    wide, close = entries[3], entries[11]
    strong = ["3.5", "2.75", "2.5"]
    first, second = _open_sheets(wide)
    _fill(first, strong, COMMENTS["strong"], start + timedelta(hours=20))
    _fill(second, BASE["weak"], COMMENTS["weak"], start + timedelta(hours=22))
    third = _open_sheets(wide)
    if third:
        _fill(third[0], ["2.5", "2", "2"], COMMENTS["average"], start + timedelta(days=1, hours=3))
    first, second = _open_sheets(close)
    _fill(first, ["3", "2.5", "2.25"], COMMENTS["good"], start + timedelta(hours=21))
    _fill(second, strong, COMMENTS["strong"], start + timedelta(hours=23))
    # Everyone else works through part of their queue.
    for index, judge in enumerate(judges[:5]):
        queue = db.session.scalars(
            sa.select(Assignment)
            .where(
                Assignment.round_id == closed.id,
                Assignment.judge_id == judge.id,
                Assignment.kind == AssignmentKind.FIRST,
            )
            .order_by(Assignment.position)
        ).all()
        todo = round(len(queue) * DONE_SHARE[index])
        for position, sheet in enumerate(queue[:todo]):
            if sheet.status.value != "open" or sheet.entry_id in (wide, close):
                continue
            grade = quality[sheet.entry_id]
            at = start + timedelta(hours=3 + position * 2, minutes=judge.id % 50)
            _fill(sheet, _marks(grade, judge.id, sheet.entry_id), COMMENTS[grade], min(at, now))


def _last_year_authors() -> list[User]:
    """student1 and eleven students of other schools (TH and THCS), one per school first."""
    student1 = _user("student1")
    rows = db.session.scalars(
        sa.select(User)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(
            RoleAssignment.role == Role.STUDENT,
            User.username != "student1",
            User.class_id.is_not(None),
        )
        .order_by(User.id)
    ).all()
    seen, picked = {student1.school_id}, [student1]
    for user in rows:
        if user.school_id not in seen:
            seen.add(user.school_id)
            picked.append(user)
    rest = [u for u in rows[::7] if u not in picked]
    return (picked + rest)[:12]


def _publish_last_year(campaign_id: int, organizer: User, judges: list[User], now) -> None:
    if db.session.scalar(sa.select(EssayContest.id).where(EssayContest.title == EARLIER_TITLE)):
        return
    opens = now - timedelta(days=330)
    contest = EssayContest(
        campaign_id=campaign_id,
        title=EARLIER_TITLE,
        description="Cuộc thi năm học trước; kết quả đã công bố.",
        created_at=opens - timedelta(days=10),
    )
    round_ = EssayRound(
        contest=contest,
        stage=1,
        name="Vòng huyện",
        theme="Hành động đẹp trên không gian mạng",
        prompt=essay_demo.PROMPT,
        opens_at=opens,
        closes_at=opens + timedelta(days=30),
        min_words=150,
        max_words=1000,
        max_photos=2,
        school_levels=["TH", "THCS"],
        results_at=opens + timedelta(days=60),
        # Already checked when it closed: its texts are the demo essays, reused.
        similarity_checked_at=opens + timedelta(days=30, minutes=10),
    )
    db.session.add_all([contest, round_])
    db.session.flush()
    essays = essay_demo.load_demo_essays()
    chosen = [e for e in essays if e["quality"] == "strong"][:2] + [
        e for e in essays if e["quality"] != "strong"
    ][:10]
    quality = {}
    for index, (essay, author) in enumerate(zip(chosen, _last_year_authors(), strict=False)):
        submitted = opens + timedelta(days=5 + index, hours=3)
        entry = Entry(
            round_id=round_.id,
            student_id=author.id,
            school_id=author.school_id,
            class_id=author.class_id,
            code=essay_services.new_code(),
            status=EntryStatus.SUBMITTED,
            title=essay["title"],
            body=essay["body"],
            word_count=essay_services.count_words(essay["body"]),
            seq=1,
            saved_at=submitted,
            submitted_at=submitted,
            consent_student=index % 2 == 0,
            consent_parent=index % 2 == 0,
            created_at=submitted - timedelta(days=1),
        )
        db.session.add(entry)
        db.session.flush()
        quality[entry.id] = essay["quality"]
    start = round_.closes_at + timedelta(days=1)
    _set_up(round_, organizer, judges[:4], judges[4], start)
    sheets = db.session.scalars(
        sa.select(Assignment).where(Assignment.round_id == round_.id).order_by(Assignment.id)
    ).all()
    for index, sheet in enumerate(sheets):
        grade = quality[sheet.entry_id]
        _fill(sheet, BASE[grade], COMMENTS[grade], start + timedelta(days=1, minutes=index * 17))
    services.publish_results(actor=organizer, round_=round_, now=start + timedelta(days=14))
