"""Demo requests for a local portal: made-up children, no real people.

Loaded through the application layer, as if families had sent them, so demo data goes
through the same rules, emails and audit trail as real requests.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from portal.cases import consent, drafts, requests
from portal.cases.operation import Actor
from portal.data.base import utcnow
from portal.data.requests import find_request_by_idempotency_key
from portal.domain.consent import Decision, Signer
from portal.questions.catalogue import QUESTIONS

DEMO = [
    ("Ada Example", 15, False, ["severe_distress", "placement_unstable", "crisis_contact"]),
    ("Ben Example", 11, False, ["school_exclusion", "family_strain"]),
    ("Cara Example", 16, True, ["previous_admission"]),
    ("Dev Example", 9, False, ["needs_increasing"]),
    ("Eli Example", 13, False, ["youth_justice", "behaviour_concern"]),
    ("Fay Example", 17, False, ["transition_soon", "support_changes"]),
]


def _answers(index: int, name: str, born: date, in_hospital: bool,
             risks: list[str]) -> dict[str, Any]:
    return {
        "who": "parent", "child_name": name, "child_preferred_name": None,
        "child_dob": {"day": str(born.day), "month": str(born.month), "year": str(born.year)},
        "nhs_number": "", "postcode": "LS1 4AP", "living_situation": "family_home",
        "education_setting": "Example Academy", "autism": "diagnosed",
        "learning_disability": "suspected", "in_hospital": "yes" if in_hospital else "no",
        "risks": risks, "risks_in_own_words": "Demo request: made-up details.",
        "services": ["school", "gp"], "tried": "", "would_help": "",
        "communication_needs": "", "preferred_language": "English",
        "needs_interpreter": False, "requester_name": f"Parent of {name}",
        "contact_email": f"family{index}@example.com", "contact_phone": "",
        "contact_method": "email", "_done": [q.slug for q in QUESTIONS],
    }


def seed() -> int:
    """Add the demo requests that are not there yet. Returns how many were added."""
    added = 0
    today = date.today()
    for index, (name, age, in_hospital, risks) in enumerate(DEMO, start=1):
        key = f"demo-request-{index}"
        if find_request_by_idempotency_key(key):
            continue
        born = today.replace(year=today.year - age) - timedelta(days=40)
        draft = drafts.start("en")
        drafts.save_answers(draft, _answers(index, name, born, in_hospital, risks))
        req, _ = requests.send(draft, key, received_at=utcnow() - timedelta(days=index * 3))
        if index % 3:  # most have a parent's consent, so staff have a queue to triage
            consent.sign(req, Actor.parent(req.contact_email, via="demo"),
                         signer=Signer.PARENT, name=req.requester_name, relationship="Parent",
                         parental_responsibility=True, decision=Decision.YES, own_words=None)
            if age >= 16:
                consent.sign(req, Actor.young_person(None, via="demo"),
                             signer=Signer.YOUNG_PERSON, name=name,
                             relationship="young_person", parental_responsibility=False,
                             decision=Decision.YES, own_words=None)
        added += 1
    return added
