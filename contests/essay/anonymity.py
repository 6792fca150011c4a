"""What judges may see: an entry known only by its code, with names, schools and classes masked.

Children write about themselves ("Em là Nguyễn Thị Mai, học lớp 7A2 trường THCS Dương Xá"),
so the text itself gives the author away. Before a judge sees an entry (screen, PDF bundle,
API), ``mask_text`` replaces:

* school names — the district's schools in every usual spelling, and any "THCS/Tiểu học/…
  + proper name" — with "[trường]", and the school's place name alone with "[nơi]";
* class names ("lớp 7A2", "9A3", the school's own class list) with "[lớp]";
* people's names with "[tên]": the author's and classmates' full names, any capitalised
  run that starts with a Vietnamese family name, the short forms of names found that way
  ("Khôi" after "Trần Minh Khôi"), and a known given name after a form of address ("bạn Lan").

Masking errs on the side of hiding: a judge losing a place name costs little, a judge learning
the author's school breaks blind marking. ``judge_payload`` is the one builder of what a judge
reaches; it never carries the author, the school or the class.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from contests.essay.vietnamese_names import GIVEN, HONORIFICS, PRONOUN_LIKE, PROTECTED, SURNAMES
from core.accounts.models import User
from core.extensions import db
from core.schools.models import School, SchoolClass

NAME = "[tên]"
SCHOOL = "[trường]"
CLASS = "[lớp]"
PLACE = "[nơi]"


def _letters(predicate) -> str:
    ranges = [(0x41, 0x5A), (0x61, 0x7A), (0xC0, 0x24F), (0x1E00, 0x1EFF)]
    return (
        "".join(chr(c) for lo, hi in ranges for c in range(lo, hi + 1) if predicate(chr(c)))
        .replace("×", "")
        .replace("÷", "")
    )


UPPER = _letters(str.isupper)
LOWER = _letters(str.islower)
CAPWORD = rf"[{UPPER}][{LOWER}]*"
B_LEFT = rf"(?<![{UPPER}{LOWER}\d])"
B_RIGHT = rf"(?![{UPPER}{LOWER}\d])"

LEVELS = (
    r"(?:Trường\s+|trường\s+)?(?:THCS|THPT|PTCS|TH|MN|Tiểu\s+học|tiểu\s+học|Trung\s+học\s+cơ\s+sở"
    r"|Trung\s+học\s+phổ\s+thông|trung\s+học\s+cơ\s+sở|Mầm\s+non|mầm\s+non)"
)
_SCHOOL_GENERIC = re.compile(rf"{B_LEFT}{LEVELS}(?:\s+{CAPWORD})+{B_RIGHT}")
_SCHOOL_BY_WORD = re.compile(rf"{B_LEFT}([Tt]rường)\s+{CAPWORD}(?:\s+{CAPWORD})*{B_RIGHT}")
_CLASS_AFTER_WORD = re.compile(rf"{B_LEFT}([Ll]ớp)\s+\d{{1,2}}[A-Za-z]\d{{0,2}}{B_RIGHT}")
_CLASS_CODE = re.compile(rf"{B_LEFT}(?:[1-9]|1[0-2])[A-E]\d{{0,2}}{B_RIGHT}")
_FULL_NAME = re.compile(rf"{B_LEFT}(?:{'|'.join(SURNAMES)})(?:\s+{CAPWORD}){{1,3}}{B_RIGHT}")
_HONORIFIC_NAME = re.compile(
    rf"{B_LEFT}((?:{'|'.join(h.capitalize() + '|' + h for h in HONORIFICS)})\s+)"
    rf"({CAPWORD}(?:\s+{CAPWORD})?){B_RIGHT}"
)
_LEVEL_PREFIX = re.compile(rf"^{LEVELS}\s+")


@dataclass(frozen=True)
class MaskContext:
    """What to look for in one author's text."""

    names: tuple[str, ...] = ()
    schools: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()


def _literal(phrase: str) -> re.Pattern:
    body = r"\s+".join(re.escape(w) for w in phrase.split())
    return re.compile(B_LEFT + body + B_RIGHT)


def _school_forms(name: str) -> tuple[set[str], str | None]:
    """Spellings of a school's name and its place name ("Trường THCS Dương Xá" → "Dương Xá")."""
    forms = {name}
    bare = re.sub(r"^[Tt]rường\s+", "", name)
    forms.add(bare)
    place = _LEVEL_PREFIX.sub("", name).strip()
    if place and place != name:
        forms.add(f"trường {place}")
        forms.add(f"Trường {place}")
    return forms, (place if place and place != name else None)


def _short_forms(full_name: str) -> set[str]:
    words = full_name.split()
    forms = set()
    if len(words) >= 2:
        forms.add(words[-1])
    if len(words) >= 3:
        forms.add(" ".join(words[-2:]))
    return forms


def mask_text(
    text: str,
    *,
    names: Iterable[str] = (),
    schools: Iterable[str] = (),
    classes: Iterable[str] = (),
) -> str:
    """Return ``text`` with people's names, schools and classes replaced by placeholders."""
    if not text:
        return text or ""
    protected: list[str] = []

    def protect(match: re.Match) -> str:
        protected.append(match.group(0))
        return f"\x00{len(protected) - 1}\x00"

    for phrase in PROTECTED:
        text = _literal(phrase).sub(protect, text)

    # Schools first (they contain place names and sometimes family names: "Cao Bá Quát").
    school_forms: set[str] = set()
    places: set[str] = set()
    for school in schools:
        forms, place = _school_forms(school)
        school_forms |= forms
        if place:
            places.add(place)
    for form in sorted(school_forms, key=len, reverse=True):
        text = _literal(form).sub(SCHOOL, text)
    text = _SCHOOL_GENERIC.sub(SCHOOL, text)
    text = _SCHOOL_BY_WORD.sub(SCHOOL, text)
    for place in sorted(places, key=len, reverse=True):
        text = _literal(place).sub(PLACE, text)

    text = _CLASS_AFTER_WORD.sub(lambda m: f"{m.group(1)} {CLASS}", text)
    for class_name in sorted(set(classes), key=len, reverse=True):
        if class_name.strip():
            text = _literal(class_name).sub(CLASS, text)
    text = _CLASS_CODE.sub(CLASS, text)

    # People: known full names, then names found by pattern, then their short forms.
    known = {n.strip() for n in names if n and n.strip()}
    found = {m.group(0) for m in _FULL_NAME.finditer(text)}
    for name in sorted(known | found, key=len, reverse=True):
        text = _literal(name).sub(NAME, text)
    given_known = {w for n in known for w in _short_forms(n)}
    for short in sorted({w for n in found for w in _short_forms(n)}, key=len, reverse=True):
        if short not in PRONOUN_LIKE:
            text = _literal(short).sub(NAME, text)

    def honorific(match: re.Match) -> str:
        name = match.group(2)
        first = name.split()[0]
        if name in given_known or first in GIVEN or first in given_known:
            return match.group(1) + NAME
        return match.group(0)

    text = _HONORIFIC_NAME.sub(honorific, text)
    text = re.sub(re.escape(NAME) + r"(?:\s+" + re.escape(NAME) + ")+", NAME, text)
    return re.sub(r"\x00(\d+)\x00", lambda m: protected[int(m.group(1))], text)


def context_for(entry) -> MaskContext:
    """The names, schools and classes to mask in one entry: the author's, their classmates',
    every school of the district and the classes of the author's school."""
    names = {entry.student.full_name} if entry.student else set()
    if entry.class_id:
        names |= set(
            db.session.scalars(sa.select(User.full_name).where(User.class_id == entry.class_id))
        )
    schools = set(db.session.scalars(sa.select(School.name)))
    classes = (
        set(
            db.session.scalars(
                sa.select(SchoolClass.name).where(SchoolClass.school_id == entry.school_id)
            )
        )
        if entry.school_id
        else set()
    )
    return MaskContext(tuple(sorted(names)), tuple(sorted(schools)), tuple(sorted(classes)))


def judge_payload(entry, context: MaskContext | None = None) -> dict:
    """Everything a judge may see of an entry: its code, masked text and masked photo captions.

    Never the author, the school, the class, the student id or the status history.
    """
    context = context or context_for(entry)

    def mask(value: str) -> str:
        return mask_text(
            value, names=context.names, schools=context.schools, classes=context.classes
        )

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
