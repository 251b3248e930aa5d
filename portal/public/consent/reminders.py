"""Consent reminders: the yearly check, turning 16, and the adult register from 17½.

`flask consent-reminders` runs this daily. Each reminder has a key that is the same
however often it runs, so nothing is ever sent twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app, render_template
from flask_babel import force_locale

from portal.common.i18n import gettext
from portal.data import audit, outbox
from portal.data import consent as store
from portal.data.requests import find_request
from portal.domain.consent import Decision, Reminder, Signer, reminders_due
from portal.domain.request_states import State
from portal.public.consent import records

ACTIVE = {State.AWAITING_CONSENT, State.READY_FOR_TRIAGE, State.MORE_INFO_REQUESTED,
          State.ACCEPTED}


@dataclass
class Run:
    queued: int = 0
    no_email: int = 0


def _subject(kind: Reminder, reference: str) -> str:
    if kind is Reminder.YEARLY_CHECK:
        return gettext("Do you still want support from the register? %(reference)s",
                       reference=reference)
    if kind is Reminder.TURNED_16:
        return gettext("Turning 16: their own consent is needed %(reference)s",
                       reference=reference)
    return gettext("Planning for 18: the adult register %(reference)s", reference=reference)


def send_due(today: date | None = None) -> Run:
    today = today or date.today()
    run = Run()
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
            if outbox.already_queued(dedupe):
                continue
            if not req.contact_email:
                run.no_email += 1
                continue
            with force_locale(req.locale):
                link = (records.young_person_link(req) if kind is Reminder.TURNED_16
                        else None)
                body = render_template("email/consent_reminder.txt", kind=kind.value,
                                       req=req, link=link,
                                       days=current_app.config["CONSENT_LINK_TTL_DAYS"])
                subject = _subject(kind, req.reference)
            outbox.queue_message(kind=f"reminder_{kind.value}", to_address=req.contact_email,
                                 subject=subject, body=body, locale=req.locale,
                                 dedupe_key=dedupe)
            audit.record(actor_type="system", action="consent.reminder", subject_type="request",
                         subject_id=str(req.id), detail={"kind": kind.value, "key": key})
            run.queued += 1
    return run
