"""UK postcodes: accept what people type, store one tidy form."""

from __future__ import annotations

import re

_PATTERN = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")


def normalise(value: str) -> str | None:
    """'sw1a1aa' -> 'SW1A 1AA'; None when it cannot be a UK postcode."""
    compact = re.sub(r"\s+", "", (value or "").upper())
    match = _PATTERN.match(compact)
    if not match:
        return None
    return f"{match.group(1)} {match.group(2)}"
