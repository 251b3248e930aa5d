"""A request's history in plain words, with who did each thing.

Read from the audit trail (for staff, who must be able to defend it), with every look at
the record folded into one line per person and day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from portal.common.i18n import gettext, ngettext
from portal.common.i18n import lazy_gettext as _l
from portal.data.audit import AuditEvent, events_for_subjects
from portal.data.staff import all_staff

STATES = {
    "awaiting_consent": _l("Waiting for consent"),
    "ready_for_triage": _l("Ready for triage"),
    "more_info_requested": _l("More information asked for"),
    "accepted": _l("Added to the register"),
    "declined": _l("Not added to the register"),
    "withdrawn": _l("Withdrawn"),
    "duplicate": _l("Closed as the same child as another request"),
}
WHY = {
    "consent_complete": _l("consent is complete"),
    "consent_withdrawn": _l("consent was withdrawn"),
    "family_replied": _l("the family replied"),
}
ACTIONS = {
    "request.submitted": _l("Request sent"),
    "request.assigned": _l("Assigned"),
    "request.message": _l("Message sent to the family"),
    "request.nhs_number": _l("NHS number corrected"),
    "request.duplicate": _l("Another request was closed as the same child as this one"),
    "family.message": _l("The family sent a message"),
    "family.update": _l("The family told us something has changed"),
    "family.asked": _l("The family asked for a C(E)TR or a keyworker"),
    "family.evidence": _l("The family downloaded an evidence summary"),
    "family_update.seen": _l("Marked an update as seen"),
    "consent.invited": _l("A consent link was sent"),
    "consent.link_sent": _l("The young person asked for their own link"),
    "consent.reminder": _l("A consent reminder was sent"),
    "consent.withdrawn": _l("Consent withdrawn"),
    "consent.finding": _l("A decision about consent was recorded"),
    "register.added": _l("Added to the register"),
    "register.rating": _l("Rating changed"),
    "register.details": _l("Keyworker, review or C(E)TR dates changed"),
    "register.action": _l("Action added"),
    "register.action_done": _l("Action marked done"),
    "register.note": _l("Note added"),
    "register.closed": _l("Register entry closed"),
    "register.released": _l("Rating shown to the family, or hidden"),
    "register.meeting_outcome": _l("Reviewed at a register meeting"),
    "register.return_details": _l("Sex, ethnic category or local authority changed"),
    "partner.update": _l("A partner agency sent an update"),
    "partner.contribution": _l("Added something for the monthly meeting"),
    "partner.action_accepted": _l("Accepted an action"),
    "partner.action_progress": _l("Progress note on an action"),
    "partner.action_closed": _l("Closed an action"),
    "partner.update_read": _l("Read an update from a partner agency"),
}
ANSWERS = {"yes": _l("yes"), "no": _l("no"), "talk_first": _l("wants to talk first")}
PEOPLE = {
    "parent": _l("A parent or carer"),
    "young_person": _l("The young person"),
    "family": _l("The family"),
    "system": _l("The service"),
}


@dataclass(frozen=True)
class Line:
    at: datetime
    who: str
    what: str


def _what(event: AuditEvent, names: dict[str, str]) -> str:
    detail: dict[str, Any] = event.detail or {}
    if event.action == "request.state":
        what = str(STATES.get(str(detail.get("to")), detail.get("to")))
        why = WHY.get(str(detail.get("why")))
        return gettext("%(what)s: %(why)s", what=what, why=why) if why else what
    if event.action == "consent.given":
        answer = str(ANSWERS.get(str(detail.get("decision")), detail.get("decision")))
        return gettext("Consent answer given: %(answer)s", answer=answer)
    if event.action == "request.assigned":
        return gettext("Assigned to %(name)s",
                       name=names.get(str(detail.get("to")), gettext("someone")))
    if event.action == "register.rating":
        return gettext("Rating changed from %(before)s to %(after)s",
                       before=detail.get("from"), after=detail.get("to"))
    if event.action.startswith("partner.") and detail.get("agency"):
        return gettext("%(what)s (%(agency)s)", what=ACTIONS.get(event.action, event.action),
                       agency=detail["agency"])
    if event.action == "register.added":
        return gettext("Added to the register (%(rating)s)", rating=detail.get("rating"))
    return str(ACTIONS.get(event.action, event.action))


def _who(event: AuditEvent, names: dict[str, str]) -> str:
    if event.actor_type == "staff":
        return names.get(event.actor_id or "", gettext("A member of staff"))
    return str(PEOPLE.get(event.actor_type, event.actor_type))


def lines(events: Iterable[AuditEvent]) -> list[Line]:
    """Newest first; looks at the record folded to one line per person and day."""
    names = {str(s.id): s.name for s in all_staff()}
    result: list[Line] = []
    views: dict[tuple[str, Any], list[AuditEvent]] = {}
    for event in events:
        if event.action.endswith(".viewed"):
            views.setdefault((event.actor_id or "", event.occurred_at.date()), []).append(event)
            continue
        result.append(Line(event.occurred_at, _who(event, names), _what(event, names)))
    for seen in views.values():
        count = len(seen)
        what = ngettext("Opened the record", "Opened the record %(count)s times that day",
                        count, count=count)
        result.append(Line(seen[0].occurred_at, _who(seen[0], names), what))
    return sorted(result, key=lambda line: line.at, reverse=True)


def for_request(request_id: int, entry_id: int | None) -> list[Line]:
    subjects = [("request", str(request_id))]
    if entry_id is not None:
        subjects.append(("register_entry", str(entry_id)))
    return lines(events_for_subjects(subjects))
