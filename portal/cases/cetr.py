"""Care, education and treatment reviews (C(E)TRs): asked for, booked, papers sent, held
with recommendations, or cancelled. Each step keeps the entry's C(E)TR dates in step, is
audited, and tells the keyworker; the family hears when one is booked and when the
outcome is recorded.

Rules (DOMAIN.md): a child in hospital (Blue) has a C(E)TR every CETR_MONTHS_BLUE months;
after an admission, one within CETR_POST_ADMISSION_DAYS if no community C(E)TR was held;
papers reach the panel at least CETR_PAPERS_HOURS before, and never without consent.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from portal.cases import audit, emails
from portal.cases import register as register_cases
from portal.cases.operation import Actor, operation, require_role
from portal.data import cetr as store
from portal.data.base import utcnow
from portal.data.consent import status_for
from portal.data.register import RegisterEntry, last_moved_to
from portal.data.requests import SupportRequest, find_request
from portal.data.staff import Role
from portal.domain.consent import add_months
from portal.extensions import db

CASEWORK = (Role.TRIAGE, Role.MANAGER)
KINDS = store.KINDS


class NotOpen(Exception):
    """The review was already held or cancelled (or the entry is closed)."""


class NothingToCountFrom(Exception):
    """No date to count the due date from: it must be chosen."""


class NotBooked(Exception):
    """Papers go to a panel that has a date."""


class NoConsent(Exception):
    """No valid consent now: no papers may go to the panel."""


# Dates -------------------------------------------------------------------------------

def months_blue() -> int:
    return int(current_app.config["CETR_MONTHS_BLUE"])


def post_admission_days() -> int:
    return int(current_app.config["CETR_POST_ADMISSION_DAYS"])


def papers_hours() -> int:
    return int(current_app.config["CETR_PAPERS_HOURS"])


def zone() -> ZoneInfo:
    return ZoneInfo(str(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Europe/London"))


def uk_moment(day: date, hour: int, minute: int) -> datetime:
    """A day and a time on a UK clock, as an aware datetime in UTC."""
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone())
    return local.astimezone(ZoneInfo("UTC"))


def uk_day(moment: datetime) -> date:
    return moment.astimezone(zone()).date()


def admission_day(entry: RegisterEntry) -> date | None:
    """The day the entry last became Blue (in hospital), if it is Blue now."""
    if entry.rating != "blue":
        return None
    change = last_moved_to(entry.id, "blue")
    return uk_day(change.changed_at) if change is not None else entry.added_on


def last_held_on(entry: RegisterEntry) -> date | None:
    held = store.last_held(entry.id)
    days = [d for d in (held.held_on if held else None, entry.cetr_last_on) if d]
    return max(days) if days else None


def due_by_for(kind: str, *, last_held: date | None, admitted_on: date | None,
               chosen: date | None) -> date:
    """Inpatient: CETR_MONTHS_BLUE months after the last; post-admission:
    CETR_POST_ADMISSION_DAYS after the admission; community: the date chosen. A date
    chosen by staff always wins."""
    if chosen is not None:
        return chosen
    if kind == "inpatient" and last_held is not None:
        return add_months(last_held, months_blue())
    if kind == "post_admission" and admitted_on is not None:
        return admitted_on + timedelta(days=post_admission_days())
    raise NothingToCountFrom(kind)


def papers_deadline(booked_for: datetime) -> datetime:
    return booked_for - timedelta(hours=papers_hours())


# Keeping the entry in step -----------------------------------------------------------

def _when(review: store.CetrReview) -> date:
    return uk_day(review.booked_for) if review.booked_for is not None else review.due_by


def _sync(entry: RegisterEntry) -> None:
    """The entry's last C(E)TR is the newest held; its next is the soonest open review, or
    for a child in hospital CETR_MONTHS_BLUE months after the last."""
    db.session.flush()
    last = last_held_on(entry)
    if last is not None:
        entry.cetr_last_on = last
    open_ones = [r for r in store.reviews_for(entry.id) if r.is_open]
    if open_ones:
        entry.cetr_next_on = min(_when(r) for r in open_ones)
    elif entry.rating == "blue":
        entry.cetr_next_on = add_months(last, months_blue()) if last else entry.cetr_next_on
    else:
        entry.cetr_next_on = None
    entry.updated_at = utcnow()


def _tell_keyworker(entry: RegisterEntry) -> None:
    try:
        from portal.cases.keyworkers import tell_keyworker  # type: ignore[import-not-found]
    except ImportError:  # keyworkers are not linked to accounts in this version
        return
    tell_keyworker(entry, "cetr")


def _request(entry: RegisterEntry) -> SupportRequest:
    req = find_request(entry.request_id)
    assert req is not None
    return req


def _open(review: store.CetrReview, entry: RegisterEntry) -> None:
    if not review.is_open or entry.closed_at is not None or review.entry_id != entry.id:
        raise NotOpen(str(review.id))


# Operations --------------------------------------------------------------------------

@operation
def request_review(entry: RegisterEntry, actor: Actor, *, kind: str, reason: str,
                   due_by: date | None = None, admitted_on: date | None = None,
                   today: date | None = None) -> store.CetrReview:
    """A C(E)TR is asked for, with why and the date it is due by."""
    require_role(actor, *CASEWORK)
    if entry.closed_at is not None:
        raise NotOpen("entry closed")
    if kind not in KINDS:
        raise ValueError(kind)
    if kind == "post_admission" and admitted_on is None:
        admitted_on = admission_day(entry)
    due = due_by_for(kind, last_held=last_held_on(entry), admitted_on=admitted_on,
                     chosen=due_by)
    review = store.CetrReview(
        entry_id=entry.id, kind=kind, reason=reason, requested_on=today or date.today(),
        admitted_on=admitted_on if kind == "post_admission" else None, due_by=due,
        papers_late=False, created_by=actor.name or actor.kind)
    db.session.add(review)
    db.session.flush()
    _sync(entry)
    audit.record(actor, "cetr.requested", "register_entry", entry.id, review=review.id,
                 kind=kind, due_by=due.isoformat())
    _tell_keyworker(entry)
    return review


@operation
def book(review: store.CetrReview, entry: RegisterEntry, actor: Actor, *,
         booked_for: datetime, panel: str, chair: str) -> None:
    """The date and time, the panel and its chair. The family is told (again, if it
    moves)."""
    require_role(actor, *CASEWORK)
    _open(review, entry)
    moved = review.booked_for is not None
    review.booked_for = booked_for
    review.papers_due_at = papers_deadline(booked_for)
    review.panel = panel
    review.chair = chair
    if review.papers_sent_at is not None:
        review.papers_late = review.papers_sent_at > review.papers_due_at
    _sync(entry)
    audit.record(actor, "cetr.booked", "register_entry", entry.id, review=review.id,
                 booked_for=booked_for.isoformat(), moved=moved)
    req = _request(entry)
    emails.tell_family(req, "cetr_booked", dedupe=f"cetr_booked:{review.id}:"
                       f"{booked_for.isoformat()}", when=booked_for)
    _tell_keyworker(entry)


@operation
def papers_sent(review: store.CetrReview, entry: RegisterEntry, actor: Actor, *,
                now: datetime | None = None) -> bool:
    """The papers went to the panel: only with valid consent now. Late is allowed, and
    marked. Returns whether they were late."""
    require_role(actor, *CASEWORK)
    if not status_for(_request(entry)).valid:
        raise NoConsent(str(review.id))  # nothing changed: papers_refused records it
    _open(review, entry)
    if review.booked_for is None or review.papers_due_at is None:
        raise NotBooked(str(review.id))
    moment = now or utcnow()
    review.papers_sent_at = moment
    review.papers_sent_by = actor.name or actor.kind
    review.papers_late = moment > review.papers_due_at
    entry.updated_at = utcnow()
    audit.record(actor, "cetr.papers_sent", "register_entry", entry.id, review=review.id,
                 late=review.papers_late)
    return review.papers_late


@operation
def papers_refused(review: store.CetrReview, entry: RegisterEntry, actor: Actor) -> None:
    """Someone tried to send papers without valid consent: on the record."""
    audit.record(actor, "cetr.papers_refused", "register_entry", entry.id, review=review.id,
                 why="no_valid_consent")


@operation
def record_outcome(review: store.CetrReview, entry: RegisterEntry, actor: Actor, *,
                   held_on: date, outcome: str, panel_notes: str | None,
                   recommendations: Sequence[tuple[str, str, date]]) -> None:
    """Held: the outcome the family reads, the panel's notes (staff only), and each
    recommendation as an action on the entry with who does it and by when."""
    require_role(actor, *CASEWORK)
    _open(review, entry)
    review.held_on = held_on
    review.outcome = outcome
    review.panel_notes = panel_notes or None
    for description, owner, due_on in recommendations:
        action = register_cases.add_action(entry, actor, description, owner, due_on)
        db.session.add(store.CetrRecommendation(review_id=review.id, action_id=action.id))
    _sync(entry)
    audit.record(actor, "cetr.held", "register_entry", entry.id, review=review.id,
                 held_on=held_on.isoformat(), on_time=held_on <= review.due_by,
                 recommendations=len(recommendations))
    emails.tell_family(_request(entry), "cetr_outcome", dedupe=f"cetr_outcome:{review.id}",
                       held_on=held_on)
    _tell_keyworker(entry)


@operation
def cancel(review: store.CetrReview, entry: RegisterEntry, actor: Actor, reason: str) -> None:
    """Called off, with why. A family told of a date hears there is news."""
    require_role(actor, *CASEWORK)
    if not review.is_open or review.entry_id != entry.id:
        raise NotOpen(str(review.id))
    review.cancelled_at = utcnow()
    review.cancel_reason = reason
    if entry.closed_at is None:
        _sync(entry)
    audit.record(actor, "cetr.cancelled", "register_entry", entry.id, review=review.id)
    if review.booked_for is not None:
        emails.tell_family(_request(entry), "family_status",
                           dedupe=f"status:cetr_cancelled:{review.id}")
    _tell_keyworker(entry)
