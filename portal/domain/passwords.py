"""Staff password rules: long enough, and not one that everybody else picks."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

MIN_LENGTH = 12
MAX_LENGTH = 256
COMMON = Path(__file__).resolve().parent.parent / "security_data" / "common_passwords.txt"
_LOOK_ALIKES = str.maketrans("013457@$!", "oleastasi")


class PasswordProblem(enum.StrEnum):
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    COMMON = "common"
    CONTAINS_EMAIL = "contains_email"


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _variants(password: str) -> Iterable[str]:
    lowered = password.lower()
    yield lowered
    trimmed = re.sub(r"[\d\W_]+$", "", lowered)  # password123! -> password
    yield trimmed
    yield trimmed.translate(_LOOK_ALIKES)
    yield lowered.translate(_LOOK_ALIKES)
    yield re.sub(r"[\W_]+", "", lowered)  # correct horse battery staple -> one word


def password_problems(password: str, email: str = "",
                      common: frozenset[str] | None = None) -> list[PasswordProblem]:
    common = common_passwords() if common is None else common
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(PasswordProblem.TOO_SHORT)
    if len(password) > MAX_LENGTH:
        problems.append(PasswordProblem.TOO_LONG)
    if any(v and v in common for v in _variants(password)):
        problems.append(PasswordProblem.COMMON)
    local = email.split("@", 1)[0].lower()
    if len(local) >= 4 and local in password.lower():
        problems.append(PasswordProblem.CONTAINS_EMAIL)
    return problems
