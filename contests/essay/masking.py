"""Masking an essay's text: what gives its author away, however a child typed it.

``mask_text`` replaces, in this order (what is masked first is never looked at again):

1. contact details — Vietnamese phone numbers (mobile and landline, with spaces, dots, dashes,
   brackets or +84), e-mail addresses and social-network profile links — with "[liên hệ]";
2. school names in every spelling, the schools' codes ("THCS-DX", "thcs dx") and any
   "THCS/Tiểu học/trường … + proper name" with "[trường]", the school's place name alone with
   "[nơi]";
3. classes — "lớp 7A2", "lop 6a1", "lớp sáu A một", "9A3", the school's own class list — with
   "[lớp]" (the word "lớp" stays as written);
4. people with "[tên]": known full names (the author's and classmates') in any case, any
   capitalised run that starts with a Vietnamese family name, the words after a
   self-introduction ("gọi em là Hiếu", "mình tên là ngân") or a form of address ("bạn Lan").

How words are compared. A word matches a name when it is the same letters with the same
diacritics in any case, or when it is written with no diacritics at all ("Ngan" for "Ngân"),
or with the tone mark on the other vowel ("Hoà" for "Hòa"). A word with different diacritics
is a different word: "Hiểu" (understand) is not "Hiếu", "Ngàn" (thousand) is not "Ngân".
Invisible characters (zero-width space, joiner and non-joiner, soft hyphen, byte-order mark)
are dropped first, so they cannot split a name; a name may run across a line break.

The given name alone is the case where masking could eat ordinary words ("Ngân hàng",
"Hiếu thảo"). The rule: a known given name alone is masked when it is written with a capital
letter (first letter or all capitals) and is not the first half of a common word listed in
``COMMON_WORDS``; in lower case it is masked only right after a self-introduction. Given names
that are also pronouns ("Anh", "Em", "An") are masked only after a form of address or a
self-introduction. Everything else is as written: the text around a masked part keeps the
author's own spelling.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from contests.essay.vietnamese_names import (
    COMMON_WORDS,
    GIVEN,
    HONORIFICS,
    NUMBER_WORDS,
    PRONOUN_LIKE,
    PROTECTED,
    SELF_WORDS,
    SURNAMES,
)

NAME = "[tên]"
SCHOOL = "[trường]"
CLASS = "[lớp]"
PLACE = "[nơi]"
CONTACT = "[liên hệ]"

#: While masking, each placeholder is one private-use character, so no later rule can read
#: "tên" inside "[tên]" or a digit inside a protected name.
_MARK = {NAME: "\ue000", SCHOOL: "\ue001", CLASS: "\ue002", PLACE: "\ue003", CONTACT: "\ue004"}
_UNMARK = {v: k for k, v in _MARK.items()}
_PRIVATE = re.compile("[\ue000-\uf8ff\U000f0000-\U000ffffd]")

#: Characters that show nothing. The zero-width joiner also glues emoji together, so it is
#: dropped only next to a letter or digit.
_INVISIBLE = re.compile(r"[\u00ad\u180e\u200b\u200c\u2060\ufeff]+|(?<=\w)\u200d+|\u200d+(?=\w)")
_TONES = "\u0300\u0301\u0303\u0309\u0323"


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
#: A proper word: "Dương" or "DƯƠNG".
PROPER = rf"(?:[{UPPER}]{{2,}}|{CAPWORD})"
B_LEFT = r"(?<!\w)"
B_RIGHT = r"(?!\w)"


def fold(text: str) -> str:
    """Lower case without diacritics ("Đỗ Hữu Hiếu" → "do huu hieu")."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def _bare(word: str) -> str:
    text = unicodedata.normalize("NFD", word.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if not unicodedata.combining(c))


def _tone_moved(word: str) -> str:
    """The same word with its tone on the other vowel of oa/oe/uy ("Hòa" ↔ "Hoà")."""
    text = unicodedata.normalize("NFD", word)
    moved = re.sub(rf"([oOuU])([{_TONES}])([aAeEyY])", r"\1\3\2", text)
    if moved == text:
        moved = re.sub(rf"([oOuU])([aAeEyY])([{_TONES}])", r"\1\3\2", text)
    return unicodedata.normalize("NFC", moved)


def spellings(word: str) -> set[str]:
    """The ways a word is written that still mean it: as is, tone moved, no diacritics."""
    word = unicodedata.normalize("NFC", word)
    return {word, _tone_moved(word), _bare(word)}


class Words:
    """A set of words, looked up the way names are compared (see the module docstring)."""

    def __init__(self, words: Iterable[str] = ()) -> None:
        self._forms: set[str] = {s.lower() for w in words for s in spellings(w)}

    def __contains__(self, word: str) -> bool:
        return unicodedata.normalize("NFC", word).lower() in self._forms


def _word(word: str, *, proper: bool = False) -> str:
    forms = spellings(word)
    if proper:
        forms = {f[:1].upper() + f[1:].lower() for f in forms} | {f.upper() for f in forms}
    return "(?:" + "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)) + ")"


def _phrase(phrase: str) -> str:
    return r"\s+".join(_word(w) for w in phrase.split())


def _any_of(patterns: Iterable[str]) -> str:
    return "|".join(sorted(set(patterns), key=len, reverse=True))


def _phrases(phrases: Iterable[str]) -> re.Pattern | None:
    """Any of ``phrases`` as whole words, in any case and any of their spellings."""
    body = _any_of(_phrase(p) for p in phrases if p.strip())
    return re.compile(rf"(?i:{B_LEFT}(?:{body}){B_RIGHT})") if body else None


# --- contact details --------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PROFILE = re.compile(
    r"(?i:(?:https?://)?(?:www\.|m\.|vi-vn\.)?"
    r"(?:facebook\.com|fb\.com|fb\.me|zalo\.me|tiktok\.com|instagram\.com|youtube\.com)"
    r"/[\w.@/?=&%-]*[\w/])"
)
#: Digit groups that may be a phone number; ``_phone`` decides.
_DIGITS = re.compile(
    r"(?<![\w+.,])(?:\(\+?84\)|\+84|\(0\d{1,3}\)|\d+)(?:[ .\-\u00a0]{1,3}\(?\d+\)?)*"
)


def _is_phone(digits: str) -> bool:
    if digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if len(digits) == 10:
        return digits[0] == "0" and digits[1] in "35789"  # mobile
    return len(digits) == 11 and digits.startswith("02")  # landline with its area code


def _phone(match: re.Match) -> str:
    """Mask the shortest run of digit groups that makes a Vietnamese phone number."""
    text, digits = match.group(0), ""
    for group in re.finditer(r"\d+", text):
        digits += group.group()
        if _is_phone(digits):
            return _MARK[CONTACT] + text[group.end() :].lstrip(")")
        if len(digits) > 12:
            break
    return text


# --- schools and classes ----------------------------------------------------------------------

_LEVEL_WORDS = (
    "trung học cơ sở",
    "trung học phổ thông",
    "tiểu học",
    "mầm non",
    "THCS",
    "THPT",
    "PTCS",
)
_TRUONG = _word("trường")
LEVELS = rf"(?:{_TRUONG}\s+)?(?:(?i:{_any_of(_phrase(w) for w in _LEVEL_WORDS)})|TH|MN)"
_SCHOOL_GENERIC = re.compile(rf"{B_LEFT}{LEVELS}(?:\s+{PROPER})+{B_RIGHT}")
_SCHOOL_BY_WORD = re.compile(rf"{B_LEFT}(?i:{_TRUONG})\s+{PROPER}(?:\s+{PROPER})*{B_RIGHT}")
_LEVEL_PREFIX = re.compile(rf"^(?i:{LEVELS})\s+")

_NUMBER = rf"(?:\d{{1,2}}|(?i:{_any_of(_phrase(w) for w in NUMBER_WORDS)}))"
_CLASS_AFTER_WORD = re.compile(
    rf"{B_LEFT}((?i:{_word('lớp')})\s+)"
    rf"(?:\d{{1,2}}\s*/\s*\d{{1,2}}|{_NUMBER}\s*[A-Za-z](?:\s*{_NUMBER})?){B_RIGHT}"
)
_CLASS_CODE = re.compile(rf"{B_LEFT}(?:[1-9]|1[0-2])(?:[A-E]\d{{0,2}}|[a-e]\d{{1,2}}){B_RIGHT}")


def _school_forms(name: str) -> tuple[set[str], str | None]:
    """Spellings of a school's name and its place name ("Trường THCS Dương Xá" → "Dương Xá")."""
    forms = {name}
    bare = re.sub(r"^[Tt]rường\s+", "", name)
    forms.add(bare)
    place = _LEVEL_PREFIX.sub("", name).strip()
    if place and place != name:
        forms.add(f"trường {place}")
    return forms, (place if place and place != name else None)


def _school(match: re.Match) -> str:
    """Mask a school, keeping a lower-case "trường" in front as written ("trường [trường]")."""
    first = re.match(r"\w+(\s+)", match.group(0))
    if first and first.group(0)[0].islower() and fold(first.group(0).strip()) == "truong":
        return first.group(0) + _MARK[SCHOOL]
    return _MARK[SCHOOL]


def _code_pattern(code: str) -> str:
    parts = re.findall(r"[^\W_]+", code)
    return r"[\s\-–_.]*".join(re.escape(p) for p in parts)


# --- people -----------------------------------------------------------------------------------

_FULL_NAME = re.compile(
    rf"{B_LEFT}(?:(?:{_any_of(_word(s) for s in SURNAMES)})(?:\s+{CAPWORD}){{1,3}}"
    rf"|(?:{_any_of(_word(s.upper()) for s in SURNAMES)})(?:\s+[{UPPER}]{{2,}}){{1,3}})"
    rf"{B_RIGHT}"
)
_HONORIFIC_NAME = re.compile(
    rf"{B_LEFT}((?i:{_any_of(_word(h) for h in HONORIFICS)})\s+)({PROPER}(?:\s+{PROPER})?)"
    rf"{B_RIGHT}"
)
_SELF = _any_of(_word(w) for w in SELF_WORDS)
_LA, _TEN, _CUA = _word("là"), _word("tên"), _word("của")
_SELF_INTRO = re.compile(
    rf"(?i:{B_LEFT}((?:{_word('gọi')}\s+(?:{_SELF})\s+{_LA}"
    rf"|{_TEN}\s+(?:{_CUA}\s+)?(?:{_SELF})\s+{_LA}"
    rf"|(?:{_SELF})\s+{_TEN}(?:\s+{_LA})?"
    rf"|(?:{_SELF})\s+{_LA})\s+))"
    r"(\w+(?:[^\S\n]+\w+){0,3})"  # up to four words on the same line
)
_COMMON_STARTS = {fold(" ".join(w.split()[:2])) for w in COMMON_WORDS}
_FILLERS = {"văn", "thị"}
_SURNAMES = Words(SURNAMES)
_GIVEN = Words(GIVEN)
_PRONOUN_LIKE = Words(PRONOUN_LIKE)


def _short_forms(full_name: str) -> set[str]:
    words = full_name.split()
    forms = set()
    if len(words) >= 2:
        forms.add(words[-1])
    if len(words) >= 3:
        forms.add(" ".join(words[-2:]))
    return forms


def _given_alone(forms: Iterable[str]) -> re.Pattern | None:
    """Given names written alone with a capital letter, with the word after them."""
    body = _any_of(
        r"\s+".join(_word(w, proper=True) for w in form.split())
        for form in forms
        if form.split()[0] not in _PRONOUN_LIKE
    )
    if not body:
        return None
    return re.compile(rf"{B_LEFT}(?:{body}){B_RIGHT}(?=(?:\s+(\w+))?)")


def _mask_people(text: str, known: set[str]) -> str:
    name = _MARK[NAME]
    found = {m.group(0) for m in _FULL_NAME.finditer(text)}
    full = _phrases({n for n in known if len(n.split()) >= 2})
    if full:
        text = full.sub(name, text)
    if found:
        written = _any_of(r"\s+".join(map(re.escape, n.split())) for n in found)
        text = re.sub(rf"{B_LEFT}(?:{written}){B_RIGHT}", name, text)

    known_parts = Words(w for n in known for w in n.split() if w.lower() not in _FILLERS)
    starters = {*SURNAMES, *GIVEN, *(w for n in known for w in n.split())}
    starter_words = Words(starters)

    def intro(match: re.Match) -> str:
        parts = re.split(r"(\s+)", match.group(2))
        words = parts[0::2]
        count = 0
        if words[0][:1].isupper():
            if words[0] in starter_words:
                while count < len(words) and words[count][:1].isupper():
                    count += 1
        else:
            while count < len(words) and words[count] in known_parts:
                count += 1
        if not count:
            return match.group(0)
        return match.group(1) + name + "".join(parts[2 * count - 1 :])

    text = _SELF_INTRO.sub(intro, text)

    given_known = {w for n in known for w in _short_forms(n)}
    given_words = Words(given_known)

    def honorific(match: re.Match) -> str:
        words = match.group(2).split()
        if match.group(2) in given_words or words[0] in _GIVEN or words[0] in given_words:
            return match.group(1) + name
        return match.group(0)

    text = _HONORIFIC_NAME.sub(honorific, text)

    alone = _given_alone(given_known | {w for n in found for w in _short_forms(n)})

    def given(match: re.Match) -> str:
        following = match.group(1)
        if following and following[:1].islower():
            common = fold(f"{match.group(0)} {following}") in _COMMON_STARTS
            return match.group(0) if common else name
        return name

    if alone:
        text = alone.sub(given, text)
    return re.sub(rf"{name}(?:\s+{name})+", name, text)


def mask_text(
    text: str,
    *,
    names: Iterable[str] = (),
    schools: Iterable[str] = (),
    school_codes: Iterable[str] = (),
    classes: Iterable[str] = (),
) -> str:
    """Return ``text`` with contact details, schools, classes and people's names replaced."""
    if not text:
        return text or ""
    text = _PRIVATE.sub("", _INVISIBLE.sub("", unicodedata.normalize("NFC", text)))

    text = _EMAIL.sub(_MARK[CONTACT], text)
    text = _PROFILE.sub(_MARK[CONTACT], text)
    text = _DIGITS.sub(_phone, text)

    protected: list[str] = []

    def protect(match: re.Match) -> str:
        protected.append(match.group(0))
        return chr(0xF0000 + len(protected) - 1)

    text = _phrases(PROTECTED).sub(protect, text)

    # Schools first: they contain place names and sometimes family names ("Cao Bá Quát").
    school_forms: set[str] = set()
    places: set[str] = set()
    for school in schools:
        forms, place = _school_forms(school)
        school_forms |= forms
        if place:
            places.add(place)
    if school_forms:
        text = _phrases(school_forms).sub(_school, text)
    codes = _any_of(_code_pattern(c) for c in school_codes if c.strip())
    if codes:
        text = re.sub(rf"(?i:{B_LEFT}(?:{codes}){B_RIGHT})", _MARK[SCHOOL], text)
    text = _SCHOOL_GENERIC.sub(_school, text)
    text = _SCHOOL_BY_WORD.sub(_school, text)
    if places:
        text = _phrases(places).sub(_MARK[PLACE], text)

    text = _CLASS_AFTER_WORD.sub(lambda m: m.group(1) + _MARK[CLASS], text)
    class_names = _phrases(c for c in classes if c.strip())
    if class_names:
        text = class_names.sub(_MARK[CLASS], text)
    text = _CLASS_CODE.sub(_MARK[CLASS], text)

    text = _mask_people(text, {n.strip() for n in names if n and n.strip()})

    text = re.sub("[\U000f0000-\U000ffffd]", lambda m: protected[ord(m.group(0)) - 0xF0000], text)
    return re.sub("[\ue000-\ue004]", lambda m: _UNMARK[m.group(0)], text)
