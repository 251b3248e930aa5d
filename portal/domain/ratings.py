"""Ratings (Green, Amber, Red, Blue) and the rules that suggest one from a request.

The suggestion is only a prompt for staff: staff always decide the rating.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Rating(enum.StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    BLUE = "blue"

    @property
    def urgency(self) -> int:
        """Higher is more urgent: Blue and Red go to the top of any queue."""
        return {"green": 0, "amber": 1, "red": 2, "blue": 3}[self.value]

    @property
    def is_urgent(self) -> bool:
        return self in (Rating.RED, Rating.BLUE)


# What a family can tick on "what is happening now". The first five are the national
# DSR risk factors; the rest are signals areas use locally.
class Risk(enum.StrEnum):
    RESIDENTIAL_CONCERN = "residential_concern"
    PLACEMENT_UNSTABLE = "placement_unstable"
    BEHAVIOUR_CONCERN = "behaviour_concern"
    PREVIOUS_ADMISSION = "previous_admission"
    YOUTH_JUSTICE = "youth_justice"
    IMMINENT_ADMISSION = "imminent_admission"
    NO_SAFE_PLACEMENT = "no_safe_placement"
    SEVERE_DISTRESS = "severe_distress"
    CRISIS_CONTACT = "crisis_contact"
    SCHOOL_EXCLUSION = "school_exclusion"
    FAMILY_STRAIN = "family_strain"
    SUPPORT_CHANGES = "support_changes"
    NEEDS_INCREASING = "needs_increasing"
    TRANSITION_SOON = "transition_soon"


NATIONAL_RISK_FACTORS = frozenset(
    {
        Risk.RESIDENTIAL_CONCERN,
        Risk.PLACEMENT_UNSTABLE,
        Risk.BEHAVIOUR_CONCERN,
        Risk.PREVIOUS_ADMISSION,
        Risk.YOUTH_JUSTICE,
    }
)
RED_SIGNALS = frozenset({Risk.IMMINENT_ADMISSION, Risk.NO_SAFE_PLACEMENT, Risk.SEVERE_DISTRESS})
AMBER_SIGNALS = NATIONAL_RISK_FACTORS | {
    Risk.CRISIS_CONTACT,
    Risk.SCHOOL_EXCLUSION,
    Risk.FAMILY_STRAIN,
}
# This many risks at once is treated as being close to crisis.
RED_WHEN_AT_LEAST = 4


@dataclass(frozen=True)
class Suggestion:
    rating: Rating
    reasons: tuple[str, ...]
    """Codes: a Risk value, or 'in_hospital', 'many_risks', 'no_listed_risks'."""


def suggest_rating(*, in_hospital: bool, risks: Iterable[str]) -> Suggestion:
    """Suggest a rating from a request's answers, with the reasons behind it."""
    chosen: list[Risk] = []
    for code in risks:
        try:
            chosen.append(Risk(code))
        except ValueError:
            continue  # an answer from an older form: ignore rather than fail
    if in_hospital:
        return Suggestion(Rating.BLUE, ("in_hospital", *chosen))
    red = [r.value for r in chosen if r in RED_SIGNALS]
    if red:
        return Suggestion(Rating.RED, tuple(red))
    amber = [r.value for r in chosen if r in AMBER_SIGNALS]
    if len(chosen) >= RED_WHEN_AT_LEAST and len(amber) >= 2:
        return Suggestion(Rating.RED, ("many_risks", *amber))
    if amber:
        return Suggestion(Rating.AMBER, tuple(amber))
    if chosen:
        return Suggestion(Rating.GREEN, tuple(r.value for r in chosen))
    return Suggestion(Rating.GREEN, ("no_listed_risks",))
