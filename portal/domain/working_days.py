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


@dataclass(frozen=True)
class Clock:
    due: date
    days_left: int  # negative when overdue

    @property
    def overdue(self) -> bool:
        return self.days_left < 0


def triage_clock(submitted: date, today: date, *, urgent: bool, decision_weeks: int,
                 holidays: Iterable[date] = ()) -> Clock:
    """Urgent: looked at the same working day. Every request: decided within N weeks."""
    due = (next_working_day(submitted, holidays) if urgent
           else submitted + timedelta(weeks=decision_weeks))
    return Clock(due=due, days_left=(due - today).days)
