"""The register: every change to an entry, with the figures, the family's page, the emails
and the audit trail kept in step."""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app

from portal.cases import audit, emails, figures, keyworkers, looks, timeline
from portal.cases.operation import Actor, operation, require_role
from portal.common.i18n import gettext
from portal.data.base import utcnow
from portal.data.register import (
    SEVERITY,
    RatingChange,
    RegisterAction,
    RegisterEntry,
    RegisterNote,
)
from portal.data.requests import SupportRequest, find_request
from portal.data.staff import Role
from portal.domain.ratings import Rating
from portal.domain.reviews import below_red_after_discharge, next_review, red_until
from portal.domain.working_days import add_working_days
from portal.extensions import db

CLOSING_REASONS = ("turned_18_adult_register", "consent_withdrawn", "risk_reduced",
                   "moved_area", "childs_view")
CASEWORK = (Role.TRIAGE, Role.MANAGER)


class BelowRedAfterDischarge(Exception):
    """Less than Red too soon after leaving hospital: staff must confirm they mean it."""

    def __init__(self, until: date) -> None:
        super().__init__(until.isoformat())
        self.until = until


def _touch(entry: RegisterEntry) -> None:
    entry.updated_at = utcnow()  # bumps the version even when only a child row changes


def _request(entry: RegisterEntry) -> SupportRequest:
    req = find_request(entry.request_id)
    assert req is not None
    return req


def usual_review(rating: Rating | str, on: date) -> date:
    return next_review(rating, on, current_app.config["REVIEW_DAYS"])


def discharge_floor(entry: RegisterEntry, new: Rating, today: date) -> date | None:
    """The day until which this change would need confirming (Red after discharge)."""
    days = int(current_app.config["RED_AFTER_DISCHARGE_DAYS"])
    discharged = today if entry.rating == Rating.BLUE else entry.discharged_on
    if below_red_after_discharge(new, discharged, today, days):
        return red_until(discharged, days)
    return None


def viewed(entry: RegisterEntry, actor: Actor) -> None:
    """A member of staff opened the entry: on the record, in a write of its own (a look
    never fails the page, and is never lost: see portal.cases.looks)."""
    then = None
    if keyworkers.is_keyworker(entry, actor):  # what was new for them is now read
        entry_id, staff_id = entry.id, int(actor.id or 0)

        def then() -> None:
            keyworkers.mark_read(entry_id, staff_id)

    looks.looked_at(actor, "register.viewed", "register_entry", entry.id, then=then)


@operation
def change_rating(entry: RegisterEntry, actor: Actor, rating: Rating, reason: str, *,
                  confirmed: bool = False, on: date | None = None) -> None:
    """A new rating, with its reason; the next review follows the rating chosen."""
    require_role(actor, *CASEWORK)
    today = on or date.today()
    until = discharge_floor(entry, rating, today)
    if until is not None and not confirmed:
        raise BelowRedAfterDischarge(until)
    before = entry.rating
    reported = entry.flag == "admission_reported"  # the family told us: alerted then
    with figures.tracked(entry):
        entry.rating = rating.value
        entry.severity = SEVERITY[rating.value]
    change = RatingChange(entry_id=entry.id, rating=rating.value, reason=reason,
                          changed_by=actor.name)
    db.session.add(change)
    if before == Rating.BLUE and rating is not Rating.BLUE:
        entry.discharged_on = today
    entry.next_review_on = usual_review(rating, today)
    # A new version even when the rating is confirmed as it was: a save made from the
    # page before this one is then refused, never laid over it.
    _touch(entry)
    if rating is Rating.BLUE:
        entry.flag = None  # the reported admission has been acted on
        if entry.cetr_next_on is None:
            entry.cetr_next_on = today + timedelta(weeks=2)  # after an admission
    db.session.flush()
    audit.record(actor, "register.rating", "register_entry", entry.id,
                 **{"from": before, "to": rating.value, "confirmed_below_red": bool(until)})
    if rating is Rating.BLUE and before != Rating.BLUE and not reported:
        from portal.cases.alerts import admission_reported
        admission_reported(entry, f"rating:{change.id}")
    if entry.rating_released:
        emails.tell_family(_request(entry), "family_status",
                           dedupe=f"status:rating:{change.id}")


@operation
def change_details(entry: RegisterEntry, actor: Actor, *, keyworker: str | None,
                   keyworker_contact: str | None, next_review_on: date,
                   cetr_last_on: date | None, cetr_next_on: date | None,
                   keyworker_staff_id: int | None = None) -> None:
    """`keyworker_staff_id`: a keyworker with a staff account (their name, and their email
    unless a contact is typed); None: the name typed, someone without an account."""
    require_role(actor, *CASEWORK)
    before = (entry.keyworker, entry.keyworker_staff_id)
    with figures.tracked(entry):
        entry.keyworker = keyworker or None
        entry.keyworker_contact = keyworker_contact or None
        keyworkers.link(entry, actor, keyworker_staff_id)
    if (entry.keyworker, entry.keyworker_staff_id) != before:
        keyworkers.keyworker_changed(entry, actor)
    entry.next_review_on = next_review_on
    entry.cetr_last_on = cetr_last_on
    entry.cetr_next_on = cetr_next_on
    _touch(entry)
    audit.record(actor, "register.details", "register_entry", entry.id)


@operation
def add_action(entry: RegisterEntry, actor: Actor, description: str, owner: str,
               due_on: date, agency_id: int | None = None) -> RegisterAction:
    """`agency_id`: assigned to a partner agency, who accepts and closes it."""
    require_role(actor, *CASEWORK)
    action = RegisterAction(entry_id=entry.id, description=description, owner=owner,
                            due_on=due_on, created_by=actor.name, agency_id=agency_id)
    db.session.add(action)
    db.session.flush()
    _touch(entry)
    audit.record(actor, "register.action", "register_entry", entry.id, action=action.id,
                 **({"agency": agency_id} if agency_id else {}))
    return action


@operation
def action_done(entry: RegisterEntry, action: RegisterAction, actor: Actor) -> None:
    require_role(actor, *CASEWORK)
    if action.done_at is None:
        action.done_at = utcnow()
        _touch(entry)
        audit.record(actor, "register.action_done", "register_entry", entry.id,
                     action=action.id)


@operation
def add_note(entry: RegisterEntry, actor: Actor, body: str) -> None:
    require_role(actor, *CASEWORK)
    db.session.add(RegisterNote(entry_id=entry.id, body=body, author=actor.name))
    _touch(entry)
    audit.record(actor, "register.note", "register_entry", entry.id)


@operation
def close(entry: RegisterEntry, actor: Actor, reason: str, *, tell: bool = True) -> None:
    """The entry leaves the live register (kept as history) and the family is told."""
    if entry.closed_at is not None:
        return
    with figures.tracked(entry):
        entry.closed_at = utcnow()
        entry.closed_reason = reason
    audit.record(actor, "register.closed", "register_entry", entry.id, reason=reason)
    req = _request(entry)
    if reason != "consent_withdrawn":
        timeline.step(req, "left_register", status="left_register")
    if tell:
        emails.tell_family(req, "family_status", dedupe=f"status:{req.reference}:closed")


@operation
def release_rating(entry: RegisterEntry, actor: Actor, released: bool) -> None:
    """Register managers choose when the family can see the rating."""
    require_role(actor, Role.MANAGER)
    entry.rating_released = released
    _touch(entry)
    audit.record(actor, "register.released", "register_entry", entry.id, released=released)
    if released:
        emails.tell_family(_request(entry), "family_status",
                           dedupe=f"status:released:{entry.id}:{entry.version_id}")


@operation
def meeting_outcome(entry: RegisterEntry, actor: Actor, *, meeting_on: date, rating: Rating,
                    review_in_days: int | None, outcome: str, confirmed: bool = False) -> None:
    """The monthly meeting reviewed this entry: its rating, next review and what was agreed.
    The family hears within 2 working days (the message is queued now, once a meeting)."""
    changed = rating.value != entry.rating
    if changed:
        change_rating(entry, actor, rating, gettext("Meeting on %(day)s",
                                                    day=meeting_on.isoformat()),
                      confirmed=confirmed, on=meeting_on)
    entry.next_review_on = (meeting_on + timedelta(days=review_in_days) if review_in_days
                            else usual_review(rating, meeting_on))
    db.session.add(RegisterNote(entry_id=entry.id, body=outcome, author=actor.name))
    _touch(entry)
    audit.record(actor, "register.meeting_outcome", "register_entry", entry.id,
                 meeting=meeting_on.isoformat(), rating_changed=changed)
    req = _request(entry)
    emails.send("meeting_outcome", req.contact_email, locale=req.locale,
                reference=req.reference, req=req,
                by=add_working_days(meeting_on, 2, current_app.config["BANK_HOLIDAYS"]),
                dedupe=f"meeting:{entry.id}:{meeting_on.isoformat()}")


@operation
def exported(actor: Actor, rows: int) -> None:
    require_role(actor, Role.MANAGER)
    audit.record(actor, "register.exported", "register", "all", rows=rows)
