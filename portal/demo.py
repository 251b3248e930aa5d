"""Demo requests for a local portal: made-up children, no real people.

Loaded through the application layer, as if families had sent them, so demo data goes
through the same rules, emails and audit trail as real requests.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

import pyotp

from portal.cases import consent, drafts, requests
from portal.cases import staff as staff_cases
from portal.cases.operation import Actor
from portal.common.auth import code_secret_of, hash_password
from portal.data.base import utcnow
from portal.data.requests import find_request_by_idempotency_key
from portal.data.staff import Role, StaffUser, find_staff_by_email
from portal.domain.consent import Decision, Signer
from portal.questions.catalogue import QUESTIONS

# For trying the service on your own machine only: the command refuses anywhere else.
DEMO_PASSWORD = "Kingfisher-Lantern-Demo-7"  # noqa: S105 - a made-up demo account's
DEMO_STAFF = [
    (Role.TRIAGE, "triage@demo.example", "Tess Triage (demo)"),
    (Role.MANAGER, "manager@demo.example", "Rhea Manager (demo)"),
    (Role.PARTNER, "partner@demo.example", "Pat Partner (demo)"),
    (Role.ADMIN, "admin@demo.example", "Ada Admin (demo)"),
]

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


def seed_staff() -> list[tuple[Role, str, bool]]:
    """One demo account per role, with its two-factor codes already set up, so the staff
    side can be tried without an authenticator app (`flask staff-code EMAIL` gives the
    current code). Returns (role, email, whether it was added now)."""
    made = []
    for role, email, name in DEMO_STAFF:
        if find_staff_by_email(email) is not None:
            made.append((role, email, False))
            continue
        user = staff_cases.create(Actor.system("seed-demo"), email=email, name=name,
                                  role=role, password_hash=hash_password(DEMO_PASSWORD))
        staff_cases.code_secret(user)
        staff_cases.code_used(user, 0, enrolling=True)  # set up, as if by an app
        made.append((role, email, True))
    from portal.cases.partners import seed_demo_agencies

    seed_demo_agencies()
    from portal.cases.keyworkers import seed_demo as seed_demo_keyworkers

    seed_demo_keyworkers()
    return made


def current_code(user: StaffUser) -> str:
    """The code an authenticator app would show now (for trying the service locally)."""
    secret = code_secret_of(user)
    if not secret:
        raise LookupError("this account has not set up its codes yet")
    return str(pyotp.TOTP(secret).at(time.time()))
