"""Working days, staff passwords and the kept register figures."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.config import ConfigError, load
from portal.data.stats import _months_back, contribution
from portal.domain.passwords import PasswordProblem, password_problems
from portal.domain.working_days import add_working_days, next_working_day, triage_clock

FRIDAY, SATURDAY, MONDAY = date(2026, 11, 27), date(2026, 11, 28), date(2026, 11, 30)


def test_urgent_requests_are_due_the_same_working_day():
    assert triage_clock(FRIDAY, FRIDAY, urgent=True, decision_weeks=4).days_left == 0
    weekend = triage_clock(SATURDAY, SATURDAY, urgent=True, decision_weeks=4)
    assert weekend.due == MONDAY and not weekend.overdue
    late = triage_clock(FRIDAY, MONDAY, urgent=True, decision_weeks=4)
    assert late.overdue and late.days_left == -1  # one working day late, not three


def test_every_request_is_due_within_the_decision_target():
    clock = triage_clock(FRIDAY, FRIDAY, urgent=False, decision_weeks=4)
    assert clock.due == date(2026, 12, 25) and clock.days_left == 20  # working days


def test_bank_holidays_are_not_working_days():
    christmas, boxing_day = date(2026, 12, 25), date(2026, 12, 28)  # Fri, and Mon (sub)
    holidays = [christmas, boxing_day]
    assert next_working_day(christmas, holidays) == date(2026, 12, 29)
    assert add_working_days(date(2026, 12, 24), 2, holidays) == date(2026, 12, 30)
    assert add_working_days(FRIDAY, 2) == date(2026, 12, 1)


def test_bank_holidays_come_from_settings():
    assert load({"PORTAL_ENV": "test", "BANK_HOLIDAYS": "2026-12-25, 2026-12-28"})[
        "BANK_HOLIDAYS"] == [date(2026, 12, 25), date(2026, 12, 28)]
    with pytest.raises(ConfigError):
        load({"PORTAL_ENV": "test", "BANK_HOLIDAYS": "Christmas"})


@pytest.mark.parametrize(("password", "problem"), [
    ("short", PasswordProblem.TOO_SHORT),
    ("password12345", PasswordProblem.COMMON),
    ("P4ssw0rd!!!!!", PasswordProblem.COMMON),
    ("correct horse battery staple", PasswordProblem.COMMON),
    ("jordan.example-2026!", PasswordProblem.CONTAINS_EMAIL),
])
def test_weak_staff_passwords_are_refused(password, problem):
    assert problem in password_problems(password, "jordan.example@nhs.example")


def test_a_strong_password_passes():
    assert password_problems("Tricky-Heron-Meadow-9", "jo@example.org") == []


def test_what_an_entry_adds_to_the_figures():
    assert contribution(live=False, rating="red", has_keyworker=True) == {}
    assert contribution(live=True, rating="green", has_keyworker=True) == {"live:green": 1}
    assert contribution(live=True, rating="blue", has_keyworker=False) == {
        "live:blue": 1, "rab": 1}
    assert contribution(live=True, rating="amber", has_keyworker=True) == {
        "live:amber": 1, "rab": 1, "rab_keyworker": 1}


def test_months_back_cross_the_year():
    assert _months_back("2026-02", 4) == ["2025-11", "2025-12", "2026-01", "2026-02"]


def test_working_days_between_counts_like_a_calendar_in_both_directions():
    import random

    from portal.domain.working_days import is_working_day, working_days_between

    def by_hand(start, end, holidays):
        step, count, day = (1 if end >= start else -1), 0, start
        while day != end:
            day += timedelta(days=step)
            counted = day if step > 0 else day + timedelta(days=1)
            count += step if is_working_day(counted, holidays) else 0
        return count

    rng = random.Random(3)
    for _ in range(400):
        start = date(2024, 1, 1) + timedelta(days=rng.randrange(900))
        end = start + timedelta(days=rng.randrange(-400, 400))
        holidays = {start + timedelta(days=rng.randrange(-400, 400)) for _ in range(8)}
        assert working_days_between(start, end, holidays) == by_hand(start, end, holidays)
