"""When a child on the register is reviewed next, and the rule after leaving hospital."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from portal.domain.ratings import Rating


def next_review(rating: Rating | str, on: date, days_by_rating: Mapping[str, int]) -> date:
    """The usual next review for a rating, counted from `on` (intervals are settings)."""
    return on + timedelta(days=int(days_by_rating[Rating(rating).value]))


def red_until(discharged_on: date | None, days: int) -> date | None:
    """After leaving hospital a child stays Red for at least `days` days (a local rule,
    its length a setting): the last day of that, or None when it does not apply."""
    if discharged_on is None:
        return None
    return discharged_on + timedelta(days=days)


def below_red_after_discharge(new: Rating | str, discharged_on: date | None, today: date,
                              days: int) -> bool:
    """True when this rating would take a child below Red too soon after leaving hospital."""
    until = red_until(discharged_on, days)
    if until is None or today >= until:
        return False
    return Rating(new) in (Rating.AMBER, Rating.GREEN)
