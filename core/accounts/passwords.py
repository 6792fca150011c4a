"""Which new passwords are refused: too short, too common, too simple, or built from a name.

The common passwords are the 10,000 most frequent of the list zxcvbn ships (MIT licence, from
leaked password sets), read from the installed package, never from the network.
"""

from __future__ import annotations

import itertools
import re
from functools import cache

from flask_babel import gettext as _

from core.errors import ValidationFailed

MIN_PASSWORD_LENGTH = 8
COMMON_PASSWORDS_CHECKED = 10_000
#: Fewer distinct characters than this ("aaaaaaaa", "abababab") is too easy to guess.
MIN_DISTINCT_CHARACTERS = 4
#: Names shorter than this are not looked for inside a password.
MIN_NAME_PART = 4


@cache
def common_passwords() -> frozenset[str]:
    """The most common passwords, lower case (zxcvbn's lists, ~7 MB, read on first use only)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"][:COMMON_PASSWORDS_CHECKED])


def _letters_and_digits(text: str) -> str:
    return re.sub(r"[\W_]+", "", (text or "").lower())


def _is_sequence(text: str) -> bool:
    """Characters that go up or down one at a time: "12345678", "abcdefgh", "98765432"."""
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(text)}
    return len(text) > 1 and steps in ({1}, {-1})


def check_new_password(password: str, *, names: tuple[str, ...] = ()) -> None:
    """Raise ValidationFailed (on ``new_password``) with advice if ``password`` is too weak.

    ``names`` are things a guesser knows about the account: the username, the school's code.
    """
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            _("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
            field="new_password",
        )
    plain = _letters_and_digits(password)
    if (
        password.lower() in common_passwords()
        or plain in common_passwords()
        or len(set(password.lower())) < MIN_DISTINCT_CHARACTERS
        or _is_sequence(password.lower())
    ):
        raise ValidationFailed(
            _(
                "This password is too easy to guess. Choose a short sentence you will remember, "
                'such as "Em thich doc truyen 2 con meo", or mix several words and numbers.'
            ),
            field="new_password",
        )
    for name in names:
        part = _letters_and_digits(name)
        if len(part) >= MIN_NAME_PART and (part in plain or (plain and plain in part)):
            raise ValidationFailed(
                _(
                    "The password must not contain your username or your school's code: "
                    "others know them. Choose words only you know."
                ),
                field="new_password",
            )
