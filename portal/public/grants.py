"""What this browser may do, kept in its (signed) session.

There are no family accounts here: a browser earns the right to act on a request by
sending it, or by opening a single-use link from an email. Each grant is narrow: the
right to give consent is not the right to read the request.
"""

from __future__ import annotations

from flask import session

REQUESTS = "submitted_references"  # sent from this browser: confirmation and consent
CONSENT = "consent_references"  # may give a parent's consent (from an emailed link)
SIGNED = "signed_consents"  # consent records signed in this browser
YOUNG_PERSON = "young_person_reference"  # the young person's own consent page
KEEP = 10


def _add(key: str, value: str) -> None:
    seen = [v for v in session.get(key, []) if v != value]
    session[key] = (seen + [value])[-KEEP:]


def sent_request(reference: str) -> None:
    _add(REQUESTS, reference)


def may_see_confirmation(reference: str) -> bool:
    return reference in session.get(REQUESTS, [])


INVITED = "invited_emails"  # reference -> the address a consent link was sent to


def allow_consent(reference: str, invited: str | None = None) -> None:
    _add(CONSENT, reference)
    _remember_invited(reference, invited)


def _remember_invited(reference: str, invited: str | None) -> None:
    if invited:
        known = dict(session.get(INVITED, {}))
        known[reference] = invited
        session[INVITED] = dict(list(known.items())[-KEEP:])


def invited_email(reference: str) -> str | None:
    return (session.get(INVITED) or {}).get(reference)


def may_give_consent(reference: str) -> bool:
    return reference in session.get(CONSENT, []) or may_see_confirmation(reference)


def signed(consent_id: str) -> None:
    _add(SIGNED, consent_id)


def may_see_consent(consent_id: str) -> bool:
    return consent_id in session.get(SIGNED, [])


def allow_young_person(reference: str, invited: str | None = None) -> None:
    session[YOUNG_PERSON] = reference
    session.permanent = True
    _remember_invited(reference, invited)


def young_person_reference() -> str | None:
    value = session.get(YOUNG_PERSON)
    return str(value) if value else None
