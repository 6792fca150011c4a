"""The writing contest's rules: rounds, drafts that never go backwards, guarded submits, photos.

Saving a draft carries the browser's sequence number: the row is updated only where the stored
``seq`` is smaller (``UPDATE … WHERE seq < :seq``), so a retried or reordered save never
overwrites newer text. Submitting is a guarded state transition (``UPDATE … WHERE status IN
('draft', 'withdrawn')``): a double click or a retry gets the same receipt. After the deadline
(server time) drafts freeze and submits are refused: nothing half-written is accepted.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from contests.essay.models import (
    EDITABLE,
    Entry,
    EntryPhoto,
    EntryStatus,
    EntryVersion,
    EssayContest,
    EssayRound,
    ReferenceEssay,
)
from core import audit
from core.accounts.models import Role, User
from core.accounts.services import students_of
from core.clock import utcnow
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.schools.models import School, SchoolClass
from core.storage import storage
from core.text import clean_text
from core.uploads import clean_image
from core.web import notify

#: Server-side caps: the body of an essay and its title, in characters.
MAX_BODY_CHARS = 30_000
MAX_TITLE_CHARS = 200
MAX_CAPTION_CHARS = 300
MAX_PHOTO_BYTES = 5 * 1024 * 1024
#: How many earlier states of a draft are kept for undo.
KEEP_VERSIONS = 20
#: Saves closer together than this update the newest kept version instead of adding one.
VERSION_EVERY = timedelta(seconds=60)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class RoundClosed(Conflict):
    """The round is not open now: drafts are frozen and submits refused."""

    code = "round_closed"


class EntryLocked(Conflict):
    """The entry is submitted or disqualified and cannot be edited."""

    code = "entry_locked"


@dataclass(frozen=True)
class SaveResult:
    entry: Entry
    #: False when the save was older than what is stored (nothing changed).
    accepted: bool


@dataclass(frozen=True)
class Receipt:
    """What a student keeps after submitting: the entry code and the server time."""

    code: str
    submitted_at: datetime


# --- text ----------------------------------------------------------------------------------

_WORD = re.compile(r"\S+")


def count_words(text: str) -> int:
    """Count words the way Vietnamese contests do: every syllable between spaces."""
    return len(_WORD.findall(text or ""))


def paragraphs(text: str) -> list[str]:
    """Split plain text into paragraphs for display (templates escape each one)."""
    return [p.strip() for p in re.split(r"\n\s*\n|\n", text or "") if p.strip()]


# --- contests and rounds ----------------------------------------------------------------------


def create_contest(
    *, actor, campaign_id: int, title: str, description: str = "", now: datetime | None = None
) -> EssayContest:
    """Create a writing contest on a campaign."""
    contest = EssayContest(
        campaign_id=campaign_id,
        title=clean_text(title, limit=200, field="title", single_line=True),
        description=clean_text(description, limit=20_000, field="description"),
        created_at=now or utcnow(),
    )
    if not contest.title:
        raise ValidationFailed(_("Please give the contest a title."), field="title")
    db.session.add(contest)
    db.session.flush()
    audit.record(actor=actor, action="essay.contest_create", obj=contest, now=now)
    return contest


ROUND_FIELDS = (
    "stage",
    "name",
    "theme",
    "prompt",
    "opens_at",
    "closes_at",
    "min_words",
    "max_words",
    "max_photos",
    "school_levels",
    "grades",
    "allow_withdraw",
    "results_at",
)


def save_round(
    *, actor, contest: EssayContest, round_: EssayRound | None = None, now=None, **values
) -> EssayRound:
    """Create or change a round after checking its window, word limits and photo count."""
    if values["opens_at"] >= values["closes_at"]:
        raise ValidationFailed(_("The round must close after it opens."), field="closes_at")
    if values["min_words"] < 0 or values["max_words"] < max(values["min_words"], 1):
        raise ValidationFailed(
            _("The maximum number of words must be at least the minimum."), field="max_words"
        )
    if not 0 <= values["max_photos"] <= 3:
        raise ValidationFailed(_("A round allows from 0 to 3 photos."), field="max_photos")
    before = {k: _jsonable(getattr(round_, k)) for k in ROUND_FIELDS} if round_ else None
    if round_ is None:
        round_ = EssayRound(contest=contest)
        db.session.add(round_)
    for key in ROUND_FIELDS:
        setattr(round_, key, values[key])
    db.session.flush()
    audit.record(
        actor=actor,
        action="essay.round_save",
        obj=round_,
        before=before,
        after={k: _jsonable(getattr(round_, k)) for k in ROUND_FIELDS},
        now=now,
    )
    return round_


def _jsonable(value):
    return value.isoformat() if isinstance(value, datetime) else value


def open_rounds_for(student: User, *, now: datetime | None = None) -> list[EssayRound]:
    """Rounds open now that the student may enter."""
    now = now or utcnow()
    rounds = db.session.scalars(
        sa.select(EssayRound)
        .where(EssayRound.opens_at <= now, EssayRound.closes_at > now)
        .order_by(EssayRound.closes_at)
    )
    return [r for r in rounds if r.admits(student)]


# --- entries ----------------------------------------------------------------------------------


def new_code() -> str:
    """Return a fresh random entry code such as "BV-7K3Q9X"."""
    while True:
        code = "BV-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        if not db.session.scalar(sa.select(Entry.id).where(Entry.code == code)):
            return code


def find_entry(*, round_: EssayRound, student: User) -> Entry | None:
    return db.session.scalar(
        sa.select(Entry).where(Entry.round_id == round_.id, Entry.student_id == student.id)
    )


def start_entry(*, round_: EssayRound, student: User, now: datetime | None = None) -> Entry:
    """Return the student's entry in the round, creating an empty draft the first time."""
    now = now or utcnow()
    entry = find_entry(round_=round_, student=student)
    if entry is not None:
        return entry
    if not student.has_role(Role.STUDENT) or not round_.admits(student):
        raise Forbidden(_("This round is not open to your school or grade."))
    _require_open(round_, now)
    entry = Entry(
        round=round_,
        student_id=student.id,
        school_id=student.school_id,
        class_id=student.class_id,
        code=new_code(),
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except sa.exc.IntegrityError:
        # Two first saves raced (two tabs): the other one made the entry.
        entry = find_entry(round_=round_, student=student)
        if entry is None:
            raise
    return entry


def _require_open(round_: EssayRound, now: datetime) -> None:
    if now < round_.opens_at:
        raise RoundClosed(_("This round has not opened yet."))
    if now >= round_.closes_at:
        raise RoundClosed(_("The round closed at its deadline; entries can no longer be changed."))


def _require_editable(entry: Entry) -> None:
    if entry.status == EntryStatus.SUBMITTED:
        raise EntryLocked(_("This entry has been submitted; withdraw it first to change it."))
    if entry.status == EntryStatus.DISQUALIFIED:
        raise EntryLocked(_("This entry has been disqualified."))


def save_draft(
    *, entry: Entry, title: str, body: str, seq: int, now: datetime | None = None
) -> SaveResult:
    """Save the draft's text; a save older than the stored one (by ``seq``) changes nothing."""
    now = now or utcnow()
    _require_open(entry.round, now)
    _require_editable(entry)
    title = clean_text(title, limit=MAX_TITLE_CHARS, field="title", single_line=True)
    body = clean_text(body, limit=MAX_BODY_CHARS, field="body")
    if seq <= entry.seq:
        return SaveResult(entry, accepted=False)
    words = count_words(body)
    result = db.session.execute(
        sa.update(Entry)
        .where(Entry.id == entry.id, Entry.seq < seq, Entry.status.in_(EDITABLE))
        .values(title=title, body=body, word_count=words, seq=seq, saved_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(entry)
    if result.rowcount == 0:
        _require_editable(entry)
        return SaveResult(entry, accepted=False)
    _keep_version(entry, now)
    return SaveResult(entry, accepted=True)


def _keep_version(entry: Entry, now: datetime) -> None:
    """Keep the draft's state; a burst of saves shares one version unless text was wiped."""
    latest = db.session.scalar(
        sa.select(EntryVersion)
        .where(EntryVersion.entry_id == entry.id)
        .order_by(EntryVersion.seq.desc())
        .limit(1)
    )
    wiped = latest is not None and entry.word_count < latest.word_count // 2
    if latest is not None and not wiped and now - latest.saved_at < VERSION_EVERY:
        latest.seq, latest.title, latest.body = entry.seq, entry.title, entry.body
        latest.word_count, latest.saved_at = entry.word_count, now
    else:
        db.session.add(
            EntryVersion(
                entry_id=entry.id,
                seq=entry.seq,
                title=entry.title,
                body=entry.body,
                word_count=entry.word_count,
                saved_at=now,
            )
        )
    db.session.flush()
    cutoff = db.session.scalar(
        sa.select(EntryVersion.seq)
        .where(EntryVersion.entry_id == entry.id)
        .order_by(EntryVersion.seq.desc())
        .offset(KEEP_VERSIONS - 1)
        .limit(1)
    )
    if cutoff is not None:
        db.session.execute(
            sa.delete(EntryVersion)
            .where(EntryVersion.entry_id == entry.id, EntryVersion.seq < cutoff)
            .execution_options(synchronize_session="fetch")
        )


def list_versions(entry: Entry) -> list[EntryVersion]:
    """The kept states of the draft, newest first."""
    return list(
        db.session.scalars(
            sa.select(EntryVersion)
            .where(EntryVersion.entry_id == entry.id)
            .order_by(EntryVersion.seq.desc())
        )
    )


def set_consent(*, entry: Entry, student: bool, parent: bool) -> Entry:
    """Record whether the entry may be published with the author's name if it wins."""
    if entry.status == EntryStatus.DISQUALIFIED:
        raise EntryLocked(_("This entry has been disqualified."))
    entry.consent_student = bool(student)
    entry.consent_parent = bool(parent)
    db.session.flush()
    return entry


def submit_entry(*, entry: Entry, now: datetime | None = None) -> Receipt:
    """Submit the entry (guarded: a retry or a second click returns the same receipt)."""
    now = now or utcnow()
    if entry.status == EntryStatus.SUBMITTED:
        return Receipt(entry.code, entry.submitted_at)
    _require_editable(entry)
    round_ = entry.round
    _require_open(round_, now)
    if not entry.title.strip():
        raise ValidationFailed(_("Please give your entry a title."), field="title")
    if entry.word_count < round_.min_words:
        raise ValidationFailed(
            _(
                "Your entry has %(count)d words; this round needs at least %(min)d.",
                count=entry.word_count,
                min=round_.min_words,
            ),
            field="body",
        )
    if entry.word_count > round_.max_words:
        raise ValidationFailed(
            _(
                "Your entry has %(count)d words; this round allows at most %(max)d.",
                count=entry.word_count,
                max=round_.max_words,
            ),
            field="body",
        )
    result = db.session.execute(
        sa.update(Entry)
        .where(Entry.id == entry.id, Entry.status.in_(EDITABLE))
        .values(status=EntryStatus.SUBMITTED, submitted_at=now, withdrawn_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(entry)
    if result.rowcount == 0 and entry.status != EntryStatus.SUBMITTED:
        _require_editable(entry)
    return Receipt(entry.code, entry.submitted_at)


def withdraw_entry(*, entry: Entry, now: datetime | None = None) -> Entry:
    """Take a submitted entry back to editing (only where the round allows it, before closing)."""
    now = now or utcnow()
    if entry.status == EntryStatus.WITHDRAWN:
        return entry
    if not entry.round.allow_withdraw:
        raise Conflict(_("Entries in this round cannot be withdrawn once submitted."))
    _require_open(entry.round, now)
    if entry.status != EntryStatus.SUBMITTED:
        raise Conflict(_("Only a submitted entry can be withdrawn."))
    db.session.execute(
        sa.update(Entry)
        .where(Entry.id == entry.id, Entry.status == EntryStatus.SUBMITTED)
        .values(status=EntryStatus.WITHDRAWN, withdrawn_at=now, submitted_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(entry)
    return entry


def carry_entry(*, entry: Entry, to_round: EssayRound, now: datetime | None = None) -> Entry:
    """Copy an advancing entry into the next round as a submission (used by judging).

    The new entry has its own code (judges of the next round cannot link it to earlier marks),
    keeps the text and photos, and points back through ``carried_from_id``. Idempotent.
    """
    now = now or utcnow()
    existing = db.session.scalar(
        sa.select(Entry).where(Entry.round_id == to_round.id, Entry.student_id == entry.student_id)
    )
    if existing is not None:
        return existing
    if entry.status != EntryStatus.SUBMITTED:
        raise Conflict(_("Only a submitted entry can advance."))
    carried = Entry(
        round=to_round,
        student_id=entry.student_id,
        school_id=entry.school_id,
        class_id=entry.class_id,
        code=new_code(),
        status=EntryStatus.SUBMITTED,
        title=entry.title,
        body=entry.body,
        word_count=entry.word_count,
        seq=entry.seq,
        saved_at=now,
        submitted_at=now,
        consent_student=entry.consent_student,
        consent_parent=entry.consent_parent,
        carried_from_id=entry.id,
        created_at=now,
    )
    db.session.add(carried)
    for photo in entry.photos:
        data = storage().read(photo.storage_key)
        key = storage().save(
            data, prefix="essay", suffix="." + photo.storage_key.rsplit(".", 1)[-1]
        )
        carried.photos.append(
            EntryPhoto(
                storage_key=key,
                mimetype=photo.mimetype,
                width=photo.width,
                height=photo.height,
                caption=photo.caption,
                created_at=now,
            )
        )
    db.session.flush()
    return carried


# --- photos -----------------------------------------------------------------------------------


def upload_photo(
    *, entry: Entry, data: bytes, caption: str = "", now: datetime | None = None
) -> EntryPhoto:
    """Check, clean (EXIF stripped) and store a photo of the good deed."""
    now = now or utcnow()
    _require_open(entry.round, now)
    _require_editable(entry)
    caption = clean_text(caption, limit=MAX_CAPTION_CHARS, field="caption", single_line=True)
    if len(entry.photos) >= entry.round.max_photos:
        raise Conflict(
            _("This round allows at most %(n)d photos.", n=entry.round.max_photos), field="file"
        )
    image = clean_image(data, max_bytes=MAX_PHOTO_BYTES)
    key = storage().save(image.data, prefix="essay", suffix=image.suffix)
    photo = EntryPhoto(
        entry=entry,
        storage_key=key,
        mimetype=image.mimetype,
        width=image.width,
        height=image.height,
        caption=caption,
        created_at=now,
    )
    db.session.add(photo)
    db.session.flush()
    return photo


def delete_photo(*, photo: EntryPhoto, now: datetime | None = None) -> None:
    """Remove a photo from a draft (the file goes too)."""
    now = now or utcnow()
    _require_open(photo.entry.round, now)
    _require_editable(photo.entry)
    key = photo.storage_key
    photo.entry.photos.remove(photo)
    db.session.delete(photo)
    db.session.flush()
    storage().delete(key)


# --- organizers -------------------------------------------------------------------------------


def disqualify_entry(*, actor, entry: Entry, reason: str, now: datetime | None = None) -> Entry:
    """Disqualify an entry with a reason (audited)."""
    reason = clean_text(reason, limit=2000, field="reason")
    if not reason:
        raise ValidationFailed(_("Please give the reason."), field="reason")
    before = {"status": entry.status.value}
    entry.status = EntryStatus.DISQUALIFIED
    entry.disqualified_reason = reason
    db.session.flush()
    audit.record(
        actor=actor,
        action="essay.disqualify",
        obj=entry,
        before=before,
        after={"status": entry.status.value},
        reason=reason,
        now=now,
    )
    return entry


def add_reference(
    *, actor, contest: EssayContest, title: str, body: str, source: str = "", now=None
) -> ReferenceEssay:
    """Add a circulated model essay that entries are checked against."""
    body = clean_text(body, limit=MAX_BODY_CHARS * 2, field="body")
    if count_words(body) < 20:
        raise ValidationFailed(_("Paste the whole model essay (at least 20 words)."), field="body")
    reference = ReferenceEssay(
        contest_id=contest.id,
        title=clean_text(title, limit=200, field="title", single_line=True) or "—",
        body=body,
        source=clean_text(source, limit=300, field="source", single_line=True),
        uploaded_by_id=getattr(actor, "id", None),
        created_at=now or utcnow(),
    )
    db.session.add(reference)
    db.session.flush()
    audit.record(actor=actor, action="essay.reference_add", obj=reference, now=now)
    return reference


@dataclass(frozen=True)
class SchoolCount:
    school_id: int
    school_name: str
    drafts: int
    submitted: int


def counts_by_school(round_: EssayRound) -> list[SchoolCount]:
    """Live counts of drafts and submissions per school in a round (one query)."""
    rows = db.session.execute(
        sa.select(
            School.id,
            School.name,
            sa.func.count().filter(Entry.status.in_(EDITABLE)),
            sa.func.count().filter(Entry.status == EntryStatus.SUBMITTED),
        )
        .join(Entry, Entry.school_id == School.id)
        .where(Entry.round_id == round_.id)
        .group_by(School.id, School.name)
        .order_by(School.name)
    )
    return [SchoolCount(*row) for row in rows]


def submitted_entries(round_: EssayRound) -> list[Entry]:
    """The round's submitted entries by code, photos loaded (what judging works on)."""
    return list(
        db.session.scalars(
            sa.select(Entry)
            .where(Entry.round_id == round_.id, Entry.status == EntryStatus.SUBMITTED)
            .options(sa.orm.selectinload(Entry.photos))
            .order_by(Entry.code)
        )
    )


def entries_by_school(*, since: datetime, until: datetime) -> dict[int, int]:
    """Submitted entries per school, submitted in ``[since, until)`` (for the campaign package).

    Withdrawn and disqualified entries are not counted; nor are drafts.
    """
    rows = db.session.execute(
        sa.select(Entry.school_id, sa.func.count())
        .where(
            Entry.status == EntryStatus.SUBMITTED,
            Entry.submitted_at >= since,
            Entry.submitted_at < until,
            Entry.school_id.is_not(None),
        )
        .group_by(Entry.school_id)
    )
    return {school_id: count for school_id, count in rows}


@dataclass(frozen=True)
class StudentProgress:
    """What a coordinator sees of a student: the status and time, never the text."""

    student_id: int
    full_name: str
    class_name: str
    status: str | None
    submitted_at: datetime | None


def school_progress(*, round_: EssayRound, school: School) -> list[StudentProgress]:
    """Every student of the school and whether they have a draft or a submission in the round."""
    rows = db.session.execute(
        sa.select(User.id, User.full_name, SchoolClass.name, Entry.status, Entry.submitted_at)
        .outerjoin(SchoolClass, SchoolClass.id == User.class_id)
        .outerjoin(Entry, sa.and_(Entry.student_id == User.id, Entry.round_id == round_.id))
        .where(User.school_id == school.id, User.is_active_student)
        .order_by(SchoolClass.name, User.full_name)
    )
    return [
        StudentProgress(uid, name, class_name or "", status.value if status else None, at)
        for uid, name, class_name, status, at in rows
    ]


def get_round(round_id: int) -> EssayRound:
    round_ = db.session.get(EssayRound, round_id)
    if round_ is None:
        raise NotFound()
    return round_


def get_contest(contest_id: int) -> EssayContest:
    contest = db.session.get(EssayContest, contest_id)
    if contest is None:
        raise NotFound()
    return contest


# --- announcements --------------------------------------------------------------------------------

#: A round is announced within this long after it opens (the job runs every few minutes; each
#: student is told once, by a dedupe key per round).
ANNOUNCE_WITHIN = timedelta(minutes=15)


def eligible_student_ids(round_: EssayRound) -> sa.Select:
    """Ids of the active students the round's school levels and grades admit."""
    return students_of(sa.select(User.id), levels=round_.school_levels, grades=round_.grades)


def announce(*, now: datetime) -> int:
    """Tell eligible students that a writing round has opened (once each)."""
    opened = db.session.scalars(
        sa.select(EssayRound).where(
            EssayRound.opens_at > now - ANNOUNCE_WITHIN,
            EssayRound.opens_at <= now,
            EssayRound.closes_at > now,
        )
    ).all()
    return sum(
        notify(
            user_ids=db.session.scalars(eligible_student_ids(round_)).all(),
            kind="round_opened",
            params={"title": f"{round_.contest.title} — {round_.name}"},
            endpoint="essay.write",
            values={"round_id": round_.id},
            dedupe_key=f"essay-open:{round_.id}",
            now=now,
        )
        for round_ in opened
    )
