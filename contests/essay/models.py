"""Writing contests: contests on a campaign, rounds (stages), entries, kept drafts, photos,
reference model essays and similarity flags.

A round is open iff ``opens_at <= now < closes_at`` (worked out when read, never a stored flag).
An entry is one student's piece in one round; it is a draft until a guarded submit turns it into
a submission. Judges (``contests.judging``) reach entries only through their ``code`` and the
masked payload in ``contests.essay.anonymity``: never through the author.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.extensions import db


class EssayContest(db.Model):
    """A writing contest belonging to a campaign (by foreign key only)."""

    __tablename__ = "essay_contest"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    rounds: Mapped[list[EssayRound]] = relationship(
        back_populates="contest", order_by="(EssayRound.stage, EssayRound.opens_at)"
    )


class EssayRound(db.Model):
    """A submission round (a stage: school round → district final) with its own rules."""

    __tablename__ = "essay_round"
    __table_args__ = (
        sa.CheckConstraint("max_photos BETWEEN 0 AND 3", name="max_photos_range"),
        sa.CheckConstraint("opens_at < closes_at", name="window"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("essay_contest.id"), index=True)
    #: 1 for the first stage (e.g. school round), 2 for the next (district final), …
    stage: Mapped[int] = mapped_column(sa.SmallInteger, default=1)
    name: Mapped[str] = mapped_column(sa.String(200))
    theme: Mapped[str] = mapped_column(sa.String(300), default="")
    prompt: Mapped[str] = mapped_column(sa.Text, default="")
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    min_words: Mapped[int] = mapped_column(default=0)
    max_words: Mapped[int] = mapped_column(default=1500)
    max_photos: Mapped[int] = mapped_column(sa.SmallInteger, default=3)
    #: School levels allowed to enter ("TH", "THCS"); empty means every level.
    school_levels: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: Grades allowed to enter; empty means every grade.
    grades: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: Whether a submitted entry may be withdrawn (and resubmitted) before the deadline.
    allow_withdraw: Mapped[bool] = mapped_column(default=True)
    #: Whether every non-empty draft still unsubmitted at the close is submitted as it stands.
    submit_drafts_at_close: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: When students may see results (judging publishes them; this is the announced time).
    results_at: Mapped[datetime | None]
    #: Last similarity check of this round (the scheduler runs it once after closing).
    similarity_checked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    contest: Mapped[EssayContest] = relationship(back_populates="rounds")

    def is_open(self, now: datetime) -> bool:
        return self.opens_at <= now < self.closes_at

    def is_closed(self, now: datetime) -> bool:
        return now >= self.closes_at

    def admits(self, student) -> bool:
        """Tell whether the student's school level and grade may enter this round."""
        school = student.school
        if self.school_levels and (school is None or school.level.value not in self.school_levels):
            return False
        if self.grades:
            grade = student.school_class.grade if student.school_class else None
            if grade not in self.grades:
                return False
        return True


class EntryStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"
    DISQUALIFIED = "disqualified"


EDITABLE = (EntryStatus.DRAFT, EntryStatus.WITHDRAWN)


class Entry(db.Model):
    """One student's entry in one round; judges know it only by ``code``."""

    __tablename__ = "essay_entry"
    __table_args__ = (sa.UniqueConstraint("round_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("essay_round.id"), index=True)
    student_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    #: The author's school and class when the entry was started (counts, judging conflicts).
    school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("school.id"), index=True)
    class_id: Mapped[int | None] = mapped_column(sa.ForeignKey("school_class.id"))
    #: Random, unguessable, what judges and receipts show, e.g. "BV-7K3Q9X".
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    status: Mapped[EntryStatus] = mapped_column(
        sa.Enum(EntryStatus, native_enum=False, length=12), default=EntryStatus.DRAFT, index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    word_count: Mapped[int] = mapped_column(default=0)
    #: Sequence number of the last accepted save; an older save never overwrites a newer one.
    seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    saved_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    #: The student agrees the entry may be published with their name if it wins.
    consent_student: Mapped[bool] = mapped_column(default=False)
    #: A parent agrees too (needed for under-16s, i.e. every pupil here).
    consent_parent: Mapped[bool] = mapped_column(default=False)
    disqualified_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: The entry of an earlier round this one advanced from (set by judging's advancement).
    carried_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("essay_entry.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    round: Mapped[EssayRound] = relationship()
    student = relationship("User", foreign_keys=[student_id])
    photos: Mapped[list[EntryPhoto]] = relationship(
        back_populates="entry", order_by="EntryPhoto.id", cascade="all, delete-orphan"
    )
    versions: Mapped[list[EntryVersion]] = relationship(
        back_populates="entry",
        order_by="EntryVersion.seq.desc()",
        cascade="all, delete-orphan",
    )

    @property
    def may_publish_name(self) -> bool:
        return self.consent_student and self.consent_parent


class EntryVersion(db.Model):
    """A kept earlier state of a draft, so an accidental wipe can be undone."""

    __tablename__ = "essay_entry_version"
    __table_args__ = (sa.UniqueConstraint("entry_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        sa.ForeignKey("essay_entry.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(sa.BigInteger)
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    word_count: Mapped[int] = mapped_column(default=0)
    saved_at: Mapped[datetime]

    entry: Mapped[Entry] = relationship(back_populates="versions")


class EntryPhoto(db.Model):
    """A photo of the good deed: re-encoded, EXIF stripped, stored outside ``static/``."""

    __tablename__ = "essay_entry_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        sa.ForeignKey("essay_entry.id", ondelete="CASCADE"), index=True
    )
    storage_key: Mapped[str] = mapped_column(sa.String(200))
    mimetype: Mapped[str] = mapped_column(sa.String(40))
    width: Mapped[int]
    height: Mapped[int]
    caption: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    entry: Mapped[Entry] = relationship(back_populates="photos")


class ReferenceEssay(db.Model):
    """A circulated model essay organizers upload, so copies of it are caught."""

    __tablename__ = "essay_reference"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("essay_contest.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    source: Mapped[str] = mapped_column(sa.String(300), default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FlagStatus(enum.StrEnum):
    OPEN = "open"
    CLEARED = "cleared"
    DISQUALIFIED = "disqualified"


class SimilarityFlag(db.Model):
    """A suspected copy: an entry against another entry or a reference essay (organizers only)."""

    __tablename__ = "essay_similarity_flag"
    __table_args__ = (sa.UniqueConstraint("entry_id", "pair_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("essay_round.id"), index=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("essay_entry.id"), index=True)
    other_entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("essay_entry.id"))
    reference_id: Mapped[int | None] = mapped_column(sa.ForeignKey("essay_reference.id"))
    #: "e<id>" or "r<id>": what the entry matched, so a re-run never duplicates a flag.
    pair_key: Mapped[str] = mapped_column(sa.String(24))
    #: Estimated Jaccard similarity of the word shingles (0–1).
    score: Mapped[float]
    status: Mapped[FlagStatus] = mapped_column(
        sa.Enum(FlagStatus, native_enum=False, length=12), default=FlagStatus.OPEN, index=True
    )
    reason: Mapped[str | None] = mapped_column(sa.Text)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    round: Mapped[EssayRound] = relationship()
    entry: Mapped[Entry] = relationship(foreign_keys=[entry_id])
    other_entry: Mapped[Entry | None] = relationship(foreign_keys=[other_entry_id])
    reference: Mapped[ReferenceEssay | None] = relationship()
