"""The words a family reads for each code the service stores: where a request is, its
timeline, ratings, why an entry closed, who signed, who may follow a request, and so on.

Written once here, so the pages, the evidence summary and the "information we hold"
download always say the same thing. Templates reach them through `words(group, code)`.
"""

from __future__ import annotations

from typing import Any

from portal.common.i18n import lazy_gettext as _l
from portal.questions.forms import CHANGES

WORDS: dict[str, dict[str, Any]] = {
    # Where the request is (SupportRequest.family_status).
    "status": {
        "sent": _l("Sent"),
        "awaiting_consent": _l("Waiting for consent"),
        "with_the_team": _l("The team is looking at it"),
        "more_info_requested": _l("The team needs more information from you"),
        "on_register": _l("On the register"),
        "not_added": _l("Not added to the register"),
        "withdrawn": _l("Consent withdrawn: not on the register"),
        "joined": _l("Joined with another request for the same child"),
        "duplicate": _l("Closed: we already have a request for this child"),
        "left_register": _l("No longer on the register"),
    },
    # One step of the timeline (TimelineStep.step).
    "step": {
        "sent": _l("Request sent"),
        "consent_complete": _l("Consent complete"),
        "childs_view": _l("The child or young person told us what they think"),
        "being_looked_at": _l("The team started looking at it"),
        "more_info_requested": _l("More information asked for"),
        "information_sent": _l("You sent more information"),
        "accepted": _l("Added to the register"),
        "declined": _l("Not added to the register"),
        "joined": _l("Joined with another request for the same child"),
        "duplicate": _l("Closed as a request we already have"),
        "left_register": _l("Taken off the register"),
        "withdrawn": _l("Consent withdrawn"),
    },
    # A rating, with what it means.
    "rating": {
        "red": _l("Red: immediate risk of hospital admission or placement breakdown"),
        "amber": _l("Amber: high risk of crisis or placement breakdown"),
        "green": _l("Green: struggling, and at risk if support is not right"),
        "blue": _l("Blue: in a mental-health hospital or another inpatient unit"),
    },
    # Why a register entry closed (RegisterEntry.closed_reason).
    "closed": {
        "turned_18_adult_register": _l("Turned 18 and referred to the adult register"),
        "consent_withdrawn": _l("Consent withdrawn"),
        "risk_reduced": _l("Risk reduced: the register is no longer needed"),
        "moved_area": _l("Moved to another area"),
        "childs_view": _l("The child does not want to be on the register, and the team "
                          "agreed"),
        "moved_to_adult_register": _l("Turned 18 and moved to the adult register"),
        "turned_18": _l("Turned 18"),
    },
    # Who may follow the request (FamilyAccess.role).
    "access": {
        "requester": _l("Sent the request"),
        "parent": _l("Parent or carer who filled in the consent form"),
        "young_person": _l("The young person"),
        "referrer": _l("Professional who asked: sees where it is only"),
    },
    # Who signed a consent answer (Consent.signer_role).
    "signer": {
        "parent": _l("Parent or carer"),
        "young_person": _l("The young person"),
        "council": _l("Social worker, for the council"),
    },
    # A consent answer (Consent.decision).
    "answer": {
        "yes": _l("Yes, agreed"),
        "no": _l("No"),
        "talk_first": _l("Wants to talk to someone first"),
    },
    # A decision the team recorded about consent (StaffFindingRecord.finding).
    "finding": {
        "gillick_competent": _l("Competent to decide for themselves (Gillick competence)"),
        "lacks_capacity_best_interests": _l("Lacks capacity for this decision: a "
                                            "best-interests decision was made"),
        "proceed_despite_childs_view": _l("The child's view was heard: the team decided "
                                          "to go ahead"),
    },
    # What the family sent (FamilyUpdate.kind) and what had happened (its events).
    "sent_to_us": {
        "changed": _l("You told us something has changed"),
        "cetr": _l("You asked for a care, education and treatment review"),
        "keyworker": _l("You asked for a keyworker"),
    },
    "event": {choice.value: choice.label for choice in CHANGES},
    # Who wrote a message.
    "from": {
        "staff": _l("The register team"),
        "family": _l("The family"),
    },
    # A member of staff's role (staff are shown to families by role only).
    "staff_role": {
        "triage_officer": _l("Triage officer"),
        "register_manager": _l("Register manager"),
        "partner_viewer": _l("Partner organisation"),
        "admin": _l("Administrator"),
    },
}


def words(group: str, code: str | None) -> str:
    """What a stored code means, in the reader's language ("" for no code)."""
    if code is None:
        return ""
    found = WORDS[group].get(str(code))
    return str(found) if found is not None else str(code)


def coded(group: str, key: str, code: str | None) -> dict[str, str | None]:
    """A code under `key`, and what it means under `key`_meaning (both null for none), as
    the download gives every coded value."""
    if code is None:
        return {key: None, f"{key}_meaning": None}
    return {key: str(code), f"{key}_meaning": words(group, code)}
