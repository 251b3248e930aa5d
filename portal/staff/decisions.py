"""Triage decisions and register changes: each one audited, the family told where it should be."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale

from portal.common import notify
from portal.common.i18n import gettext
from portal.data import audit, outbox, stats
from portal.data import register as entries
from portal.data.base import utcnow
from portal.data.requests import SupportRequest, add_message, move_request
from portal.data.staff import StaffUser
from portal.domain.consent import add_months
from portal.domain.ratings import Rating
from portal.domain.request_states import State


def figures(entry: entries.RegisterEntry) -> dict[str, int]:
    return stats.contribution(live=entry.closed_at is None, rating=entry.rating,
                              has_keyworker=entry.keyworker is not None)


@contextmanager
def tracked(entry: entries.RegisterEntry) -> Iterator[None]:
    """Keep the dashboard's figures in step with whatever the block changes."""
    before = figures(entry)
    yield
    stats.record_change(before, figures(entry), date.today())


def _decided(req: SupportRequest) -> None:
    req.decided_at = utcnow()
    stats.record_decision(req.decided_at.date(),
                          (req.decided_at.date() - req.submitted_at.date()).days)


class AlreadyOnRegister(Exception):
    def __init__(self, entry: entries.RegisterEntry) -> None:
        super().__init__(f"entry {entry.id}")
        self.entry = entry


def _tell_family(req: SupportRequest, kind: str, dedupe: str | None = None,
                 **context: Any) -> None:
    if not req.contact_email:
        return
    with force_locale(req.locale):
        subjects = {
            "declined": gettext("Our decision about your request: %(reference)s",
                                reference=req.reference),
            "accepted": gettext("Our decision about your request: %(reference)s",
                                reference=req.reference),
        }
        body = render_template(f"email/decision_{kind}.txt", req=req, **context)
    outbox.queue_message(kind=f"decision_{kind}", to_address=req.contact_email,
                         subject=subjects[kind], body=body, locale=req.locale,
                         dedupe_key=dedupe)


def _audit(user: StaffUser, action: str, req: SupportRequest, **detail: Any) -> None:
    audit.record(actor_type="staff", actor_id=str(user.id), action=action,
                 subject_type="request", subject_id=str(req.id), detail=detail)


def assign(req: SupportRequest, user: StaffUser) -> None:
    req.assigned_to_id = user.id
    _audit(user, "request.assigned", req, to=user.id)


def ask_for_information(req: SupportRequest, user: StaffUser, question: str) -> None:
    add_message(req, from_staff=True, author=user.name, body=question)
    move_request(req, State.MORE_INFO_REQUESTED, actor_type="staff", actor_id=str(user.id))
    notify.tell(req, "message")


def send_message(req: SupportRequest, user: StaffUser, body: str) -> None:
    add_message(req, from_staff=True, author=user.name, body=body)
    _audit(user, "request.message", req)
    notify.tell(req, "message")


def decline(req: SupportRequest, user: StaffUser, reason: str, help_text: str) -> None:
    req.decline_reason = reason
    req.decline_help = help_text
    _decided(req)
    move_request(req, State.DECLINED, actor_type="staff", actor_id=str(user.id))
    _tell_family(req, "declined", dedupe=f"decision:{req.reference}", reason=reason,
                 help_text=help_text)
    notify.tell(req, "status", dedupe=f"status:{req.reference}:declined")


def review_date(rating: Rating, today: date) -> date:
    days = int(current_app.config["REVIEW_DAYS"][rating.value])
    return today + timedelta(days=days)


def accept(req: SupportRequest, user: StaffUser, *, rating: Rating, keyworker: str | None,
           first_review: date, reason: str) -> entries.RegisterEntry:
    key = entries.child_key(req.nhs_number, req.child_name, req.child_date_of_birth)
    existing = entries.active_entry_for_child(key)
    if existing is not None:
        raise AlreadyOnRegister(existing)
    today = date.today()
    entry = entries.add_entry(
        request_id=req.id, child_key=key, child_name=req.child_name,
        child_date_of_birth=req.child_date_of_birth, nhs_number=req.nhs_number,
        rating=rating.value, severity=entries.SEVERITY[rating.value],
        keyworker=keyworker or None, next_review_on=first_review,
        added_on=today,
        cetr_next_on=(add_months(today, int(current_app.config["CETR_MONTHS_BLUE"]))
                      if rating is Rating.BLUE else None),
    )
    entries.add_rating_change(entry, rating.value, reason, user.name)
    stats.record_change({}, figures(entry), today)
    _decided(req)
    move_request(req, State.ACCEPTED, actor_type="staff", actor_id=str(user.id))
    audit.record(actor_type="staff", actor_id=str(user.id), action="register.added",
                 subject_type="register_entry", subject_id=str(entry.id),
                 detail={"request": req.id, "rating": rating.value})
    _tell_family(req, "accepted", dedupe=f"decision:{req.reference}")
    notify.tell(req, "status", dedupe=f"status:{req.reference}:accepted")
    return entry


def change_rating(entry: entries.RegisterEntry, user: StaffUser, rating: Rating,
                  reason: str) -> None:
    before = entry.rating
    with tracked(entry):
        entries.set_rating(entry, rating.value)
    entries.add_rating_change(entry, rating.value, reason, user.name)
    entry.next_review_on = min(entry.next_review_on, review_date(rating, date.today()))
    if rating is Rating.BLUE:
        entry.flag = None  # the reported admission has been acted on
    if rating is Rating.BLUE and entry.cetr_next_on is None:
        entry.cetr_next_on = date.today() + timedelta(weeks=2)  # after an admission
    audit.record(actor_type="staff", actor_id=str(user.id), action="register.rating",
                 subject_type="register_entry", subject_id=str(entry.id),
                 detail={"from": before, "to": rating.value})


CLOSING_REASONS = ("turned_18_adult_register", "consent_withdrawn", "risk_reduced",
                   "moved_area")


def close(entry: entries.RegisterEntry, user: StaffUser, reason: str) -> None:
    with tracked(entry):
        entry.closed_at = utcnow()
        entry.closed_reason = reason
    audit.record(actor_type="staff", actor_id=str(user.id), action="register.closed",
                 subject_type="register_entry", subject_id=str(entry.id),
                 detail={"reason": reason})
