"""A request's life outside the decisions: sent, looked at, assigned, messages both ways,
an NHS number corrected, and the flags that say two requests may be the same child."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from portal.cases import audit, emails, looks, timeline
from portal.cases.links import parent_consent_link
from portal.cases.operation import Actor, operation
from portal.data.base import utcnow
from portal.data.drafts import Draft
from portal.data.family import FamilyAccess, access_for
from portal.data.register import child_key, entry_for_request
from portal.data.requests import (
    RequestMessage,
    SupportRequest,
    find_request,
    find_request_by_idempotency_key,
    name_key,
    reference_exists,
    requests_pointing_at,
    same_child_candidates,
    unread_family_messages,
)
from portal.domain import references
from portal.domain.dates import ADULT_AGE, age_on
from portal.domain.ratings import suggest_rating
from portal.domain.request_states import State, check_transition
from portal.extensions import db
from portal.questions import catalogue


class NotReady(Exception):
    """The draft still has questions to answer (or the child is 18 or over)."""

    def __init__(self, question: catalogue.Question | None, over_18: bool = False) -> None:
        super().__init__(question.slug if question else "over-18")
        self.question = question
        self.over_18 = over_18


def move(req: SupportRequest, target: State, actor: Actor, **detail: Any) -> None:
    """The only way a request changes state: checked against the allowed moves, audited."""
    before = req.state
    req.state = check_transition(before, target).value
    audit.record(actor, "request.state", "request", req.id, **{"from": before,
                                                               "to": req.state, **detail})


def grant_access(req: SupportRequest, email: str, role: str) -> None:
    """Let this email address follow the request from the family pages."""
    email = email.strip().lower()
    if access_for(email, req.id) is None:
        db.session.add(FamilyAccess(request_id=req.id, email=email, role=role))
        db.session.flush()


def _unique_reference() -> str:
    for _ in range(20):
        candidate = references.new_reference()
        if not reference_exists(candidate):
            return candidate
    raise RuntimeError("could not find a free reference")


@operation
def send(draft: Draft, key: str, *, received_at: datetime | None = None
         ) -> tuple[SupportRequest, bool]:
    """Store the request once. Returns (request, created). Commits.

    A retry with the same key (double click, back and resubmit, a dropped connection)
    finds the request already stored and returns it instead of making another.
    `received_at` is when it reached the team, if earlier than now (a paper referral).
    """
    existing = find_request_by_idempotency_key(key)
    if existing is not None:
        return existing, False
    answers = draft.answers or {}
    missing = catalogue.first_unanswered(answers)
    if missing is not None:
        raise NotReady(missing)
    born = catalogue.date_of_birth(answers)
    if born is None:
        raise NotReady(catalogue.QUESTION_BY_SLUG["date-of-birth"])
    if age_on(born, utcnow().date()) >= ADULT_AGE:
        raise NotReady(None, over_18=True)
    values = catalogue.stored_values(answers)
    suggestion = suggest_rating(in_hospital=values["in_hospital"], risks=values["risks"])
    # Someone may be in danger now: the family was shown the numbers to call, and staff
    # see it on the request.
    danger_now = catalogue.shows_danger(values)
    try:
        req = _store(draft, key, values, suggestion, danger_now, received_at)
        db.session.commit()
    except (IntegrityError, StaleDataError):
        # Another worker stored the same submission a moment ago (a double click on
        # PostgreSQL: this insert waited for theirs, then found the key taken, or the
        # draft gone). Whatever this one had written goes; theirs is the request.
        db.session.rollback()
        existing = find_request_by_idempotency_key(key)
        if existing is None:
            raise
        return existing, False
    return req, True


def _store(draft: Draft, key: str, values: dict[str, Any], suggestion: Any,
           danger_now: bool, received_at: datetime | None) -> SupportRequest:
    req = SupportRequest(
        idempotency_key=key, reference=_unique_reference(), state=State.SUBMITTED.value,
        locale=draft.locale, submitted_at=received_at or utcnow(),
        family_status="awaiting_consent",
        name_key=name_key(values["child_name"]), suggested_rating=suggestion.rating.value,
        suggestion_reasons=list(suggestion.reasons),
        # Urgent (looked at the same working day): Red or Blue signals, or words that
        # show a child in danger now.
        priority=0 if suggestion.rating.is_urgent or danger_now else 1,
        danger_now=danger_now, **values)
    db.session.add(req)
    db.session.flush()
    asker = Actor.family(req.contact_email, via="request") if req.contact_email else Actor(
        "family", via="request")
    audit.record(asker, "request.submitted", "request", req.id, reference=req.reference,
                 suggested_rating=req.suggested_rating, danger_now=req.danger_now)
    from portal.cases import referrals
    referral = referrals.is_referral(req)  # a professional or a foster carer asks
    if req.contact_email and not referral:  # they can sign in by email to follow it
        grant_access(req, req.contact_email, "requester")
    flag_same_child(req)
    # Nobody is on the register without consent: the request waits for it.
    move(req, State.AWAITING_CONSENT, Actor.system())
    timeline.step(req, "sent", at=req.submitted_at)
    if referral:
        referrals.after_referral(req)
    else:
        _confirm(req)
    from portal.cases.alerts import urgent_request
    urgent_request(req)  # suggested Red or Blue, or danger now: the team hears at once
    db.session.delete(draft)
    db.session.flush()
    return req


@operation
def add_contact_email(req: SupportRequest, email: str) -> bool:
    """The person who sent a request without an email address gives one afterwards, to
    follow it online. Kept only if the request has no email address yet (an address
    already given is never replaced this way). Returns whether it was kept.

    The address becomes the request's contact email and may sign in to follow the
    request; the confirmation (reference, and the consent link for a parent) goes there,
    as it would have if it had been given with the request."""
    if req.contact_email:
        return False
    address = email.strip()
    req.contact_email = address
    req.updated_at = utcnow()
    grant_access(req, address, "requester")
    audit.record(Actor.family(address, via="confirmation_page"),
                 "request.contact_email_added", "request", req.id, reference=req.reference)
    _confirm(req)
    return True


def _confirm(req: SupportRequest) -> None:
    consent_url = None if req.requester_role == "young_person" else parent_consent_link(req)
    emails.send("request_received", req.contact_email, locale=req.locale,
                reference=req.reference, weeks=current_app.config["DECISION_TARGET_WEEKS"],
                consent_url=consent_url, days=current_app.config["CONSENT_LINK_TTL_DAYS"],
                dedupe=f"request_received:{req.reference}")


# Looking at it ----------------------------------------------------------------------

def viewed(req: SupportRequest, actor: Actor) -> None:
    """A member of staff opened the request: on the record, and its messages are read.

    Written in a transaction of its own (portal.cases.looks): a look never fails the page
    and is never lost. If the database is busy, the messages are marked read (and the
    family told it is being looked at) at the next look instead."""
    then = None
    if actor.role in {"triage_officer", "register_manager"}:
        request_id = req.id

        def then() -> None:
            _being_read(request_id, actor)

    looks.looked_at(actor, "request.viewed", "request", req.id, then=then)


def _being_read(request_id: int, actor: Actor) -> None:
    req = find_request(request_id)
    if req is None:
        return
    if req.state in (State.READY_FOR_TRIAGE, State.MORE_INFO_REQUESTED):
        timeline.step(req, "being_looked_at", once=True)
    now = utcnow()
    unread = unread_family_messages(req.id)
    for message in unread:
        message.read_at = now
        message.read_by = actor.name
    if unread or req.unread_messages:
        req.unread_messages = 0


@operation
def assign(req: SupportRequest, actor: Actor) -> None:
    req.assigned_to_id = int(actor.id) if actor.id else None
    audit.record(actor, "request.assigned", "request", req.id, to=req.assigned_to_id)
    if req.state in (State.READY_FOR_TRIAGE, State.MORE_INFO_REQUESTED):
        timeline.step(req, "being_looked_at", once=True)


# Messages ---------------------------------------------------------------------------

def add_message(req: SupportRequest, *, from_staff: bool, author: str,
                 body: str) -> RequestMessage:
    message = RequestMessage(request_id=req.id, from_staff=from_staff, author=author,
                             body=body)
    db.session.add(message)
    db.session.flush()
    return message


@operation
def message_from_staff(req: SupportRequest, actor: Actor, body: str) -> RequestMessage:
    message = add_message(req, from_staff=True, author=actor.name, body=body)
    req.updated_at = utcnow()
    audit.record(actor, "request.message", "request", req.id, message=message.id)
    emails.tell_family(req, "family_message", dedupe=f"message:{message.id}")
    return message


@operation
def message_from_family(req: SupportRequest, actor: Actor, body: str) -> RequestMessage:
    """A family's message: marked unread for staff, and the officer or keyworker is told."""
    message = add_message(req, from_staff=False, author=actor.email or "", body=body)
    req.unread_messages = (req.unread_messages or 0) + 1
    if req.state == State.MORE_INFO_REQUESTED:
        move(req, State.READY_FOR_TRIAGE, actor, why="family_replied")
        timeline.step(req, "information_sent", status="with_the_team")
    audit.record(actor, "family.message", "request", req.id, message=message.id)
    entry = entry_for_request(req.id)
    emails.tell_staff(req, entry, "staff_message", dedupe=f"staff_message:{message.id}")
    if entry is not None and entry.closed_at is None:
        from portal.cases.keyworkers import tell_keyworker
        tell_keyworker(entry, "family_message")
    return message


# The same child -----------------------------------------------------------------------

def flag_same_child(req: SupportRequest) -> None:
    """Mark another live request for what looks like the same child (same NHS number and
    child, or same name and date of birth), or for a different child with the same NHS
    number (one of the two numbers must be wrong). Staff decide; nothing is merged."""
    duplicate = conflict = None
    for other in same_child_candidates(nhs_number=req.nhs_number, key=req.name_key,
                                       born=req.child_date_of_birth, exclude_id=req.id):
        same_person = (other.name_key == req.name_key
                       and other.child_date_of_birth == req.child_date_of_birth)
        if same_person and duplicate is None:
            duplicate = other.id
        elif (not same_person and req.nhs_number and other.nhs_number == req.nhs_number
              and conflict is None):
            conflict = other.id
    req.possible_duplicate_of_id = duplicate
    req.nhs_conflict_with_id = conflict


@operation
def correct_nhs_number(req: SupportRequest, actor: Actor, number: str | None) -> None:
    """Staff correct a child's NHS number: on the request and on their register entry."""
    before = req.nhs_number
    req.nhs_number = number or None
    entry = entry_for_request(req.id)
    if entry is not None:
        entry.nhs_number = req.nhs_number
        if entry.closed_at is None:
            entry.child_key = child_key(req.nhs_number, req.child_name, req.child_date_of_birth)
    audit.record(actor, "request.nhs_number", "request", req.id,
                 **{"from": before, "to": req.nhs_number})
    db.session.flush()
    flag_same_child(req)
    for other in requests_pointing_at(req.id):
        flag_same_child(other)
