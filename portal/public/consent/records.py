"""Consent as the service keeps it: texts, signatures, withdrawals and their effects.

Views and commands call these; the rules of who must consent live in
portal.domain.consent, and the queries in portal.data.consent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale

from portal.common import links, notify
from portal.common.i18n import gettext
from portal.common.urls import external_url
from portal.data import audit, outbox
from portal.data import consent as store
from portal.data.requests import SupportRequest, move_request
from portal.domain.consent import (
    ConsentStatus,
    Decision,
    Given,
    Signer,
    StaffFinding,
    consent_status,
)
from portal.domain.request_states import State

TEXTS = Path(__file__).resolve().parents[2] / "consent_texts"
WITHDRAW = "withdraw"
PARENT_LINK = "parent-consent"
YOUNG_PERSON_LINK = "young-person-consent"
OPEN_STATES = {State.SUBMITTED, State.AWAITING_CONSENT, State.READY_FOR_TRIAGE,
               State.MORE_INFO_REQUESTED, State.ACCEPTED}


# Texts ------------------------------------------------------------------------------

@dataclass
class Block:
    picture: str | None = None
    heading: str | None = None
    items: list[tuple[str, str]] = field(default_factory=list)  # ("p" | "li", text)


def blocks(body: str) -> list[Block]:
    """Split a consent text into blocks: `## heading`, `@picture`, `- item`, paragraphs."""
    result: list[Block] = []
    current = Block()
    for raw in body.splitlines():
        line = raw.strip()
        if not line:
            if current.items or current.heading or current.picture:
                result.append(current)
            current = Block()
        elif line.startswith("@"):
            current.picture = line[1:].strip()
        elif line.startswith("## "):
            current.heading = line[3:].strip()
        elif line.startswith("- "):
            current.items.append(("li", line[2:].strip()))
        else:
            current.items.append(("p", line))
    if current.items or current.heading or current.picture:
        result.append(current)
    return result


def bundled_texts() -> dict[tuple[str, str], str]:
    """The texts shipped with this release, with the settings filled in."""
    config = current_app.config
    found = {}
    for path in sorted(TEXTS.glob("*.txt")):
        audience, locale = path.stem.split(".", 1)
        found[(audience, locale)] = path.read_text(encoding="utf-8").format(
            retention_months=config["RETENTION_ACTIVE_MONTHS"],
            retention_years=config["RETENTION_ARCHIVE_YEARS"],
        )
    return found


def publish_bundled_texts(published_by: str = "release") -> list[store.ConsentText]:
    """Publish each shipped text whose words differ from its newest published version."""
    published = []
    for (audience, locale), body in bundled_texts().items():
        before = store.latest_text(audience, locale)
        text = store.publish_text(audience, locale, body, published_by)
        if before is None or before.id != text.id:
            audit.record(actor_type="system", actor_id=published_by,
                         action="consent_text.published", subject_type="consent_text",
                         subject_id=str(text.id),
                         detail={"audience": audience, "locale": locale,
                                 "version": text.version, "sha256": text.sha256})
            published.append(text)
    return published


# Status -----------------------------------------------------------------------------

def standing_answers(request: SupportRequest) -> list[Given]:
    return [
        Given(signer=Signer(c.signer_role), decision=Decision(c.decision),
              parental_responsibility=c.parental_responsibility)
        for c, withdrawn in store.consents_for(request.id) if withdrawn is None
    ]


def status_for(request: SupportRequest, today: date | None = None) -> ConsentStatus:
    findings = [StaffFinding(f.finding) for f in store.findings_for(request.id)]
    return consent_status(request.child_date_of_birth, today or date.today(),
                          standing_answers(request), findings)


def refresh_state(request: SupportRequest, actor_type: str, *, after_withdrawal: bool = False
                  ) -> ConsentStatus:
    """Move the request on when consent is complete, or to withdrawn when it is taken back."""
    status = status_for(request)
    state = State(request.state)
    if after_withdrawal and not status.valid and state in OPEN_STATES:
        move_request(request, State.WITHDRAWN, actor_type=actor_type,
                     detail={"why": "consent_withdrawn"})
        notify.tell(request, "status", dedupe=f"status:{request.reference}:withdrawn")
    elif status.valid and state in {State.SUBMITTED, State.AWAITING_CONSENT}:
        move_request(request, State.READY_FOR_TRIAGE, actor_type=actor_type,
                     detail={"why": "consent_complete"})
        notify.tell(request, "status", dedupe=f"status:{request.reference}:consent_complete")
    return status


# Signing ----------------------------------------------------------------------------

def sign(request: SupportRequest, *, signer: Signer, name: str, relationship: str,
         parental_responsibility: bool, decision: Decision, own_words: str | None,
         locale: str) -> store.Consent:
    """Record one consent answer against the newest text in the signer's language."""
    text = store.text_for(signer.value, locale)
    if text is None:
        raise LookupError(f"no published consent text for {signer} in {locale}")
    consent = store.add_consent(
        request_id=request.id, signer_role=signer.value, signer_name=name,
        relationship=relationship, parental_responsibility=parental_responsibility,
        decision=decision.value, own_words=own_words or None, method="online",
        locale=text.locale, text_id=text.id, text_version=text.version,
        text_sha256=text.sha256,
    )
    audit.record(actor_type=signer.value, action="consent.given", subject_type="request",
                 subject_id=str(request.id),
                 detail={"consent": consent.id, "decision": consent.decision,
                         "text_version": text.version, "locale": text.locale})
    refresh_state(request, signer.value)
    if request.contact_email:
        _queue_receipt(request, consent)
    return consent


def withdraw_link(consent: store.Consent) -> str:
    days = int(current_app.config["WITHDRAW_LINK_TTL_DAYS"])
    token = links.issue(WITHDRAW, ttl=timedelta(days=days), request_id=consent.request_id,
                        subject=consent.id)
    return external_url("public.withdraw_link", token=token)


def parent_consent_link(request: SupportRequest, email: str | None = None) -> str:
    """A link to give a parent's consent. With an email, whoever uses it may follow the
    request from that address afterwards."""
    days = int(current_app.config["CONSENT_LINK_TTL_DAYS"])
    token = links.issue(PARENT_LINK, ttl=timedelta(days=days), request_id=request.id,
                        subject=email)
    return external_url("public.consent_link", token=token)


def young_person_link(request: SupportRequest, email: str | None = None) -> str:
    days = int(current_app.config["CONSENT_LINK_TTL_DAYS"])
    token = links.issue(YOUNG_PERSON_LINK, ttl=timedelta(days=days), request_id=request.id,
                        subject=email)
    return external_url("public.young_person_link", token=token)


def _queue_receipt(request: SupportRequest, consent: store.Consent) -> None:
    with force_locale(request.locale):
        subject = gettext("Consent recorded: %(reference)s", reference=request.reference)
        body = render_template("email/consent_receipt.txt", request=request, consent=consent,
                               withdraw_url=withdraw_link(consent))
    outbox.queue_message(kind="consent_receipt", to_address=str(request.contact_email),
                         subject=subject, body=body, locale=request.locale,
                         dedupe_key=f"consent_receipt:{consent.id}")


def queue_parent_invitation(request: SupportRequest, address: str) -> None:
    with force_locale(request.locale):
        subject = gettext("You are asked to give consent: %(reference)s",
                          reference=request.reference)
        body = render_template("email/consent_invitation.txt", request=request,
                               link=parent_consent_link(request, address),
                               days=current_app.config["CONSENT_LINK_TTL_DAYS"])
    outbox.queue_message(kind="consent_invitation", to_address=address, subject=subject,
                         body=body, locale=request.locale)


def queue_young_person_invitation(request: SupportRequest, address: str) -> None:
    with force_locale(request.locale):
        subject = gettext("We would like to know what you think")
        body = render_template("email/young_person_invitation.txt", request=request,
                               link=young_person_link(request, address),
                               days=current_app.config["CONSENT_LINK_TTL_DAYS"])
    outbox.queue_message(kind="young_person_invitation", to_address=address, subject=subject,
                         body=body, locale=request.locale)


# Withdrawal -------------------------------------------------------------------------

def withdraw(consent: store.Consent, request: SupportRequest, *, name: str,
             reason: str | None) -> store.ConsentWithdrawal:
    withdrawal = store.add_withdrawal(consent, name, reason)
    audit.record(actor_type=consent.signer_role, action="consent.withdrawn",
                 subject_type="request", subject_id=str(request.id),
                 detail={"consent": consent.id, "withdrawal": withdrawal.id})
    refresh_state(request, consent.signer_role, after_withdrawal=True)
    if request.contact_email:
        with force_locale(request.locale):
            subject = gettext("Consent withdrawn: %(reference)s", reference=request.reference)
            body = render_template("email/withdrawal_receipt.txt", request=request,
                                   withdrawal=withdrawal, consent=consent,
                                   months=current_app.config["RETENTION_ACTIVE_MONTHS"],
                                   years=current_app.config["RETENTION_ARCHIVE_YEARS"])
        outbox.queue_message(kind="withdrawal_receipt", to_address=request.contact_email,
                             subject=subject, body=body, locale=request.locale,
                             dedupe_key=f"withdrawal_receipt:{withdrawal.id}")
    return withdrawal


def record_finding(request: SupportRequest, finding: StaffFinding, *, recorded_by: str,
                   note: str) -> ConsentStatus:
    store.add_finding(request.id, finding.value, recorded_by, note)
    audit.record(actor_type="staff", actor_id=recorded_by, action="consent.finding",
                 subject_type="request", subject_id=str(request.id),
                 detail={"finding": finding.value})
    return refresh_state(request, "staff")
