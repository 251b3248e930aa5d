"""Demo requests for a local portal: made-up children, no real people."""

from __future__ import annotations

from datetime import date, timedelta

from portal.data import audit
from portal.data.base import utcnow
from portal.data.requests import SupportRequest, find_request_by_idempotency_key
from portal.domain import references
from portal.domain.ratings import suggest_rating
from portal.domain.request_states import State
from portal.extensions import db

DEMO = [
    ("Ada Example", 15, False, ["severe_distress", "placement_unstable", "crisis_contact"]),
    ("Ben Example", 11, False, ["school_exclusion", "family_strain"]),
    ("Cara Example", 16, True, ["previous_admission"]),
    ("Dev Example", 9, False, ["needs_increasing"]),
    ("Eli Example", 13, False, ["youth_justice", "behaviour_concern"]),
    ("Fay Example", 17, False, ["transition_soon", "support_changes"]),
]


def seed() -> int:
    added = 0
    today = date.today()
    for index, (name, age, in_hospital, risks) in enumerate(DEMO, start=1):
        key = f"demo-request-{index}"
        if find_request_by_idempotency_key(key):
            continue
        suggestion = suggest_rating(in_hospital=in_hospital, risks=risks)
        submitted = utcnow() - timedelta(days=index * 3)
        request = SupportRequest(
            reference=references.new_reference(), idempotency_key=key,
            state=State.SUBMITTED.value, locale="en", submitted_at=submitted,
            requester_role="parent", requester_name=f"Parent of {name}",
            contact_email=f"family{index}@example.com", contact_phone=None,
            contact_method="email", child_name=name, child_preferred_name=None,
            child_date_of_birth=today.replace(year=today.year - age) - timedelta(days=40),
            nhs_number=None, postcode="LS1 4AP", living_situation="family_home",
            education_setting="Example Academy", autism="diagnosed",
            learning_disability="suspected", in_hospital=in_hospital, risks=risks,
            risks_in_own_words="Demo request: made-up details.", services=["school", "gp"],
            tried=None, would_help=None, communication_needs=None,
            preferred_language="English", needs_interpreter=False,
            suggested_rating=suggestion.rating.value,
            suggestion_reasons=list(suggestion.reasons),
            priority=0 if suggestion.rating.is_urgent else 1,
            created_at=submitted, updated_at=submitted,
        )
        db.session.add(request)
        db.session.flush()
        audit.record(actor_type="system", action="request.demo_seeded",
                     subject_type="request", subject_id=str(request.id))
        request.state = State.AWAITING_CONSENT.value
        if index % 3:  # most have a parent's consent, so staff have a queue to triage
            _demo_consent(request, age)
        added += 1
    return added


def _demo_consent(request: SupportRequest, age: int) -> None:
    from portal.domain.consent import Decision, Signer
    from portal.public.consent.records import sign

    sign(request, signer=Signer.PARENT, name=request.requester_name, relationship="Parent",
         parental_responsibility=True, decision=Decision.YES, own_words=None, locale="en")
    if age >= 16:
        sign(request, signer=Signer.YOUNG_PERSON, name=request.child_name,
             relationship="young_person", parental_responsibility=False,
             decision=Decision.YES, own_words=None, locale="en")
