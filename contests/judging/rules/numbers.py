"""Numbers as every rule reads them: Decimals read through ``str``, tidied, never floats.

A float 7.1 is 7.1, not 7.0999…; ``SNAP`` is the precision (6 decimal places) a mark or a score
is kept to when no grid applies.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation

Number = int | float | Decimal | str


def none_first(value: int | None) -> tuple[int, int]:
    """Sort key putting None (no school) before every id."""
    return (0, 0) if value is None else (1, value)


def to_decimal(value: Number | None, name: str) -> Decimal | None:
    """Read a number as a Decimal (a float through ``str``); refuse NaN, infinities and booleans."""
    if value is None:
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number")
        return Decimal(str(value))
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number")
    try:
        result = Decimal(value)
    except (InvalidOperation, TypeError) as error:
        raise ValueError(f"{name} must be a number, not {value!r}") from error
    if not result.is_finite():
        raise ValueError(f"{name} must be a finite number")
    return result


SNAP = Decimal("0.000001")


def tidy(value: Decimal) -> Decimal:
    """Drop trailing zeros without going to exponent form (7.50 → 7.5, 10.00 → 10)."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
