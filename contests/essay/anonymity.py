"""What judges may see: an entry known only by its code, with the author masked in its text.

Children write about themselves ("Em là Nguyễn Thị Mai, học lớp 7A2 trường THCS Dương Xá,
số điện thoại 0912 345 678"), so the text itself gives the author away. Before a judge sees an
entry (screen, PDF bundle, API) its title, body and photo captions go through
``contests.essay.masking.mask_text`` (names, schools, classes, contact details, however they are
typed; its docstring has the rules). ``judge_payload`` is the one builder of what a judge
reaches; it never carries the author, the school or the class. The author's preview of an
entry ("what judges will see") is the same payload.

Masking errs on the side of hiding: a judge losing a place name costs little, a judge learning
the author's school breaks blind marking.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from contests.essay.masking import CLASS, CONTACT, NAME, PLACE, SCHOOL, mask_text
from core.accounts.models import User
from core.extensions import db
from core.schools.models import School, SchoolClass

__all__ = ["CLASS", "CONTACT", "NAME", "PLACE", "SCHOOL", "mask_text"]


@dataclass(frozen=True)
class MaskContext:
    """What to look for in one author's text."""

    names: tuple[str, ...] = ()
    schools: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    school_codes: tuple[str, ...] = ()

    def mask(self, text: str) -> str:
        """``text`` as judges see it."""
        return mask_text(
            text,
            names=self.names,
            schools=self.schools,
            school_codes=self.school_codes,
            classes=self.classes,
        )


def context_for(entry) -> MaskContext:
    """The names, schools and classes to mask in one entry: the author's, their classmates',
    every school of the district (names and codes) and the classes of the author's school."""
    names = {entry.student.full_name} if entry.student else set()
    if entry.class_id:
        names |= set(
            db.session.scalars(sa.select(User.full_name).where(User.class_id == entry.class_id))
        )
    schools = db.session.execute(sa.select(School.name, School.code)).all()
    classes = (
        set(
            db.session.scalars(
                sa.select(SchoolClass.name).where(SchoolClass.school_id == entry.school_id)
            )
        )
        if entry.school_id
        else set()
    )
    return MaskContext(
        names=tuple(sorted(names)),
        schools=tuple(sorted({name for name, _code in schools})),
        classes=tuple(sorted(classes)),
        school_codes=tuple(sorted({code for _name, code in schools})),
    )


def judge_payload(entry, context: MaskContext | None = None) -> dict:
    """Everything a judge may see of an entry: its code, masked text and masked photo captions.

    Never the author, the school, the class, the student id or the status history.
    """
    context = context or context_for(entry)
    mask = context.mask
    return {
        "code": entry.code,
        "round_id": entry.round_id,
        "title": mask(entry.title),
        "body": mask(entry.body),
        "word_count": entry.word_count,
        "photos": [{"id": p.id, "caption": mask(p.caption)} for p in entry.photos],
    }


def public_name(full_name: str, *, consent: bool) -> str:
    """The author's name on public pages: whole with consent, else "Nguyễn V. A."."""
    if consent:
        return full_name
    words = full_name.split()
    if len(words) < 2:
        return (words[0][0] + ".") if words else ""
    return " ".join([words[0], *(w[0] + "." for w in words[1:])])
