"""What a document is about (a movement, a school's movement, a contest, an inspection), the
kinds of document, and whether the data behind one is final."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from campaign.greennet import services as greennet
from campaign.greennet.models import Movement
from campaign.inspections.models import Inspection, InspectionStatus
from contests.essay.models import EssayContest, EssayRound
from contests.judging.models import JudgingRound
from contests.quiz.models import LeaderboardSnapshot, QuizContest
from core.errors import NotFound, ValidationFailed
from core.extensions import db
from core.schools.models import School


@dataclass(frozen=True)
class Kind:
    slug: str
    #: The kind of document as it is printed: "BÁO CÁO", "QUYẾT ĐỊNH"…
    title: str
    #: Its abbreviation in the number: "BC", "QĐ", "TTr", "BB", "TB".
    abbreviation: str
    #: What it may be about: "movement", "school", "contest", "inspection".
    subjects: tuple[str, ...]


KINDS = {
    k.slug: k
    for k in (
        Kind("bao-cao-so-ket", "BÁO CÁO", "BC", ("movement", "school")),
        Kind("bao-cao-tong-ket", "BÁO CÁO", "BC", ("movement", "school")),
        Kind("quyet-dinh-khen-thuong", "QUYẾT ĐỊNH", "QĐ", ("movement", "contest")),
        Kind("to-trinh-khen-thuong", "TỜ TRÌNH", "TTr", ("movement", "contest")),
        Kind("bien-ban-kiem-tra", "BIÊN BẢN", "BB", ("inspection",)),
        Kind("thong-bao-ket-qua", "THÔNG BÁO", "TB", ("contest",)),
    )
}
MILESTONES = greennet.MILESTONE_KEYS  # "so_ket" / "tong_ket" → the milestone kind
REPORT_MILESTONE = {"bao-cao-so-ket": "so_ket", "bao-cao-tong-ket": "tong_ket"}


@dataclass
class Subject:
    kind: Kind
    what: str
    movement: Movement | None = None
    school: School | None = None
    milestone: str = "tong_ket"
    #: An essay contest (``contest_id``) …
    contest: EssayContest | None = None
    inspection: Inspection | None = None
    #: … or a quiz contest (``quiz_contest_id``): the two are numbered apart.
    quiz_contest: QuizContest | None = None

    @property
    def any_contest(self) -> EssayContest | QuizContest | None:
        return self.contest or self.quiz_contest

    @property
    def scope(self) -> str:
        """The key a draft is kept under."""
        if self.what == "inspection":
            return f"inspection:{self.inspection.id}"
        if self.what == "contest":
            if self.quiz_contest is not None:
                return f"quiz_contest:{self.quiz_contest.id}"
            return f"contest:{self.contest.id}"
        school = f":school:{self.school.id}" if self.school else ""
        return f"movement:{self.movement.id}{school}:{self.milestone}"


def kind_or_404(slug: str) -> Kind:
    """The kind named by a slug; unknown kinds answer 404."""
    if slug not in KINDS:
        raise NotFound(_("There is no such kind of document."))
    return KINDS[slug]


def _get(model, ident):
    found = db.session.get(model, ident) if ident is not None else None
    if found is None:
        raise NotFound()
    return found


def resolve(
    kind: Kind,
    *,
    movement_id: int | None = None,
    school_id: int | None = None,
    milestone: str | None = None,
    contest_id: int | None = None,
    inspection_id: int | None = None,
    quiz_contest_id: int | None = None,
) -> Subject:
    """Look up what the document is about; exactly one of movement, contest, inspection.

    Essay and quiz contests are kept in two tables numbered apart, so a quiz contest is named
    by ``quiz_contest_id``; ``contest_id`` always means an essay contest.
    """
    given = [
        n
        for n, v in (
            ("movement", movement_id),
            ("contest", contest_id),
            ("inspection", inspection_id),
            ("quiz_contest", quiz_contest_id),
        )
        if v is not None
    ]
    if len(given) != 1:
        raise ValidationFailed(_("Name one movement, contest or inspection."), field="movement_id")
    what = "contest" if given[0] == "quiz_contest" else given[0]
    if what == "movement" and school_id is not None:
        what = "school"
    if what not in kind.subjects:
        raise ValidationFailed(_("This kind of document is not about that."), field=given[0])
    if milestone is not None and milestone not in MILESTONES:
        raise ValidationFailed(_("Choose so_ket or tong_ket."), field="milestone")
    if kind.slug in REPORT_MILESTONE:
        if milestone not in (None, REPORT_MILESTONE[kind.slug]):
            raise ValidationFailed(_("The milestone does not match the report."), field="milestone")
        milestone = REPORT_MILESTONE[kind.slug]
    if what == "contest" and quiz_contest_id is not None:
        return Subject(kind, what, quiz_contest=_get(QuizContest, quiz_contest_id))
    if what == "contest":
        return Subject(kind, what, contest=_get(EssayContest, contest_id))
    if what == "inspection":
        inspection = _get(Inspection, inspection_id)
        return Subject(
            kind,
            what,
            inspection=inspection,
            movement=inspection.movement,
            school=inspection.school,
        )
    return Subject(
        kind,
        what,
        movement=_get(Movement, movement_id),
        school=_get(School, school_id) if what == "school" else None,
        milestone=milestone or "tong_ket",
    )


def milestone_locked(movement: Movement, milestone: str, school: School | None = None) -> bool:
    """True when the milestone's figures are locked records: for one school, or for every school.

    Asks greennet, which owns the lock (``is_locked`` / ``locked_results``).
    """
    kind = MILESTONES[milestone]
    if school is not None:
        return greennet.is_locked(movement, school, kind)
    locked = {sid for sid, by_kind in greennet.locked_results(movement).items() if kind in by_kind}
    schools = set(db.session.scalars(sa.select(School.id)))
    return bool(schools) and schools <= locked


def contest_rounds(contest: EssayContest) -> list[EssayRound]:
    """The contest's rounds, in order."""
    return list(
        db.session.scalars(
            sa.select(EssayRound).where(EssayRound.contest_id == contest.id).order_by(EssayRound.id)
        )
    )


def final_round(contest: EssayContest) -> EssayRound | None:
    """The contest's last round, whose published results are its final results."""
    rounds = contest_rounds(contest)
    return rounds[-1] if rounds else None


def final_quiz_snapshot(contest: QuizContest) -> LeaderboardSnapshot | None:
    """The contest's newest ranking taken after its last round closed, if there is one."""
    return db.session.scalar(
        sa.select(LeaderboardSnapshot)
        .where(
            LeaderboardSnapshot.contest_id == contest.id,
            LeaderboardSnapshot.round_id.is_(None),
            LeaderboardSnapshot.final.is_(True),
        )
        .order_by(LeaderboardSnapshot.id.desc())
        .limit(1)
    )


def is_final(subject: Subject) -> bool:
    """Whether the data behind a document is final, so that it may be issued."""
    if subject.what == "inspection":
        return subject.inspection.status == InspectionStatus.CONCLUDED
    if subject.what == "contest" and subject.quiz_contest is not None:
        return final_quiz_snapshot(subject.quiz_contest) is not None
    if subject.what == "contest":
        last = final_round(subject.contest)
        if last is None:
            return False
        published = db.session.scalar(
            sa.select(JudgingRound.published_at).where(JudgingRound.round_id == last.id)
        )
        return published is not None
    return milestone_locked(subject.movement, subject.milestone, subject.school)
