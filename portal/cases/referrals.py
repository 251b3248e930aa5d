"""Professionals and foster carers ask for a child to be added; councils consent for a
child under a care order.

- A professional's or a foster carer's request is sent like any other (it waits for
  consent), but the confirmation goes to the person who asked, and the person who gives
  consent gets their own link: a parent or carer with parental responsibility, the young
  person at 16 or over, or, for a child under a care order, the child's social worker
  for the council. The person who asked never gives it (portal.domain.consent).
- The family decides whether the professional may see where the request is: if yes,
  the professional follows it from the family sign-in, status only (FamilyAccess role
  "referrer": no answers, no messages, no family emails).
- When the child is added, the professional is named among the people involved on the
  child's entry.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app

from portal.cases import audit, emails
from portal.cases import consent as consent_cases
from portal.cases.links import issue, parent_consent_link, young_person_link
from portal.cases.operation import Actor, NotAllowed, operation
from portal.cases.requests import grant_access
from portal.common.urls import external_url
from portal.data import consent as store
from portal.data.referrals import (
    COUNCIL_RELATIONSHIP,
    REFERRER_ACCESS,
    CouncilConsent,
    EntryContact,
    contacts_for,
)
from portal.data.register import RegisterEntry
from portal.data.requests import SupportRequest
from portal.domain.consent import CARE_ORDER_BASIS, CareStatus, Decision, Signer, is_adult
from portal.extensions import db
from portal.questions.forms import REFERRERS

COUNCIL_LINK = "council-consent"  # a link's purpose: the council's consent, care order only
COUNCIL = "council"  # the Actor kind of a social worker consenting for the council


class NotUnderCareOrder(Exception):
    """The council consents only for a child under a care order."""


def is_referral(req: SupportRequest) -> bool:
    return req.requester_role in REFERRERS


def council_consent_link(req: SupportRequest, email: str | None) -> str:
    token = issue(COUNCIL_LINK, ttl=timedelta(days=int(
        current_app.config["CONSENT_LINK_TTL_DAYS"])), request_id=req.id, subject=email)
    return external_url("public.council_consent_link", token=token)


def after_referral(req: SupportRequest) -> None:
    """A professional's or a foster carer's request was just stored (inside `send`): the
    person who gives consent gets their own link, the person who asked a confirmation."""
    days = int(current_app.config["CONSENT_LINK_TTL_DAYS"])
    address = req.contact_email
    if address:
        if req.consent_from == "young_person":
            emails.send("referral_young_person", address, locale=req.locale,
                        reference=req.reference, link=young_person_link(req, address),
                        days=days, dedupe=f"referral_invite:{req.reference}")
        elif req.consent_from == COUNCIL and req.care_status == CareStatus.CARE_ORDER:
            emails.send("referral_council_consent", address, locale=req.locale,
                        reference=req.reference, link=council_consent_link(req, address),
                        days=days, dedupe=f"referral_invite:{req.reference}")
        else:
            emails.send("consent_invitation", address, locale=req.locale,
                        reference=req.reference, request=req,
                        link=parent_consent_link(req, address), days=days,
                        dedupe=f"referral_invite:{req.reference}")
    if req.referrer_email:
        emails.send("referral_received", req.referrer_email, locale=req.locale,
                    reference=req.reference, consent_from=req.consent_from,
                    care_status=req.care_status,
                    weeks=current_app.config["DECISION_TARGET_WEEKS"],
                    dedupe=f"referral_received:{req.reference}")
    audit.record(Actor("referrer", via="request"), "referral.sent", "request", req.id,
                 asker=req.requester_role, consent_from=req.consent_from,
                 care_status=req.care_status)


@operation
def sign_for_council(req: SupportRequest, actor: Actor, *, name: str, job_title: str,
                     council: str) -> store.Consent:
    """A named social worker consents for the council, for a child under a care order:
    the council shares parental responsibility with the parents (Children Act 1989 s.31).
    Recorded against the parents' text, with the council and the legal basis beside it."""
    if actor.kind != COUNCIL:
        raise NotAllowed(f"{actor.kind} cannot consent for the council")
    if req.care_status != CareStatus.CARE_ORDER:
        raise NotUnderCareOrder(req.reference)
    if is_adult(req.child_date_of_birth, date.today()):
        raise consent_cases.NotValidHere(req.reference)
    text = store.text_for(Signer.PARENT.value, req.locale)
    if text is None:
        raise LookupError(f"no published consent text for parents in {req.locale}")
    consent = store.Consent(
        request_id=req.id, signer_role=Signer.COUNCIL.value, signer_name=name,
        relationship=COUNCIL_RELATIONSHIP, parental_responsibility=True,
        decision=Decision.YES.value, own_words=None, method="online", via=actor.via,
        signer_email=actor.email, locale=text.locale, text_id=text.id,
        text_version=text.version, text_sha256=text.sha256)
    db.session.add(consent)
    db.session.flush()
    db.session.add(CouncilConsent(consent_id=consent.id, council=council,
                                  job_title=job_title, legal_basis=CARE_ORDER_BASIS))
    audit.record(actor, "consent.given", "request", req.id, consent=consent.id,
                 decision=consent.decision, text_version=text.version, locale=text.locale,
                 audience=COUNCIL, legal_basis=CARE_ORDER_BASIS)
    consent_cases._refresh(req, actor)
    if actor.email:
        emails.send("consent_receipt", actor.email, locale=req.locale,
                    reference=req.reference, request=req, consent=consent,
                    withdraw_url=consent_cases.withdraw_link(consent),
                    dedupe=f"consent_receipt:{consent.id}")
    return consent


@operation
def let_referrer_follow(req: SupportRequest, actor: Actor, allowed: bool) -> None:
    """The family (or the young person, or the council) says whether the professional
    who asked may see where the request is. Their first answer stands."""
    if actor.kind not in {Signer.PARENT, Signer.YOUNG_PERSON, COUNCIL}:
        raise NotAllowed(f"{actor.kind} cannot decide who follows the request")
    if not is_referral(req) or req.referrer_may_follow is not None:
        return
    req.referrer_may_follow = allowed
    audit.record(actor, "referral.may_follow", "request", req.id, allowed=allowed)
    if allowed and req.referrer_email:
        grant_access(req, req.referrer_email, REFERRER_ACCESS)
        emails.send("referral_may_follow", req.referrer_email, locale=req.locale,
                    reference=req.reference, link=external_url("family.sign_in"),
                    dedupe=f"referral_may_follow:{req.reference}")


def record_referrer(entry: RegisterEntry, req: SupportRequest, actor: Actor) -> None:
    """On accept (inside it): the professional who asked joins the people involved."""
    if not is_referral(req) or any(c.kind == "referrer" for c in contacts_for(entry.id)):
        return
    contact = EntryContact(entry_id=entry.id, name=req.requester_name,
                           job=req.referrer_job or ("Foster carer" if req.requester_role
                                                    == "foster_carer" else None),
                           organisation=req.referrer_organisation, email=req.referrer_email,
                           kind="referrer")
    db.session.add(contact)
    db.session.flush()
    audit.record(actor, "register.contact_added", "register_entry", entry.id,
                 contact=contact.id, kind="referrer")
