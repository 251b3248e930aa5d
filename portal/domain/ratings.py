"""Ratings (Green, Amber, Red, Blue) and the rules that suggest one from a request.

The suggestion is only a prompt for staff: staff always decide the rating. The rules are
the example signals for each rating in the national guidance, nothing more:

- Blue: in a mental-health hospital or another inpatient setting now (including
  learning disability and autism units).
- Red: severe distress, severe behaviour that challenges, no safe or suitable place to
  live or learn, a professional expects an admission soon, or a home, care or school
  placement has broken down.
- Amber: a placement on the brink, significant unmet need, a family under severe strain,
  exclusion or a part-time timetable, or several services needed together urgently.
- Green: needs growing with support not keeping up, with no sign above.

The national risk factors and the other local signals (a previous admission, the youth
justice system, A&E or crisis contact, carers changing, adult services soon...) show a
child belongs on the register but do not say how close a crisis is, so they suggest no
colour of their own: they are shown to staff as reasons, with the rest.
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


# What a family can tick on "what is happening now".
class Risk(enum.StrEnum):
    # Red signals.
    IMMINENT_ADMISSION = "imminent_admission"
    SEVERE_DISTRESS = "severe_distress"
    SEVERE_BEHAVIOUR = "severe_behaviour"
    NO_SAFE_PLACEMENT = "no_safe_placement"
    PLACEMENT_BROKEN_DOWN = "placement_broken_down"
    # Amber signals.
    PLACEMENT_UNSTABLE = "placement_unstable"
    UNMET_NEED = "unmet_need"
    FAMILY_STRAIN = "family_strain"
    SCHOOL_EXCLUSION = "school_exclusion"
    MULTI_AGENCY_URGENT = "multi_agency_urgent"
    # Green signals.
    NEEDS_INCREASING = "needs_increasing"
    # National risk factors and local signals (no colour of their own).
    RESIDENTIAL_CONCERN = "residential_concern"
    BEHAVIOUR_CONCERN = "behaviour_concern"
    PREVIOUS_ADMISSION = "previous_admission"
    YOUTH_JUSTICE = "youth_justice"
    CRISIS_CONTACT = "crisis_contact"
    SUPPORT_CHANGES = "support_changes"
    TRANSITION_SOON = "transition_soon"


SIGNALS: dict[Rating, frozenset[Risk]] = {
    Rating.RED: frozenset({Risk.IMMINENT_ADMISSION, Risk.SEVERE_DISTRESS,
                           Risk.SEVERE_BEHAVIOUR, Risk.NO_SAFE_PLACEMENT,
                           Risk.PLACEMENT_BROKEN_DOWN}),
    Rating.AMBER: frozenset({Risk.PLACEMENT_UNSTABLE, Risk.UNMET_NEED, Risk.FAMILY_STRAIN,
                             Risk.SCHOOL_EXCLUSION, Risk.MULTI_AGENCY_URGENT}),
    Rating.GREEN: frozenset({Risk.NEEDS_INCREASING}),
}
IN_HOSPITAL = "in_hospital"
NO_LISTED_RISKS = "no_listed_risks"


def signal_level(code: str) -> Rating | None:
    """The rating a reason points to (Blue for being in hospital), or None."""
    if code == IN_HOSPITAL:
        return Rating.BLUE
    for rating, risks in SIGNALS.items():
        if code in risks:
            return rating
    return None


@dataclass(frozen=True)
class Suggestion:
    rating: Rating
    reasons: tuple[str, ...]
    """Every answer behind it, most serious first: 'in_hospital', Risk values, or
    'no_listed_risks'. Staff see them all, not only those that set the colour."""


def _order(code: str) -> int:
    level = signal_level(code)
    return 4 - level.urgency if level is not None else 9


def suggest_rating(*, in_hospital: bool, risks: Iterable[str]) -> Suggestion:
    """Suggest a rating from a request's answers, with every reason behind it."""
    chosen: list[str] = []
    for code in risks:
        try:
            value = Risk(code).value
        except ValueError:
            continue  # an answer from an older form: ignore rather than fail
        if value not in chosen:
            chosen.append(value)
    reasons = ([IN_HOSPITAL] if in_hospital else []) + sorted(chosen, key=_order)
    if not reasons:
        return Suggestion(Rating.GREEN, (NO_LISTED_RISKS,))
    levels = [level for code in reasons if (level := signal_level(code)) is not None]
    rating = max(levels, key=lambda r: r.urgency) if levels else Rating.GREEN
    return Suggestion(rating, tuple(reasons))
