"""Every email the service sends, in one catalogue, rendered in the recipient's language.

To add an email: a line in CATALOGUE (its subject, in words to translate), a template
in templates/email/, and a call to `send` from the operation that causes it. Emails are
queued in the outbox in the same transaction as the change they announce, and sent by
`flask send-outbox`; none carries a child's details unless the recipient gave them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import force_locale
from jinja2 import Environment

from portal.common.i18n import lazy_gettext as _l
from portal.common.urls import external_url
from portal.data import family as family_store
from portal.data.family import email_fingerprint
from portal.data.outbox import OutboxMessage, already_queued
from portal.data.register import RegisterEntry
from portal.data.requests import SupportRequest
from portal.data.staff import find_staff
from portal.extensions import db


@dataclass(frozen=True)
class Email:
    subject: Any  # a lazy string; %(reference)s and friends are filled from the context
    template: str  # templates/email/<template>.txt


CATALOGUE: dict[str, Email] = {
    # To the family.
    "request_received": Email(_l("We have your request: %(reference)s"), "request_received"),
    "save_return": Email(_l("Your link to carry on with your request"), "save_return"),
    "family_sign_in": Email(_l("Your link to sign in"), "family_sign_in"),
    "family_message": Email(_l("You have a new message about %(reference)s"),
                            "family_notice"),
    "family_status": Email(_l("There is news about %(reference)s"), "family_notice"),
    "consent_receipt": Email(_l("Consent recorded: %(reference)s"), "consent_receipt"),
    "consent_invitation": Email(_l("You are asked to give consent: %(reference)s"),
                                "consent_invitation"),
    "young_person_invitation": Email(_l("We would like to know what you think"),
                                     "young_person_invitation"),
    "young_person_link": Email(_l("Your link to change your mind"), "young_person_link"),
    "withdrawal_receipt": Email(_l("Consent withdrawn: %(reference)s"), "withdrawal_receipt"),
    "decision_accepted": Email(_l("Our decision about your request: %(reference)s"),
                               "decision_accepted"),
    "decision_declined": Email(_l("Our decision about your request: %(reference)s"),
                               "decision_declined"),
    "meeting_outcome": Email(_l("Your register review: %(reference)s"), "meeting_outcome"),
    "cetr_booked": Email(_l("A review has been booked: %(reference)s"), "cetr_booked"),
    "cetr_outcome": Email(_l("The outcome of a review: %(reference)s"), "cetr_outcome"),
    "reminder_yearly_check": Email(
        _l("Do you still want support from the register? %(reference)s"), "consent_reminder"),
    "reminder_turned_16": Email(_l("Turning 16: their own consent is needed %(reference)s"),
                                "consent_reminder"),
    "reminder_adult_register": Email(_l("Planning for 18: the adult register %(reference)s"),
                                     "consent_reminder"),
    "handover_invitation": Email(_l("Can we tell the adult team about you?"),
                                 "handover_invitation"),
    "handover_family": Email(_l("Turning 18: news about %(reference)s"), "handover_family"),
    "handover_young_person": Email(_l("You are 18: what happens now"),
                                   "handover_young_person"),
    # A professional's or a foster carer's request (portal.cases.referrals).
    "referral_received": Email(_l("We have your referral: %(reference)s"),
                               "referral_received"),
    "referral_young_person": Email(_l("We would like to know what you think"),
                                   "referral_young_person"),
    "referral_council_consent": Email(_l("Consent for the council is asked: %(reference)s"),
                                      "referral_council_consent"),
    "referral_may_follow": Email(_l("You can now follow a referral: %(reference)s"),
                                 "referral_may_follow"),
    # To staff: never a child's name, only the reference and a link to sign in.
    "staff_message": Email(_l("A family has sent a message: %(reference)s"), "staff_notice"),
    "staff_consent_withdrawn": Email(_l("Consent withdrawn: %(reference)s"), "staff_notice"),
    "staff_childs_view": Email(_l("A child has said no: %(reference)s"), "staff_notice"),
    "staff_handover_answer": Email(_l("An answer about the adult register: %(reference)s"),
                                   "handover_staff"),
    "alert_urgent_request": Email(_l("An urgent request has arrived"), "alert_urgent_request"),
    "alert_admission": Email(_l("An admission to hospital has been reported"),
                             "alert_admission"),
    "keyworker_notice": Email(
        _l("There is something new for a child you key-work: %(reference)s"),
        "keyworker_notice"),
    "keyworker_reviews_due": Email(_l("Reviews due this week for children you key-work"),
                                   "keyworker_reviews_due"),
    # About staff accounts: set-up links to their owner, roles to every admin.
    "staff_set_up": Email(_l("Set up your staff account"), "staff_set_up"),
    "staff_role_changed": Email(_l("A staff account has a new role"), "staff_role_changed"),
}


def text_environment() -> Environment:
    """The app's templates, filters and translations, with whitespace kept exactly as
    written: the pages' environment trims the newline after every block tag (a
    `{% endtrans %}` too), which would run an email's lines and paragraphs together."""
    env = current_app.extensions.get("email_text_environment")
    if env is None:
        # Its own cache: the pages' one may hold these templates compiled the other way.
        env = current_app.jinja_env.overlay(trim_blocks=False, lstrip_blocks=False,
                                            keep_trailing_newline=True, cache_size=100)
        current_app.extensions["email_text_environment"] = env
    return env


def render(kind: str, *, locale: str, **context: Any) -> tuple[str, str]:
    """The subject and plain-text body of one email of the catalogue, in `locale`.

    Every email may point the reader to the family sign-in page (`sign_in_url`)."""
    email = CATALOGUE[kind]
    context.setdefault("sign_in_url", external_url("family.sign_in"))
    with force_locale(locale):
        subject = str(email.subject) % context
        template = text_environment().get_template(f"email/{email.template}.txt")
        body = template.render(kind=kind, **context)
    return subject, body.replace("\r\n", "\n")


def send(kind: str, to: str | None, *, locale: str, dedupe: str | None = None,
         **context: Any) -> OutboxMessage | None:
    """Render the email in `locale` and queue it. A dedupe key already used sends nothing."""
    if not to:
        return None
    if dedupe and already_queued(dedupe):
        return None
    subject, body = render(kind, locale=locale, **context)
    message = OutboxMessage(kind=kind, to_address=to, subject=subject, body=body,
                            locale=locale, dedupe_key=dedupe, attempts=0)
    db.session.add(message)
    return message


def family_addresses(req: SupportRequest) -> list[str]:
    """Everyone following the request by email: the requester first."""
    # A professional who referred the child sees where it is, but hears nothing here.
    found = [p.email for p in family_store.people_for(req.id) if p.role != "referrer"]
    if req.contact_email and req.contact_email.lower() not in found:
        found.insert(0, req.contact_email.lower())
    return found


def tell_family(req: SupportRequest, kind: str, dedupe: str | None = None,
                **context: Any) -> None:
    """An email to each person following the request, in the request's language."""
    for address in family_addresses(req):
        send(kind, address, locale=req.locale, reference=req.reference, req=req,
             dedupe=f"{dedupe}:{email_fingerprint(address)}" if dedupe else None, **context)


def staff_addresses(req: SupportRequest, entry: RegisterEntry | None) -> list[str]:
    """Who on the staff side hears about a request: the officer it is assigned to and the
    keyworker (when their contact is an email address), else the team's inbox."""
    found: list[str] = []
    officer = find_staff(req.assigned_to_id) if req.assigned_to_id else None
    if officer is not None and officer.active:
        found.append(officer.email)
    contact = (entry.keyworker_contact or "").strip().lower() if entry else ""
    if entry is not None and entry.keyworker_staff_id is not None:
        contact = ""  # a keyworker with an account hears from portal.cases.keyworkers
    if "@" in contact and " " not in contact and contact not in found:
        found.append(contact)
    return found or [str(current_app.config["TEAM_EMAIL"])]


def tell_staff(req: SupportRequest, entry: RegisterEntry | None, kind: str,
               dedupe: str | None = None) -> None:
    locale = str(current_app.config["BABEL_DEFAULT_LOCALE"])
    for address in staff_addresses(req, entry):
        send(kind, address, locale=locale, reference=req.reference,
             link=external_url("staff.request_view", request_id=req.id),
             dedupe=f"{dedupe}:{email_fingerprint(address)}" if dedupe else None)
