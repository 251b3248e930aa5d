"""What the family sees of a request: its status and the steps it went through.

Written by the operations as things happen, never worked out from the audit log.
Statuses: awaiting_consent, with_the_team, more_info_requested, on_register,
not_added, withdrawn, joined, duplicate, left_register.
"""

from __future__ import annotations

from datetime import datetime

from portal.data.base import utcnow
from portal.data.requests import SupportRequest, TimelineStep, has_step
from portal.extensions import db


def step(req: SupportRequest, code: str, *, status: str | None = None,
         once: bool = False, at: datetime | None = None) -> None:
    """Add a step to the family's timeline (and move their status on, if given)."""
    if status is not None:
        req.family_status = status
    if once and has_step(req.id, code):
        return
    db.session.add(TimelineStep(request_id=req.id, step=code, occurred_at=at or utcnow()))
