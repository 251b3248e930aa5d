"""The hand-over to the adult register at 18, and everything that follows from each step.

- From 17 years 6 months, staff write a transition plan (versioned edits).
- The young person decides, for themselves, whether their details go to the adult
  register: staff send them a personal link to an Easy Read page; a parent cannot answer
  (the actor must be the young person). The answer keeps the exact consent text.
- With their yes, staff may download a hand-over summary and record the referral, and
  later its outcome.
- On the 18th birthday (the daily job, or a register manager on the day) the entry
  closes: "moved_to_adult_register" when the referral was accepted, else "turned_18".
  The family and the young person are told, in the request's language.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app

from portal.cases import audit, emails
from portal.cases import links as link_cases
from portal.cases.operation import Actor, NotAllowed, operation, require_role
from portal.common.urls import external_url
from portal.data import consent as consent_store
from portal.data import handover as store
from portal.data.family import email_fingerprint
from portal.data.register import RegisterEntry
from portal.data.requests import SupportRequest, find_request
from portal.data.staff import Role
from portal.domain.consent import add_months
from portal.extensions import db

ADULT_REFERRAL_LINK = "adult-referral"  # a link's purpose: the young person's own say
CASEWORK = (Role.TRIAGE, Role.MANAGER)
MOVED = "moved_to_adult_register"
TURNED_18 = "turned_18"
PLAN_FROM_MONTHS = 17 * 12 + 6  # transition planning from 17 years 6 months at the latest


class NoConsent(Exception):
    """The young person has not said yes to being referred (or has changed their mind)."""


class NotYet18(Exception):
    """The entry closes for turning 18 on the 18th birthday, not before."""


class ParentsAddress(Exception):
    """The young person's link must go to their own address, not the parent's."""


class TooYoung(Exception):
    """Under 16: the decision is not yet the young person's own (this is for 16 and over)."""


class Closed(Exception):
    """The entry has left the register: nothing more is planned on it."""


# Ages -----------------------------------------------------------------------------------

def eighteenth_birthday(entry: RegisterEntry) -> date:
    return add_months(entry.child_date_of_birth, 18 * 12)


def planning_from(entry: RegisterEntry) -> date:
    return add_months(entry.child_date_of_birth, PLAN_FROM_MONTHS)


def planning_due(entry: RegisterEntry, today: date) -> bool:
    """17 and a half or older: the transition plan is due."""
    return today >= planning_from(entry)


def is_18(entry: RegisterEntry, today: date) -> bool:
    return today >= eighteenth_birthday(entry)


def _request(entry: RegisterEntry) -> SupportRequest:
    req = find_request(entry.request_id)
    assert req is not None
    return req


def _open(entry: RegisterEntry) -> None:
    if entry.closed_at is not None:
        raise Closed(str(entry.id))


def _tell_keyworker(entry: RegisterEntry) -> None:
    """The named keyworker hears (no personal details), where keyworkers are linked."""
    try:
        from portal.cases.keyworkers import tell_keyworker
    except ImportError:
        return
    tell_keyworker(entry, "handover")


def consented(entry: RegisterEntry) -> store.AdultReferralAnswer | None:
    """The young person's yes, if that is the answer that stands now."""
    answer = store.answer_for(entry.id)
    return answer if answer is not None and answer.decision == "yes" else None


# The plan -------------------------------------------------------------------------------

@operation
def save_plan(entry: RegisterEntry, actor: Actor, *, adult_needs: str, lead_name: str,
              lead_organisation: str, adult_services: str | None, wishes: str | None,
              target_referral_on: date | None) -> store.TransitionPlan:
    """Write the transition plan, or change it (each save a new version of the row)."""
    require_role(actor, *CASEWORK)
    _open(entry)
    plan = store.plan_for(entry.id)
    new = plan is None
    if plan is None:
        plan = store.TransitionPlan(entry_id=entry.id)
        db.session.add(plan)
    plan.adult_needs = adult_needs
    plan.lead_name = lead_name
    plan.lead_organisation = lead_organisation
    plan.adult_services = adult_services or None
    plan.wishes = wishes or None
    plan.target_referral_on = target_referral_on
    plan.written_by = actor.name
    db.session.flush()
    audit.record(actor, "handover.plan_written" if new else "handover.plan_changed",
                 "register_entry", entry.id, plan=plan.id, version=plan.version_id)
    return plan


# The young person's own say ---------------------------------------------------------------

def _parents_addresses(req: SupportRequest) -> set[str]:
    if req.requester_role == "young_person" or not req.contact_email:
        return set()
    return {req.contact_email.strip().lower()}


@operation
def send_link(entry: RegisterEntry, actor: Actor, address: str) -> str:
    """Email the young person their own link to say whether they want to be referred.
    Returns the link (staff may also read it out or show it)."""
    require_role(actor, *CASEWORK)
    _open(entry)
    req = _request(entry)
    if date.today() < add_months(entry.child_date_of_birth, 16 * 12):
        raise TooYoung(req.reference)
    address = address.strip().lower()
    if address in _parents_addresses(req):
        raise ParentsAddress(req.reference)
    days = int(current_app.config["CONSENT_LINK_TTL_DAYS"])
    token = link_cases.issue(ADULT_REFERRAL_LINK, ttl=timedelta(days=days),
                             request_id=req.id, subject=address)
    link = external_url("public.adult_referral_link", token=token)
    emails.send("handover_invitation", address, locale=req.locale, reference=req.reference,
                link=link, days=days)
    audit.record(actor, "handover.link_sent", "register_entry", entry.id,
                 to=email_fingerprint(address))
    return link


@operation
def answer(entry: RegisterEntry, actor: Actor, decision: str,
           own_words: str | None) -> store.AdultReferralAnswer:
    """The young person's own answer, against the newest adult-referral text. Nobody else
    can give it: not a parent, not staff."""
    if actor.kind != "young_person":
        raise NotAllowed(f"{actor.kind} cannot answer for the young person")
    if decision not in store.DECISIONS:
        raise ValueError(decision)
    _open(entry)
    req = _request(entry)
    text = consent_store.text_for(store.AUDIENCE, req.locale)
    if text is None:
        raise LookupError(f"no published consent text for {store.AUDIENCE}")
    given = store.AdultReferralAnswer(
        entry_id=entry.id, decision=decision, own_words=own_words or None,
        via=actor.via or "own_link", signer_email=actor.email, locale=text.locale,
        text_id=text.id, text_version=text.version, text_sha256=text.sha256)
    db.session.add(given)
    db.session.flush()
    audit.record(actor, "handover.answered", "register_entry", entry.id, answer=given.id,
                 decision=decision, text_version=text.version, locale=text.locale)
    emails.tell_staff(req, entry, "staff_handover_answer",
                      dedupe=f"staff_handover_answer:{given.id}")
    _tell_keyworker(entry)
    return given


# The summary and the referral -------------------------------------------------------------

@operation
def summary_issued(entry: RegisterEntry, actor: Actor) -> store.AdultReferralAnswer:
    """A member of staff downloads the hand-over summary: only with the young person's
    yes standing."""
    require_role(actor, *CASEWORK)
    given = consented(entry)
    if given is None:
        raise NoConsent(str(entry.id))
    audit.record(actor, "handover.summary_issued", "register_entry", entry.id,
                 answer=given.id)
    return given


@operation
def record_referral(entry: RegisterEntry, actor: Actor, *, sent_on: date, sent_to: str,
                    outcome: str, outcome_on: date | None,
                    note: str | None) -> store.AdultReferral:
    """The referral sent to the adult register, and its outcome when it comes."""
    require_role(actor, *CASEWORK)
    _open(entry)
    if outcome not in store.OUTCOMES:
        raise ValueError(outcome)
    referral = store.referral_for(entry.id)
    given = consented(entry)
    if referral is None and given is None:
        raise NoConsent(str(entry.id))
    new = referral is None
    if referral is None:
        assert given is not None
        referral = store.AdultReferral(entry_id=entry.id, answer_id=given.id)
        db.session.add(referral)
    before = None if new else referral.outcome
    referral.sent_on = sent_on
    referral.sent_to = sent_to
    referral.outcome = outcome
    referral.outcome_on = None if outcome == "waiting" else outcome_on
    referral.note = note or None
    referral.recorded_by = actor.name
    db.session.flush()
    audit.record(actor, "handover.referred" if new else "handover.referral_changed",
                 "register_entry", entry.id, referral=referral.id, outcome=outcome,
                 **({"from": before} if before and before != outcome else {}))
    return referral


# Closing at 18 --------------------------------------------------------------------------

def closing_reason(entry: RegisterEntry) -> str:
    """Moved to the adult register: referred, accepted, and the young person's yes still
    stands (if they changed their mind, they are not moved)."""
    referral = store.referral_for(entry.id)
    accepted = referral is not None and referral.outcome == "accepted"
    return MOVED if accepted and consented(entry) is not None else TURNED_18


@operation
def close_at_18(entry: RegisterEntry, actor: Actor, today: date | None = None) -> str | None:
    """Close the entry on (or after) the 18th birthday. A member of staff must be a
    register manager. Returns the reason, or None if it was already closed."""
    if actor.is_staff:
        require_role(actor, Role.MANAGER)
    elif actor.kind != "system":
        raise NotAllowed(actor.kind)
    today = today or date.today()
    if entry.closed_at is not None:
        return None
    if not is_18(entry, today):
        raise NotYet18(eighteenth_birthday(entry).isoformat())
    from portal.cases.register import close

    reason = closing_reason(entry)
    close(entry, actor, reason, tell=False)
    req = _request(entry)
    moved = reason == MOVED
    audit.record(actor, "handover.closed", "register_entry", entry.id, reason=reason)
    emails.tell_family(req, "handover_family", dedupe=f"handover:{entry.id}", moved=moved)
    given = store.answer_for(entry.id)
    address = given.signer_email if given is not None else None
    if address and address not in {a.lower() for a in emails.family_addresses(req)}:
        emails.send("handover_young_person", address, locale=req.locale,
                    reference=req.reference, moved=moved,
                    dedupe=f"handover:{entry.id}:young_person")
    return reason


@operation
def close_everyone_turned_18(today: date | None = None) -> int:
    """The daily job: every live entry of someone 18 by today leaves the register (one
    missed on an earlier day is caught up). Safe to run again: a closed entry is skipped."""
    today = today or date.today()
    born_by = add_months(today, -18 * 12)
    actor = Actor.system("adult_handover")
    closed = 0
    for entry in store.live_born_between(date(1900, 1, 1), born_by):
        if close_at_18(entry, actor, today) is not None:
            closed += 1
    return closed


# For the migration test: one row in each table ------------------------------------------

def fill_for_migration_test(entry: RegisterEntry, staff: Actor) -> None:
    """A plan, an answer and a referral on `entry` (its age does not matter here)."""
    save_plan(entry, staff, adult_needs="Support at college.", lead_name="Ada Lead",
              lead_organisation="Adult social care", adult_services="Adult CLDT",
              wishes="To stay near home.", target_referral_on=date.today())
    answer(entry, Actor.young_person("young@example.org", via="own_link"), "yes", None)
    record_referral(entry, staff, sent_on=date.today(), sent_to="Adult DSR team",
                    outcome="waiting", outcome_on=None, note=None)
