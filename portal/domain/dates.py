"""Dates and ages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

ADULT_AGE = 18


def age_on(born: date, today: date) -> int:
    years = today.year - born.year
    if (today.month, today.day) < (born.month, born.day):
        years -= 1
    return years


@dataclass(frozen=True)
class DateParts:
    day: str
    month: str
    year: str

    def is_empty(self) -> bool:
        return not (self.day or self.month or self.year)


class DateProblem(ValueError):
    """What is wrong with a typed date, as a code the form turns into words."""

    def __init__(self, code: str, part: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.part = part  # which box to put the cursor in: day, month or year


_MONTH_NAMES = {
    name: i
    for i, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}


def _month_number(text: str) -> int | None:
    # isdecimal, not isdigit: int() refuses digits such as "²" that isdigit accepts.
    text = text.strip().lower()
    if text.isdecimal():
        return int(text)
    return _MONTH_NAMES.get(text)


def parse_date(parts: DateParts) -> date:
    """Turn three typed boxes into a date, or raise DateProblem saying which box is wrong."""
    if parts.is_empty():
        raise DateProblem("missing")
    for name in ("day", "month", "year"):
        if not getattr(parts, name).strip():
            raise DateProblem(f"missing_{name}", name)
    day_text = parts.day.strip()
    if not day_text.isdecimal():
        raise DateProblem("not_real", "day")
    month = _month_number(parts.month)
    if month is None:
        raise DateProblem("not_real", "month")
    year_text = parts.year.strip()
    if not year_text.isdecimal() or len(year_text) != 4:
        raise DateProblem("year_four_digits", "year")
    try:
        return date(int(year_text), month, int(day_text))
    except ValueError as exc:
        part = "month" if not 1 <= month <= 12 else "day"
        raise DateProblem("not_real", part) from exc
