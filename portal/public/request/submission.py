"""Turning a finished draft into a request: exactly once, whatever the network does."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale, gettext
from sqlalchemy.exc import IntegrityError

from portal.data import audit, family, outbox
from portal.data.base import utcnow
from portal.data.drafts import Draft
from portal.data.requests import (
    SupportRequest,
    find_request_by_idempotency_key,
    move_request,
    reference_exists,
)
from portal.domain import nhs_number, postcodes, references
from portal.domain.dates import ADULT_AGE, age_on
from portal.domain.ratings import suggest_rating
from portal.domain.request_states import State
from portal.extensions import db
from portal.public.consent import records
from portal.public.request import steps


class NotReady(Exception):
    """The draft still has questions to answer (or the child is 18 or over)."""

    def __init__(self, step: steps.Step | None, over_18: bool = False) -> None:
        super().__init__(step.slug if step else "over-18")
        self.step = step
        self.over_18 = over_18


def _text(answers: dict[str, Any], key: str) -> str | None:
    value = answers.get(key)
    return value or None


def build_request(draft: Draft) -> SupportRequest:
    answers = draft.answers or {}
    missing = steps.first_unanswered(answers)
    if missing is not None:
        raise NotReady(missing)
    born = steps.date_of_birth(answers)
    if born is None:
        raise NotReady(steps.STEP_BY_SLUG["date-of-birth"])
    if age_on(born, date.today()) >= ADULT_AGE:
        raise NotReady(None, over_18=True)
    risks = [str(r) for r in answers.get("risks") or []]
    in_hospital = answers.get("in_hospital") == "yes"
    suggestion = suggest_rating(in_hospital=in_hospital, risks=risks)
    own = steps.is_self(answers)
    services = [s for s in answers.get("services") or [] if s != "none"]
    nhs = _text(answers, "nhs_number")
    return SupportRequest(
        idempotency_key=draft.idempotency_key,
        state=State.SUBMITTED.value,
        locale=draft.locale,
        submitted_at=utcnow(),
        requester_role=answers["who"],
        requester_name=answers["child_name"] if own else answers["requester_name"],
        requester_relationship=_text(answers, "relationship"),
        contact_email=_text(answers, "contact_email"),
        contact_phone=_text(answers, "contact_phone"),
        contact_method=answers["contact_method"],
        child_name=answers["child_name"],
        child_preferred_name=_text(answers, "child_preferred_name"),
        child_date_of_birth=born,
        nhs_number=nhs_number.normalise(nhs) if nhs else None,
        postcode=postcodes.normalise(answers["postcode"]) or answers["postcode"],
        living_situation=answers["living_situation"],
        education_setting=answers["education_setting"],
        autism=answers["autism"],
        learning_disability=answers["learning_disability"],
        in_hospital=in_hospital,
        risks=risks,
        risks_in_own_words=_text(answers, "risks_in_own_words"),
        services=services,
        tried=_text(answers, "tried"),
        would_help=_text(answers, "would_help"),
        communication_needs=_text(answers, "communication_needs"),
        preferred_language=answers.get("preferred_language") or "English",
        needs_interpreter=bool(answers.get("needs_interpreter")),
        suggested_rating=suggestion.rating.value,
        suggestion_reasons=list(suggestion.reasons),
        priority=0 if suggestion.rating.is_urgent else 1,
    )


def _unique_reference() -> str:
    for _ in range(20):
        candidate = references.new_reference()
        if not reference_exists(candidate):
            return candidate
    raise RuntimeError("could not find a free reference")


def _queue_confirmation(request: SupportRequest) -> None:
    if not request.contact_email:
        return
    with force_locale(request.locale):
        subject = gettext("We have your request: %(reference)s", reference=request.reference)
        body = render_template(
            "email/request_received.txt",
            reference=request.reference,
            weeks=current_app.config["DECISION_TARGET_WEEKS"],
            consent_url=(None if request.requester_role == "young_person"
                         else records.parent_consent_link(request)),
            days=current_app.config["CONSENT_LINK_TTL_DAYS"],
        )
    outbox.queue_message(
        kind="request_received", to_address=request.contact_email, subject=subject, body=body,
        locale=request.locale, dedupe_key=f"request_received:{request.reference}",
    )


def submit(draft: Draft, idempotency_key: str) -> tuple[SupportRequest, bool]:
    """Store the request once. Returns (request, created). Commits.

    A retry with the same key (double click, back and resubmit, a dropped connection)
    finds the request already stored and returns it instead of making another.
    """
    existing = find_request_by_idempotency_key(idempotency_key)
    if existing is not None:
        return existing, False
    request = build_request(draft)
    request.reference = _unique_reference()
    db.session.add(request)
    db.session.flush()
    audit.record(
        actor_type="family", action="request.submitted", subject_type="request",
        subject_id=str(request.id),
        detail={"reference": request.reference, "suggested_rating": request.suggested_rating},
    )
    if request.contact_email:  # they can sign in by email to follow the request
        family.grant(request.id, request.contact_email, "requester")
    # Nobody is on the register without consent: the request waits for it.
    move_request(request, State.AWAITING_CONSENT, actor_type="system")
    _queue_confirmation(request)
    db.session.delete(draft)
    try:
        db.session.commit()
    except IntegrityError:
        # Another worker stored the same submission a moment ago.
        db.session.rollback()
        existing = find_request_by_idempotency_key(idempotency_key)
        if existing is None:
            raise
        return existing, False
    return request, True
