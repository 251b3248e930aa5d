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


def working_days_between(start: date, end: date, holidays: Iterable[date] = ()) -> int:
    """Working days from `start` to `end` (negative when `end` is earlier): Monday to Friday
    after `start`, up to and including `end`, leaving out holidays."""
    holidays = set(holidays)
    step = 1 if end >= start else -1
    count, day = 0, start
    while day != end:
        day += timedelta(days=step)
        check = day if step > 0 else day + timedelta(days=1)
        if is_working_day(check, holidays):
            count += step
    return count


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
