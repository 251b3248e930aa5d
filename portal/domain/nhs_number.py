"""NHS number: 10 digits, the last a modulus 11 check digit."""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s-]+")


def normalise(value: str) -> str:
    """Drop the spaces and dashes people type between the groups of digits."""
    return _SEPARATORS.sub("", value or "")


def check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or None when no valid number can end them."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    digit = 11 - (total % 11)
    if digit == 11:
        return 0
    if digit == 10:
        return None
    return digit


def is_valid(value: str) -> bool:
    number = normalise(value)
    if len(number) != 10 or not (number.isascii() and number.isdigit()):
        return False
    expected = check_digit(number[:9])
    return expected is not None and expected == int(number[9])


def formatted(value: str) -> str:
    """Show as 3 3 4 digits, the way it is printed on NHS letters."""
    n = normalise(value)
    return f"{n[:3]} {n[3:6]} {n[6:]}" if len(n) == 10 else n
