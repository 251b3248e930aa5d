"""Consent: texts published, answers given, findings recorded, consent withdrawn, and
everything that follows from each (the request, the register entry, the family's page,
who is told, the audit trail). The rules of who decides are in portal.domain.consent.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from flask import current_app
from flask_babel import force_locale

from portal.cases import audit, emails, timeline
from portal.cases.links import (
    parent_consent_link,
    withdraw_link,
    young_person_link,
)
from portal.cases.operation import Actor, NotAllowed, operation, require_role
from portal.cases.requests import grant_access, move
from portal.common.i18n import ngettext
from portal.data import consent as store
from portal.data.base import utcnow
from portal.data.family import FamilyUpdate, open_notices_for
from portal.data.outbox import already_queued
from portal.data.register import entry_for_request
from portal.data.requests import SupportRequest, find_request
from portal.data.staff import Role
from portal.domain.consent import (
    CAPACITY_FINDINGS,
    OWN_DECISION_AGE,
    ConsentStatus,
    Decision,
    Reminder,
    Signer,
    StaffFinding,
    decides_for_themselves,
    finding_applies,
    is_adult,
    may_answer,
    may_withdraw,
    reminders_due,
)
from portal.domain.request_states import OPEN, State
from portal.extensions import db

TEXTS = Path(__file__).resolve().parents[1] / "consent_texts"


class NotValidHere(Exception):
    """18 or over on the day: this register is for under-18s (the adult one is not here)."""


class FindingDoesNotApply(Exception):
    """Gillick competence is for under-16s, lack of capacity for 16 and 17."""


# Texts ------------------------------------------------------------------------------

def bundled_texts() -> dict[tuple[str, str], str]:
    """The texts shipped with this release, with the settings filled in, in the text's
    own language ("{retention_months}" becomes "6 months", or "1 month")."""
    config = current_app.config
    found = {}
    for path in sorted(TEXTS.glob("*.txt")):
        audience, locale = path.stem.split(".", 1)
        months, years = (int(config["RETENTION_ACTIVE_MONTHS"]),
                         int(config["RETENTION_ARCHIVE_YEARS"]))
        with force_locale(locale):
            found[(audience, locale)] = path.read_text(encoding="utf-8").format(
                retention_months=ngettext("%(count)s month", "%(count)s months", months,
                                          count=months),
                retention_years=ngettext("%(count)s year", "%(count)s years", years,
                                         count=years),
            )
    return found


@operation
def publish_text(audience: str, locale: str, body: str, actor: Actor
                 ) -> tuple[store.ConsentText, bool]:
    """Publish a new version; the same words as the newest version publish nothing.
    Returns (the text now in force, whether it is new)."""
    body = body.strip() + "\n"
    current = store.latest_text(audience, locale)
    digest = store.text_hash(body)
    if current is not None and current.sha256 == digest:
        return current, False
    text = store.ConsentText(audience=audience, locale=locale,
                             version=store.next_version(audience, locale), body=body,
                             sha256=digest, published_by=actor.name or actor.kind)
    db.session.add(text)
    db.session.flush()
    audit.record(actor, "consent_text.published", "consent_text", text.id,
                 audience=audience, locale=locale, version=text.version, sha256=text.sha256)
    return text, True


@operation
def publish_bundled_texts(actor: Actor | None = None) -> list[store.ConsentText]:
    """Publish each shipped text whose words differ from its newest published version."""
    actor = actor or Actor.system("release")
    published = []
    for (audience, locale), body in bundled_texts().items():
        text, new = publish_text(audience, locale, body, actor)
        if new:
            published.append(text)
    return published


def text_audience(req: SupportRequest, signer: Signer) -> str:
    """Which text a signer reads: a parent's, a young person deciding for themselves, or a
    child under 16 giving their view (their parent or carer decides)."""
    if signer is Signer.PARENT:
        return "parent"
    findings = [StaffFinding(f.finding) for f in store.findings_for(req.id)]
    if decides_for_themselves(req.child_date_of_birth, date.today(), findings):
        return "young_person"
    return "child"


# Invitations ------------------------------------------------------------------------

@operation
def invite_parent(req: SupportRequest, actor: Actor, address: str) -> None:
    """Someone without parental responsibility sends the link to someone who has it."""
    emails.send("consent_invitation", address, locale=req.locale, reference=req.reference,
                request=req, link=parent_consent_link(req, address),
                days=current_app.config["CONSENT_LINK_TTL_DAYS"])
    audit.record(actor, "consent.invited", "request", req.id, audience="parent")


@operation
def invite_young_person(req: SupportRequest, actor: Actor, address: str) -> None:
    emails.send("young_person_invitation", address, locale=req.locale,
                reference=req.reference, request=req, link=young_person_link(req, address),
                days=current_app.config["CONSENT_LINK_TTL_DAYS"])
    audit.record(actor, "consent.invited", "request", req.id, audience="young_person")


@operation
def young_person_code(req: SupportRequest, actor: Actor) -> str:
    """A link for the young person to scan on their own phone (no email kept)."""
    link = young_person_link(req)
    audit.record(actor, "consent.invited", "request", req.id, audience="young_person",
                 how="code")
    return link


@operation
def send_young_person_their_link(consent: store.Consent, address: str, actor: Actor) -> None:
    """A young person who answered without an email address gets their own link to change
    their mind: asked for on their thank-you page, or sent by the team when they ask."""
    if actor.is_staff:
        require_role(actor, Role.TRIAGE, Role.MANAGER)
    elif actor.kind != Signer.YOUNG_PERSON:
        raise NotAllowed("only the young person, or the team for them, asks for this link")
    req = find_request(consent.request_id)
    if req is None:
        return
    emails.send("young_person_link", address, locale=req.locale, reference=req.reference,
                link=withdraw_link(consent),
                days=current_app.config["WITHDRAW_LINK_TTL_DAYS"])
    audit.record(actor, "consent.link_sent", "request", req.id, consent=consent.id)


# Answers ----------------------------------------------------------------------------

@operation
def sign(req: SupportRequest, actor: Actor, *, signer: Signer, name: str,
         relationship: str, parental_responsibility: bool, decision: Decision,
         own_words: str | None) -> store.Consent:
    """Record one answer, by the person it belongs to, against the newest text they read."""
    if not may_answer(signer, actor.kind):
        raise NotAllowed(f"{actor.kind} cannot answer as {signer}")
    if is_adult(req.child_date_of_birth, date.today()):
        raise NotValidHere(req.reference)
    audience = text_audience(req, signer)
    text = store.text_for(audience, req.locale)
    if text is None:
        raise LookupError(f"no published consent text for {audience} in {req.locale}")
    consent = store.Consent(
        request_id=req.id, signer_role=signer.value, signer_name=name,
        relationship=relationship, parental_responsibility=parental_responsibility,
        decision=decision.value, own_words=own_words or None, method="online",
        via=actor.via, signer_email=actor.email, locale=text.locale, text_id=text.id,
        text_version=text.version, text_sha256=text.sha256)
    db.session.add(consent)
    db.session.flush()
    audit.record(actor, "consent.given", "request", req.id, consent=consent.id,
                 decision=consent.decision, text_version=text.version, locale=text.locale,
                 audience=audience)
    status = _refresh(req, actor)
    if actor.email:
        if signer is Signer.PARENT:
            grant_access(req, actor.email, "parent")
        elif status.age >= OWN_DECISION_AGE:
            grant_access(req, actor.email, "young_person")  # their own access at 16
        emails.send("consent_receipt", actor.email, locale=req.locale,
                    reference=req.reference, request=req, consent=consent,
                    withdraw_url=withdraw_link(consent),
                    dedupe=f"consent_receipt:{consent.id}")
    if signer is Signer.YOUNG_PERSON and status.needs_staff_decision:
        _childs_view_heard(req, consent)
    return consent


def _childs_view_heard(req: SupportRequest, consent: store.Consent) -> None:
    """A child under 16 said no (or wants to talk first) though a parent said yes: staff
    must weigh it, and the family is told in plain words."""
    db.session.add(FamilyUpdate(request_id=req.id, kind="childs_no", events=[consent.decision],
                                details=consent.own_words, sent_by="young_person"))
    timeline.step(req, "childs_view")
    entry = entry_for_request(req.id)
    emails.tell_staff(req, entry, "staff_childs_view", dedupe=f"staff_childs_view:{consent.id}")
    emails.tell_family(req, "family_status", dedupe=f"status:{req.reference}:childs_view:"
                       f"{consent.id}")


def _refresh(req: SupportRequest, actor: Actor) -> ConsentStatus:
    """Move the request on when consent is complete."""
    status = store.status_for(req)
    if status.valid and State(req.state) in {State.SUBMITTED, State.AWAITING_CONSENT}:
        move(req, State.READY_FOR_TRIAGE, actor, why="consent_complete")
        from portal.cases.alerts import urgent_request
        urgent_request(req)  # once per recipient: nothing more if sent when it arrived
        timeline.step(req, "consent_complete", status="with_the_team")
        emails.tell_family(req, "family_status",
                           dedupe=f"status:{req.reference}:consent_complete")
    return status


# Withdrawal -------------------------------------------------------------------------

@operation
def withdraw(consent: store.Consent, actor: Actor, *, name: str,
             reason: str | None) -> store.ConsentWithdrawal:
    """The person who gave an answer takes it back. Whatever stood on it falls with it."""
    if not may_withdraw(consent.signer_role, actor.kind):
        raise NotAllowed(f"{actor.kind} cannot withdraw a {consent.signer_role}'s answer")
    existing = store.withdrawal_for(consent.id)
    if existing is not None:
        return existing
    req = find_request(consent.request_id)
    assert req is not None
    withdrawal = store.ConsentWithdrawal(consent_id=consent.id, withdrawn_by_name=name,
                                         reason=reason or None)
    db.session.add(withdrawal)
    db.session.flush()
    audit.record(actor, "consent.withdrawn", "request", req.id, consent=consent.id,
                 withdrawal=withdrawal.id, signer=consent.signer_role)
    status = store.status_for(req)
    state = State(req.state)
    entry = entry_for_request(req.id)
    if not status.valid and (state in OPEN or state is State.ACCEPTED):
        move(req, State.WITHDRAWN, actor, why="consent_withdrawn")
        timeline.step(req, "withdrawn", status="withdrawn")
        if entry is not None and entry.closed_at is None:
            from portal.cases.register import close

            close(entry, actor, "consent_withdrawn", tell=False)
        emails.tell_family(req, "family_status", dedupe=f"status:{req.reference}:withdrawn")
    if state is not State.DECLINED and state is not State.DUPLICATE:
        db.session.add(FamilyUpdate(request_id=req.id, kind="consent_withdrawn",
                                    events=[consent.signer_role, "valid" if status.valid
                                            else "not_valid"],
                                    details=withdrawal.reason, sent_by=consent.signer_role))
        emails.tell_staff(req, entry, "staff_consent_withdrawn",
                          dedupe=f"staff_withdrawn:{withdrawal.id}")
    address = receipt_address(consent, req)
    if address:
        emails.send("withdrawal_receipt", address, locale=req.locale,
                    reference=req.reference, request=req, withdrawal=withdrawal,
                    consent=consent, months=current_app.config["RETENTION_ACTIVE_MONTHS"],
                    years=current_app.config["RETENTION_ARCHIVE_YEARS"],
                    dedupe=f"withdrawal_receipt:{withdrawal.id}")
    return withdrawal


def receipt_address(consent: store.Consent, req: SupportRequest) -> str | None:
    """Where the signer's receipts go: their own address. (A parent's answer recorded before
    signers' addresses were kept went to the address on the request.)"""
    if consent.signer_email:
        return consent.signer_email
    if consent.via is None and consent.signer_role == Signer.PARENT:
        return req.contact_email
    return None


# Staff findings ---------------------------------------------------------------------

@operation
def record_finding(req: SupportRequest, actor: Actor, finding: StaffFinding, *, note: str,
                   assessed_by: str | None = None,
                   assessed_on: date | None = None) -> ConsentStatus:
    """A register manager records Gillick competence (under 16), or a lack of capacity for
    this decision with a best-interests decision (16 or 17)."""
    if finding in CAPACITY_FINDINGS:
        require_role(actor, Role.MANAGER)
    status = store.status_for(req)
    if not finding_applies(finding, status.age):
        raise FindingDoesNotApply(finding.value)
    db.session.add(store.StaffFindingRecord(
        request_id=req.id, finding=finding.value, recorded_by=actor.name or actor.kind,
        recorded_by_id=int(actor.id) if actor.is_staff and actor.id else None, note=note,
        assessed_by=assessed_by, assessed_on=assessed_on))
    db.session.flush()
    audit.record(actor, "consent.finding", "request", req.id, finding=finding.value)
    return _refresh(req, actor)


@operation
def go_ahead_despite_childs_view(req: SupportRequest, actor: Actor, reason: str) -> None:
    """Staff heard a child's no and decided to go ahead, saying why."""
    require_role(actor, Role.TRIAGE, Role.MANAGER)
    record_finding(req, actor, StaffFinding.PROCEED_DESPITE_CHILDS_VIEW, note=reason)
    for notice in open_notices_for(req.id, "childs_no"):
        notice.handled_at = utcnow()
        notice.handled_by = actor.name


# Reminders --------------------------------------------------------------------------

ACTIVE = {State.AWAITING_CONSENT, State.READY_FOR_TRIAGE, State.MORE_INFO_REQUESTED,
          State.ACCEPTED}


@operation
def send_reminders(today: date | None = None) -> tuple[int, int]:
    """Queue the reminders due today: (queued, due with no email address). Each has a key
    that is the same however often this runs, so nothing is ever sent twice."""
    today = today or date.today()
    queued = no_email = 0
    for request_id in store.requests_with_consent():
        req = find_request(request_id)
        if req is None or State(req.state) not in ACTIVE:
            continue
        standing = [c for c, withdrawn in store.consents_for(req.id) if withdrawn is None]
        last_signed = max(c.signed_at for c in standing).date()
        young_yes = any(c.signer_role == Signer.YOUNG_PERSON and c.decision == Decision.YES
                        for c in standing)
        for kind, key in reminders_due(req.child_date_of_birth, today, last_signed, young_yes):
            dedupe = f"reminder:{req.reference}:{key}"
            if already_queued(dedupe):
                continue
            if not req.contact_email:
                no_email += 1
                continue
            link = young_person_link(req) if kind is Reminder.TURNED_16 else None
            emails.send(f"reminder_{kind.value}", req.contact_email, locale=req.locale,
                        reference=req.reference, req=req, link=link,
                        days=current_app.config["CONSENT_LINK_TTL_DAYS"], dedupe=dedupe,
                        reminder=kind.value)
            audit.record(Actor.system("reminders"), "consent.reminder", "request", req.id,
                         kind=kind.value, key=key)
            queued += 1
    return queued, no_email
