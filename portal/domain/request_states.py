"""The life of a request for a child to be added to the register.

This module alone decides which moves between states are allowed.
"""

from __future__ import annotations

import enum


class State(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    AWAITING_CONSENT = "awaiting_consent"
    READY_FOR_TRIAGE = "ready_for_triage"
    MORE_INFO_REQUESTED = "more_info_requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    # The same child as another request: closed, or joined to that one.
    DUPLICATE = "duplicate"


ALLOWED: dict[State, frozenset[State]] = {
    State.DRAFT: frozenset({State.SUBMITTED, State.WITHDRAWN}),
    State.SUBMITTED: frozenset(
        {State.AWAITING_CONSENT, State.READY_FOR_TRIAGE, State.WITHDRAWN, State.DUPLICATE}
    ),
    State.AWAITING_CONSENT: frozenset(
        {State.READY_FOR_TRIAGE, State.DECLINED, State.WITHDRAWN, State.DUPLICATE}),
    State.READY_FOR_TRIAGE: frozenset(
        {State.MORE_INFO_REQUESTED, State.ACCEPTED, State.DECLINED, State.WITHDRAWN,
         State.DUPLICATE}
    ),
    State.MORE_INFO_REQUESTED: frozenset(
        {State.READY_FOR_TRIAGE, State.DECLINED, State.WITHDRAWN, State.DUPLICATE}
    ),
    State.ACCEPTED: frozenset({State.WITHDRAWN}),
    State.DECLINED: frozenset(),
    State.WITHDRAWN: frozenset(),
    State.DUPLICATE: frozenset(),
}
# Still open: the family and staff can act on it.
OPEN = frozenset({State.SUBMITTED, State.AWAITING_CONSENT, State.READY_FOR_TRIAGE,
                  State.MORE_INFO_REQUESTED})

# Moves the family should hear about (an outbox message goes with each).
FAMILY_IS_TOLD = frozenset(
    {
        State.SUBMITTED,
        State.MORE_INFO_REQUESTED,
        State.ACCEPTED,
        State.DECLINED,
        State.WITHDRAWN,
        State.DUPLICATE,
    }
)


class InvalidTransition(ValueError):
    def __init__(self, current: State, target: State) -> None:
        super().__init__(f"A request cannot move from {current} to {target}")
        self.current = current
        self.target = target


def check_transition(current: State | str, target: State | str) -> State:
    cur, tgt = State(current), State(target)
    if tgt not in ALLOWED[cur]:
        raise InvalidTransition(cur, tgt)
    return tgt
