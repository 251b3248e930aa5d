"""Everything we hold about a child and their family for one request: the "information
we hold" page and its download (JSON).

The download keeps the same keys from one version of the service to the next. Every key,
and what it means, is in KEYS below (the page lists them too, in the family's language).
How the values are written:

- a date is ISO 8601, "2026-11-23"; a date and time is ISO 8601 in UTC, with its offset,
  "2026-11-23T14:05:00+00:00";
- a coded value (the keys in CODED) is a short code that never changes and is the
  same in every language; the key beside it, with "_meaning" added to its name, says
  what it means in words, in the language of the download (for a list of codes, the
  list of their meanings in the same order);
- something not known or not yet done is null; a list with nothing in it is [];
- a key ending in [] in KEYS is a list, and the keys after it are those of each item.

The rating (and its history) is shown only once the team has shared it with the family;
until then "rating" is null and "rating_history" is []. Staff accounts appear by their
role only: who opened the record is given as a role, and the download does not say which
member of staff changed a rating or recorded a decision.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask_babel import get_locale

from portal.common.i18n import lazy_gettext as _l
from portal.data import audit
from portal.data import cetr as cetr_store
from portal.data import consent as consent_store
from portal.data import family as store
from portal.data import partners as partner_store
from portal.data import referrals as referral_store
from portal.data import register as entries
from portal.data.requests import SupportRequest, messages_for, timeline_for
from portal.family.words import coded, words
from portal.questions.catalogue import record_rows

_KEYS: list[tuple[str, Any]] = [
    ("made_at", _l("When this file was made")),
    ("language", _l("The language the meanings in this file are written in, as a "
                    "language code (en is English)")),
    ("request", _l("The request to add the child or young person to the register")),
    ("request.reference", _l("The request's reference")),
    ("request.sent_at", _l("When the request was sent")),
    ("request.status", _l("Where the request is now")),
    ("request.decided_at", _l("When the team decided whether to add them")),
    ("request.not_added_reason", _l("Why the team decided not to add them, if it did")),
    ("request.other_help", _l("Where else to get help, if the team suggested somewhere")),
    ("request.answers[]", _l("The answers given in the request, one question at a time")),
    ("request.answers[].question", _l("The question")),
    ("request.answers[].answer[]", _l("The answer, one line at a time")),
    ("timeline[]", _l("What has happened to the request, oldest first")),
    ("timeline[].step", _l("What happened")),
    ("timeline[].at", _l("When it happened")),
    ("register_entry", _l("Their place on the register (null if they have never been on "
                          "it)")),
    ("register_entry.added_on", _l("The day they were added to the register")),
    ("register_entry.rating", _l("Their rating and what it means (null until the team "
                                 "shares it with you)")),
    ("register_entry.rating_history[]", _l("Every rating they have had, newest first "
                                           "(empty until the team shares the rating)")),
    ("register_entry.rating_history[].rating", _l("The rating and what it means")),
    ("register_entry.rating_history[].changed_at", _l("When the rating was given")),
    ("register_entry.rating_history[].reason", _l("Why the team gave this rating")),
    ("register_entry.keyworker", _l("Their keyworker's name")),
    ("register_entry.keyworker_contact", _l("How to reach the keyworker")),
    ("register_entry.next_review_on", _l("The day of the next review")),
    ("register_entry.cetr_last_on", _l("The day of the last care, education and treatment "
                                       "review")),
    ("register_entry.cetr_next_on", _l("The day of the next care, education and treatment "
                                       "review")),
    ("register_entry.actions[]", _l("What has been agreed")),
    ("register_entry.actions[].description", _l("What will be done")),
    ("register_entry.actions[].owner", _l("Who will do it")),
    ("register_entry.actions[].due_on", _l("The day it should be done by")),
    ("register_entry.actions[].done_at", _l("When it was done")),
    ("register_entry.cetr_reviews[]", _l("Care, education and treatment reviews asked "
                                         "for, newest first")),
    ("register_entry.cetr_reviews[].due_on", _l("The day it should be held by")),
    ("register_entry.cetr_reviews[].booked_for_at", _l("When it is booked for")),
    ("register_entry.cetr_reviews[].held_on", _l("The day it was held")),
    ("register_entry.cetr_reviews[].outcome", _l("What was agreed")),
    ("register_entry.people_involved[]", _l("People involved in their care, as the team "
                                            "recorded them")),
    ("register_entry.people_involved[].name", _l("Their name")),
    ("register_entry.people_involved[].job", _l("Their job")),
    ("register_entry.people_involved[].organisation", _l("Where they work")),
    ("register_entry.partner_updates[]", _l("What partner agencies (such as social care, "
                                            "school or health) told the team, newest "
                                            "first")),
    ("register_entry.partner_updates[].agency", _l("The agency")),
    ("register_entry.partner_updates[].written_at", _l("When they wrote it")),
    ("register_entry.partner_updates[].body", _l("What they wrote")),
    ("register_entry.closed_at", _l("When they came off the register")),
    ("register_entry.closed_reason", _l("Why they came off the register")),
    ("consents[]", _l("Every answer about consent, oldest first")),
    ("consents[].signed_by", _l("The name typed as a signature")),
    ("consents[].signed_as", _l("Whether a parent or carer or the young person answered")),
    ("consents[].relationship", _l("How a parent or carer is related to the child")),
    ("consents[].parental_responsibility", _l("Whether a parent or carer said they have "
                                              "parental responsibility")),
    ("consents[].answer", _l("The answer")),
    ("consents[].own_words", _l("What they said in their own words")),
    ("consents[].signed_at", _l("When they answered")),
    ("consents[].language", _l("The language of the consent text, as a language code")),
    ("consents[].text_version", _l("The version of the consent text they read")),
    ("consents[].text_sha256", _l("The SHA-256 fingerprint of that text, to show it has "
                                  "not changed")),
    ("consents[].withdrawn_at", _l("When the answer was withdrawn")),
    ("consents[].withdrawn_by", _l("The name of the person who withdrew it")),
    ("consent_decisions[]", _l("Decisions the team recorded about consent")),
    ("consent_decisions[].decision", _l("What the team decided")),
    ("consent_decisions[].note", _l("Why")),
    ("consent_decisions[].assessed_by", _l("Who made the assessment")),
    ("consent_decisions[].assessed_on", _l("The day of the assessment")),
    ("consent_decisions[].recorded_at", _l("When the team recorded it")),
    ("messages[]", _l("Messages between you and the team, oldest first")),
    ("messages[].from", _l("Who sent it: the team or the family")),
    ("messages[].sent_by", _l("The email address of the family member who sent it (null "
                              "for the team)")),
    ("messages[].sent_at", _l("When it was sent")),
    ("messages[].read_by_team_at", _l("When the team first read a family's message")),
    ("messages[].body", _l("The message")),
    ("updates[]", _l("What you have told us or asked for from your account, newest first")),
    ("updates[].kind", _l("What it was")),
    ("updates[].events[]", _l("What had happened, as ticked")),
    ("updates[].details", _l("What was written")),
    ("updates[].sent_at", _l("When it was sent")),
    ("updates[].seen_by_team_at", _l("When the team saw it")),
    ("people_with_access[]", _l("The people who can follow this request by signing in")),
    ("people_with_access[].email", _l("Their email address")),
    ("people_with_access[].role", _l("Who they are")),
    ("viewed_by_staff[]", _l("Every time a member of staff opened the record, newest "
                             "first")),
    ("viewed_by_staff[].role", _l("Their role")),
    ("viewed_by_staff[].at", _l("When")),
]

# Coded values: each has a sibling key, its name ending in "_meaning", with the words.
CODED = frozenset({
    "request.status", "timeline[].step", "register_entry.rating",
    "register_entry.rating_history[].rating", "register_entry.closed_reason",
    "consents[].signed_as", "consents[].answer", "consent_decisions[].decision",
    "messages[].from", "updates[].kind", "updates[].events[]", "people_with_access[].role",
    "viewed_by_staff[].role",
})


def _with_meanings(keys: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    result: list[tuple[str, Any]] = []
    for path, meaning in keys:
        result.append((path, meaning))
        if path in CODED:
            listed = path.endswith("[]")
            result.append((path.removesuffix("[]") + "_meaning" + ("[]" if listed else ""),
                           _l("What the code just above means, in words")))
    return result


KEYS: list[tuple[str, Any]] = _with_meanings(_KEYS)


def _at(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


def held(req: SupportRequest) -> dict[str, Any]:
    """Everything we hold for this request. Dates are date and datetime objects (the page
    formats them, `as_json` writes ISO 8601); each coded value has its meaning beside it."""
    entry = entries.entry_for_request(req.id)
    released = entry is not None and entry.rating_released
    return {
        "made_at": datetime.now(UTC),
        "language": str(get_locale() or "en"),
        "request": {
            "reference": req.reference,
            "sent_at": _at(req.submitted_at),
            **coded("status", "status", req.family_status),
            "decided_at": _at(req.decided_at),
            "not_added_reason": req.decline_reason,
            "other_help": req.decline_help,
            "answers": [{"question": str(row.label), "answer": [str(v) for v in row.values]}
                        for row in record_rows(req.snapshot())],
        },
        "timeline": [{**coded("step", "step", s.step), "at": _at(s.occurred_at)}
                     for s in timeline_for(req.id)],
        "register_entry": None if entry is None else {
            "added_on": entry.added_on,
            **coded("rating", "rating", entry.rating if released else None),
            "rating_history": [
                {**coded("rating", "rating", change.rating),
                 "changed_at": _at(change.changed_at),
                 "reason": change.reason}
                for change in entries.rating_history(entry.id)] if released else [],
            "keyworker": entry.keyworker,
            "keyworker_contact": entry.keyworker_contact,
            "next_review_on": entry.next_review_on,
            "cetr_last_on": entry.cetr_last_on,
            "cetr_next_on": entry.cetr_next_on,
            "actions": [{"description": a.description, "owner": a.owner, "due_on": a.due_on,
                         "done_at": _at(a.done_at)} for a in entries.actions_for(entry.id)],
            "cetr_reviews": [{"due_on": review.due_by,
                              "booked_for_at": _at(review.booked_for),
                              "held_on": review.held_on, "outcome": review.outcome}
                             for review, _ in cetr_store.for_family(entry.id)],
            "people_involved": [{"name": c.name, "job": c.job, "organisation": c.organisation}
                                for c in referral_store.contacts_for(entry.id)],
            "partner_updates": _partner_updates(entry.id),
            "closed_at": _at(entry.closed_at),
            **coded("closed", "closed_reason", entry.closed_reason),
        },
        "consents": [{
            "signed_by": c.signer_name,
            **coded("signer", "signed_as", c.signer_role),
            "relationship": None if c.signer_role == "young_person" else c.relationship,
            "parental_responsibility": None if c.signer_role == "young_person"
            else c.parental_responsibility,
            **coded("answer", "answer", c.decision),
            "own_words": c.own_words,
            "signed_at": _at(c.signed_at),
            "language": c.locale,
            "text_version": c.text_version,
            "text_sha256": c.text_sha256,
            "withdrawn_at": _at(w.withdrawn_at) if w else None,
            "withdrawn_by": w.withdrawn_by_name if w else None,
        } for c, w in consent_store.consents_for(req.id)],
        "consent_decisions": [{
            **coded("finding", "decision", f.finding), "note": f.note,
            "assessed_by": f.assessed_by, "assessed_on": f.assessed_on,
            "recorded_at": _at(f.recorded_at),
        } for f in consent_store.findings_for(req.id)],
        "messages": [{
            **coded("from", "from", "staff" if m.from_staff else "family"),
            "sent_by": None if m.from_staff else (m.author or None),
            "sent_at": _at(m.sent_at),
            "read_by_team_at": None if m.from_staff else _at(m.read_at),
            "body": m.body,
        } for m in messages_for(req.id)],
        "updates": [{
            **coded("sent_to_us", "kind", u.kind),
            "events": list(u.events or []),
            "events_meaning": [words("event", e) for e in u.events or []],
            "details": u.details,
            "sent_at": _at(u.sent_at),
            "seen_by_team_at": _at(u.handled_at),
        } for u in store.updates_for(req.id)],
        "people_with_access": [{"email": p.email, **coded("access", "role", p.role)}
                               for p in store.people_for(req.id)],
        "viewed_by_staff": [{**coded("staff_role", "role", role), "at": _at(at)}
                            for at, role in audit.staff_views(
                                req.id, entry.id if entry else None)],
    }


def _partner_updates(entry_id: int) -> list[dict[str, Any]]:
    agencies = partner_store.agency_names()
    return [{"agency": agencies.get(u.agency_id), "written_at": _at(u.written_at),
             "body": u.body} for u in partner_store.updates_for(entry_id)]


def _plain(value: Any) -> Any:
    """Only what JSON can say plainly: no Python reprs, dates in ISO 8601."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} has no agreed JSON form")


def as_json(data: dict[str, Any]) -> str:
    import json

    return json.dumps(data, default=_plain, indent=2, ensure_ascii=False)
