"""Working days and the triage clock (Monday to Friday; bank holidays from settings)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta


def is_working_day(day: date, holidays: Iterable[date] = ()) -> bool:
    return day.weekday() < 5 and day not in set(holidays)


def next_working_day(day: date, holidays: Iterable[date] = ()) -> date:
    """The day itself if it is a working day, else the next one."""
    holidays = set(holidays)
    while not is_working_day(day, holidays):
        day += timedelta(days=1)
    return day


def add_working_days(day: date, count: int, holidays: Iterable[date] = ()) -> date:
    holidays = set(holidays)
    day = next_working_day(day, holidays)
    while count > 0:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            count -= 1
    return day


def _after_up_to(start: date, end: date, holidays: set[date]) -> int:
    """Working days after `start`, up to and including `end` (start before end). Whole
    weeks count five each, so an old request costs no more to time than a new one."""
    weeks, rest = divmod((end - start).days, 7)
    count = weeks * 5 + sum(1 for i in range(1, rest + 1)
                            if (start + timedelta(days=i)).weekday() < 5)
    return count - sum(1 for h in holidays if start < h <= end and h.weekday() < 5)


def working_days_between(start: date, end: date, holidays: Iterable[date] = ()) -> int:
    """Working days from `start` to `end` (negative when `end` is earlier): Monday to Friday
    after `start`, up to and including `end`, leaving out holidays."""
    holidays = set(holidays)
    if end >= start:
        return _after_up_to(start, end, holidays)
    return -_after_up_to(end, start, holidays)


@dataclass(frozen=True)
class Clock:
    due: date
    days_left: int  # working days; negative when overdue

    @property
    def overdue(self) -> bool:
        return self.days_left < 0


def triage_clock(submitted: date, today: date, *, urgent: bool, decision_weeks: int,
                 holidays: Iterable[date] = ()) -> Clock:
    """Urgent: looked at the same working day. Every request: decided within N weeks."""
    holidays = set(holidays)
    due = next_working_day(submitted if urgent else submitted + timedelta(weeks=decision_weeks),
                           holidays)
    return Clock(due=due, days_left=working_days_between(today, due, holidays))
