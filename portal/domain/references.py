"""Request references: short, easy to read aloud, no look-alike characters."""

from __future__ import annotations

import secrets

# No 0/O, 1/I/L, 5/S, 2/Z, 8/B: nothing a tired parent can misread on a phone.
ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
GROUP = 4
GROUPS = 2
PREFIX = "DSR"


def new_reference() -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(GROUP * GROUPS))
    groups = [chars[i : i + GROUP] for i in range(0, len(chars), GROUP)]
    return "-".join([PREFIX, *groups])


def normalise(typed: str) -> str:
    """Accept a reference however it was typed: lower case, spaces, missing dashes."""
    raw = "".join(ch for ch in (typed or "").upper() if ch.isalnum())
    if raw.startswith(PREFIX):
        raw = raw[len(PREFIX) :]
    groups = [raw[i : i + GROUP] for i in range(0, len(raw), GROUP)]
    return "-".join([PREFIX, *groups])


def is_well_formed(reference: str) -> bool:
    parts = reference.split("-")
    return (
        len(parts) == GROUPS + 1
        and parts[0] == PREFIX
        and all(len(p) == GROUP and all(c in ALPHABET for c in p) for p in parts[1:])
    )
