"""A student's entry: drafts that never go backwards, guarded submits, versions, carrying on.

Saving a draft carries the browser's sequence number: the row is updated only where the stored
``seq`` is smaller (``UPDATE … WHERE seq < :seq``), so a retried or reordered save never
overwrites newer text. Submitting is a guarded state transition (``UPDATE … WHERE status IN
('draft', 'withdrawn')``): a double click or a retry gets the same receipt. After the deadline
(server time) drafts freeze and submits are refused: nothing half-written is accepted. A save or
submit in flight at the close still lands within the grace quiz answers get
(``ESSAY_GRACE_SECONDS``, by default the quiz's 30 s); nothing else does (no new entry, no
withdrawal, no photo).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from contests.essay.models import (
    EDITABLE,
    Entry,
    EntryPhoto,
    EntryStatus,
    EntryVersion,
    EssayRound,
)
from contests.essay.services.text import clean_text, count_words
from core.accounts.models import Role, User
from core.clock import utcnow
from core.errors import Conflict, Forbidden, ValidationFailed
from core.extensions import db
from core.storage import storage

#: Server-side caps: the body of an essay and its title, in characters.
MAX_BODY_CHARS = 30_000


MAX_TITLE_CHARS = 200


#: How many earlier states of a draft are kept for undo.
KEEP_VERSIONS = 20


#: Saves closer together than this update the newest kept version instead of adding one.
VERSION_EVERY = timedelta(seconds=60)


CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


#: The latency allowance after the close for a save or submit in flight (as quiz answers get).
DEFAULT_GRACE_SECONDS = 30


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
    require_open(round_, now)
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


def grace() -> timedelta:
    """How long after the close a save or submit in flight is still accepted."""
    config = current_app.config
    seconds = config.get("ESSAY_GRACE_SECONDS", config.get("QUIZ_GRACE_SECONDS"))
    return timedelta(seconds=DEFAULT_GRACE_SECONDS if seconds is None else seconds)


def require_open(round_: EssayRound, now: datetime, *, in_flight: bool = False) -> None:
    """Refuse any change outside the round's open hours (server time).

    ``in_flight``: a save or submit, which gets the grace after the close.
    """
    if now < round_.opens_at:
        raise RoundClosed(_("This round has not opened yet."))
    last = round_.closes_at + grace() if in_flight else round_.closes_at - timedelta.resolution
    if now > last:
        raise RoundClosed(_("The round closed at its deadline; entries can no longer be changed."))


def require_editable(entry: Entry) -> None:
    """Refuse any change to an entry that is submitted or disqualified."""
    if entry.status == EntryStatus.SUBMITTED:
        raise EntryLocked(_("This entry has been submitted; withdraw it first to change it."))
    if entry.status == EntryStatus.DISQUALIFIED:
        raise EntryLocked(_("This entry has been disqualified."))


def save_draft(
    *, entry: Entry, title: str, body: str, seq: int, now: datetime | None = None
) -> SaveResult:
    """Save the draft's text; a save older than the stored one (by ``seq``) changes nothing."""
    now = now or utcnow()
    require_open(entry.round, now, in_flight=True)
    require_editable(entry)
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
        require_editable(entry)
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
    require_editable(entry)
    round_ = entry.round
    require_open(round_, now, in_flight=True)
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
        require_editable(entry)
    return Receipt(entry.code, entry.submitted_at)


def withdraw_entry(*, entry: Entry, now: datetime | None = None) -> Entry:
    """Take a submitted entry back to editing (only where the round allows it, before closing)."""
    now = now or utcnow()
    if entry.status == EntryStatus.WITHDRAWN:
        return entry
    if not entry.round.allow_withdraw:
        raise Conflict(_("Entries in this round cannot be withdrawn once submitted."))
    require_open(entry.round, now)
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
