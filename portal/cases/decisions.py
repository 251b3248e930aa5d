"""Triage decisions: ask for more information, decline, accept onto the register, or close
a request as the same child as another one."""

from __future__ import annotations

from datetime import date

from flask import current_app

from portal.cases import audit, emails, figures, keyworkers, timeline
from portal.cases.operation import Actor, NotAllowed, operation
from portal.cases.requests import add_message, move
from portal.data.base import utcnow
from portal.data.consent import status_for
from portal.data.register import (
    SEVERITY,
    RatingChange,
    RegisterEntry,
    active_entry_for_child,
    child_key,
)
from portal.data.requests import LIVE_STATES, SupportRequest, find_request
from portal.data.staff import Role
from portal.domain.consent import add_months
from portal.domain.ratings import Rating
from portal.domain.request_states import State
from portal.extensions import db


class AlreadyOnRegister(Exception):
    """The same child already has a live entry: join this request to it instead."""

    def __init__(self, entry: RegisterEntry) -> None:
        super().__init__(f"entry {entry.id}")
        self.entry = entry


class NhsConflict(Exception):
    """Another child has this NHS number: one of them is wrong. Correct it first."""

    def __init__(self, other: SupportRequest) -> None:
        super().__init__(other.reference)
        self.other = other


class ConsentNotReady(Exception):
    """Consent is not valid, or a child's no has not been weighed yet."""


def _decided(req: SupportRequest) -> None:
    req.decided_at = utcnow()
    figures.record_decision(req.decided_at.date(),
                            (req.decided_at.date() - req.submitted_at.date()).days)


@operation
def ask_for_information(req: SupportRequest, actor: Actor, question: str) -> None:
    add_message(req, from_staff=True, author=actor.name, body=question)
    move(req, State.MORE_INFO_REQUESTED, actor)
    timeline.step(req, "more_info_requested", status="more_info_requested")
    emails.tell_family(req, "family_message", dedupe=f"more_info:{req.id}:{req.version_id}")


@operation
def decline(req: SupportRequest, actor: Actor, reason: str, help_text: str) -> None:
    req.decline_reason = reason
    req.decline_help = help_text
    _decided(req)
    move(req, State.DECLINED, actor)
    timeline.step(req, "declined", status="not_added")
    emails.send("decision_declined", req.contact_email, locale=req.locale,
                reference=req.reference, req=req, reason=reason, help_text=help_text,
                dedupe=f"decision:{req.reference}")
    emails.tell_family(req, "family_status", dedupe=f"status:{req.reference}:declined")


def nhs_conflict(req: SupportRequest) -> SupportRequest | None:
    """Another live request for a different child with the same NHS number."""
    if req.nhs_conflict_with_id is None:
        return None
    other = find_request(req.nhs_conflict_with_id)
    if other is None or other.state not in LIVE_STATES or other.nhs_number != req.nhs_number:
        return None
    return other


@operation
def accept(req: SupportRequest, actor: Actor, *, rating: Rating, keyworker: str | None,
           first_review: date, reason: str,
           keyworker_staff_id: int | None = None) -> RegisterEntry:
    """Add the child to the register with a rating, a keyworker and a first review."""
    if not actor.has_role(Role.TRIAGE, Role.MANAGER):
        raise NotAllowed("only triage officers and register managers add to the register")
    status = status_for(req)
    if not status.valid or status.needs_staff_decision:
        raise ConsentNotReady(req.reference)
    other = nhs_conflict(req)
    if other is not None:
        raise NhsConflict(other)
    key = child_key(req.nhs_number, req.child_name, req.child_date_of_birth)
    existing = active_entry_for_child(key)
    if existing is not None:
        raise AlreadyOnRegister(existing)
    today = date.today()
    entry = RegisterEntry(
        request_id=req.id, child_key=key, child_name=req.child_name,
        child_date_of_birth=req.child_date_of_birth, nhs_number=req.nhs_number,
        rating=rating.value, severity=SEVERITY[rating.value], keyworker=keyworker or None,
        next_review_on=first_review, added_on=today,
        cetr_next_on=(add_months(today, int(current_app.config["CETR_MONTHS_BLUE"]))
                      if rating is Rating.BLUE else None))
    db.session.add(entry)
    db.session.flush()
    keyworkers.link(entry, actor, keyworker_staff_id)
    if entry.keyworker is not None:
        keyworkers.keyworker_changed(entry, actor)
    db.session.add(RatingChange(entry_id=entry.id, rating=rating.value, reason=reason,
                                changed_by=actor.name))
    figures.record_change({}, figures.of(entry), today)
    _decided(req)
    move(req, State.ACCEPTED, actor)
    timeline.step(req, "accepted", status="on_register")
    audit.record(actor, "register.added", "register_entry", entry.id, request=req.id,
                 rating=rating.value)
    from portal.cases.referrals import record_referrer
    record_referrer(entry, req, actor)  # the professional who asked: among those involved
    emails.send("decision_accepted", req.contact_email, locale=req.locale,
                reference=req.reference, req=req, dedupe=f"decision:{req.reference}")
    emails.tell_family(req, "family_status", dedupe=f"status:{req.reference}:accepted")
    return entry


@operation
def close_as_duplicate(req: SupportRequest, actor: Actor, other: SupportRequest, *,
                       join: bool, note: str) -> None:
    """This request is the same child as `other`. Joined: what the family sent is read with
    the other request (and its entry). Closed: it adds nothing new."""
    if other.id == req.id:
        raise ValueError("a request cannot be a duplicate of itself")
    req.duplicate_of_id = other.id
    req.possible_duplicate_of_id = None
    move(req, State.DUPLICATE, actor, of=other.id, joined=join)
    timeline.step(req, "joined" if join else "duplicate",
                  status="joined" if join else "duplicate")
    audit.record(actor, "request.duplicate", "request", other.id, duplicate=req.id,
                 joined=join, note=note)
    emails.tell_family(req, "family_status", dedupe=f"status:{req.reference}:duplicate")

