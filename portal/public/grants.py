"""What this browser may do, kept in its (signed) session.

There are no accounts for giving consent: a browser earns the right to act on a request
by sending it, or by opening a single-use link from an email. Each grant is narrow (the
right to give consent is not the right to read the request) and says who the browser
acts for: the parent side (the person who sent the request, or a parent or carer from
their consent link) or the young person (their own link, or their own request). A
browser that acts for one side of a request can never act for the other: a parent who
opens the young person's link in their own browser is turned away.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import session

REQUESTS = "submitted_references"  # sent from this browser: confirmation and consent
CONSENT = "consent_references"  # may give a parent's consent (from an emailed link)
SIGNED = "signed_consents"  # consent records signed in this browser
YOUNG_PERSON = "young_person"  # the young person's own page: reference, email, how
SIDES = "sides"  # reference -> "parent" | "young_person"
INVITED = "invited_emails"  # reference -> the address a consent link was sent to
KEEP = 10

PARENT = "parent"
YOUNG = "young_person"
REFERRER = "referrer"  # a professional or a foster carer who sent the request


def _add(key: str, value: str) -> None:
    seen = [v for v in session.get(key, []) if v != value]
    session[key] = (seen + [value])[-KEEP:]


def _remember(key: str, reference: str, value: str) -> None:
    known = dict(session.get(key) or {})
    known.pop(reference, None)
    known[reference] = value
    session[key] = dict(list(known.items())[-KEEP:])


def side(reference: str) -> str | None:
    """Who this browser acts for on this request, if anyone yet."""
    value = (session.get(SIDES) or {}).get(reference)
    return str(value) if value else None


def may_act_as(reference: str, wanted: str) -> bool:
    found = side(reference)
    return found is None or found == wanted


def _take_side(reference: str, wanted: str) -> None:
    _remember(SIDES, reference, wanted)


def sent_request(reference: str, *, by_young_person: bool, referrer: bool = False) -> None:
    """A professional or a foster carer who sent a request acts for neither side: they
    never give consent, nor answer for the young person."""
    _add(REQUESTS, reference)
    _take_side(reference, REFERRER if referrer else YOUNG if by_young_person else PARENT)


def may_see_confirmation(reference: str) -> bool:
    return reference in session.get(REQUESTS, [])


def allow_consent(reference: str, invited: str | None = None) -> None:
    """A parent's consent link was used in this browser."""
    _add(CONSENT, reference)
    _take_side(reference, PARENT)
    if invited:
        _remember(INVITED, reference, invited)


def invited_email(reference: str) -> str | None:
    return (session.get(INVITED) or {}).get(reference)


def may_give_consent(reference: str) -> bool:
    """May give a parent's consent: the browser that sent it (for someone else's child),
    or one that opened a parent's consent link."""
    return side(reference) == PARENT and (reference in session.get(CONSENT, [])
                                          or may_see_confirmation(reference))


def signed(consent_id: str) -> None:
    _add(SIGNED, consent_id)


def may_see_consent(consent_id: str) -> bool:
    return consent_id in session.get(SIGNED, [])


@dataclass(frozen=True)
class YoungPersonGrant:
    reference: str
    email: str | None  # where their link was sent (their receipt goes there)
    via: str  # "own_link" or "own_request"


def allow_young_person(reference: str, *, email: str | None, via: str) -> None:
    session[YOUNG_PERSON] = {"reference": reference, "email": email, "via": via}
    session.permanent = True
    _take_side(reference, YOUNG)


def young_person() -> YoungPersonGrant | None:
    value = session.get(YOUNG_PERSON)
    if not isinstance(value, dict) or not value.get("reference"):
        return None
    reference = str(value["reference"])
    if side(reference) != YOUNG:
        return None
    return YoungPersonGrant(reference, value.get("email"), str(value.get("via") or ""))
