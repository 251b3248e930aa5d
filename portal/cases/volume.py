"""A register at full size for load tests and benchmarks: made-up children, bulk inserted."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from portal.cases import figures
from portal.cases.operation import operation
from portal.data.engine import move_sequences_past_ids
from portal.data.register import SEVERITY, RatingChange, RegisterEntry
from portal.data.requests import SupportRequest, last_request_id
from portal.data.returns import KeyworkerChange
from portal.extensions import db

BATCH = 5000
RATINGS = ["green"] * 4 + ["amber"] * 4 + ["red"] * 2 + ["blue"]


@operation
def seed(requests: int, entries: int, *, seed_value: int = 7, years: int = 5) -> None:
    """Add `requests` requests over `years` years, `entries` of them on the register."""
    rng = random.Random(seed_value)
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.date()
    start = last_request_id()
    open_states = ["ready_for_triage", "awaiting_consent", "more_info_requested"]
    request_rows, entry_rows, change_rows = [], [], []
    for n in range(requests):
        number = start + n + 1
        submitted = now - timedelta(minutes=rng.randrange(years * 365 * 24 * 60))
        accepted = n < entries
        rating = rng.choice(RATINGS)
        decided = submitted + timedelta(days=rng.randrange(1, 40))
        if decided > now:
            decided = now
        state = ("accepted" if accepted else rng.choice(
            ["declined", "withdrawn", *open_states] if n % 50 else open_states))
        born = today - timedelta(days=rng.randrange(4 * 365, 18 * 365 - 30))
        request_rows.append({
            "id": number, "reference": f"VOL-{number:08d}",
            "idempotency_key": f"volume-{number}", "state": state, "locale": "en",
            "submitted_at": submitted, "requester_role": "parent",
            "requester_name": f"Parent {number}", "contact_email": None,
            "contact_phone": "07700 900000", "contact_method": "phone",
            "child_name": f"Volume Child {number}", "child_date_of_birth": born,
            "postcode": "LS1 4AP", "living_situation": "family_home",
            "education_setting": "Example School", "autism": "diagnosed",
            "learning_disability": "no", "in_hospital": rating == "blue", "risks": [],
            "services": [], "preferred_language": "English", "needs_interpreter": False,
            "suggested_rating": rating, "suggestion_reasons": [],
            "family_status": "on_register" if accepted else state,
            "name_key": f"volume child {number}",
            "priority": 0 if rating in ("red", "blue") else 1,
            "decided_at": decided if state in ("accepted", "declined") else None,
            "created_at": submitted, "updated_at": submitted, "version_id": 1,
        })
        if accepted:
            closed = rng.random() < 0.15
            entry_rows.append({
                "id": number, "request_id": number, "child_key": f"volume:{number}",
                "child_name": f"Volume Child {number}", "child_date_of_birth": born,
                "rating": rating, "severity": SEVERITY[rating], "rating_released": False,
                "keyworker": f"Keyworker {number % 300}" if rng.random() < 0.8 else None,
                "next_review_on": today + timedelta(days=rng.randrange(-60, 120)),
                "added_on": decided.date(),
                "closed_at": decided + timedelta(days=200) if closed and decided +
                timedelta(days=200) < now else None,
                "closed_reason": "risk_reduced" if closed else None,
                "created_at": decided, "updated_at": decided, "version_id": 1,
            })
            change_rows.append({"entry_id": number, "rating": rating,
                                "reason": "Volume data", "changed_by": "Volume",
                                "changed_at": decided})
        if len(request_rows) >= BATCH:
            _flush(request_rows, entry_rows, change_rows)
    _flush(request_rows, entry_rows, change_rows)
    move_sequences_past_ids("support_requests", "register_entries")
    figures.rebuild()


def _flush(request_rows: list, entry_rows: list, change_rows: list) -> None:
    # Each keyworker from the day the entry was added (the monthly return's history).
    keyworker_rows = [{"entry_id": e["id"], "keyworker": e["keyworker"],
                       "changed_at": e["created_at"], "changed_by": "Volume"}
                      for e in entry_rows if e["keyworker"]]
    for model, rows in ((SupportRequest, request_rows), (RegisterEntry, entry_rows),
                        (RatingChange, change_rows), (KeyworkerChange, keyworker_rows)):
        if rows:
            db.session.execute(insert(model), rows)
            rows.clear()
    db.session.flush()
