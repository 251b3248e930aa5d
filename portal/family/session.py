"""The request a signed-in family member may follow (anything else: 404, and a security
event with the client's address)."""

from __future__ import annotations

from flask import abort, request

from portal.cases.operation import Actor
from portal.cases.security_events import FAMILY_DENIED, record_security_event
from portal.common.auth import current_family_email
from portal.data.family import access_for, email_fingerprint
from portal.data.requests import SupportRequest, find_request_by_reference


def family_request(reference: str) -> SupportRequest:
    """The request, if this signed-in person may follow it. Anything else: 404, logged."""
    email = current_family_email() or ""
    req = find_request_by_reference(reference)
    access = access_for(email, req.id) if req is not None else None
    # A professional who referred the child sees where it is only (portal.family.referrals).
    if req is None or access is None or access.role == "referrer":
        # Kept though the 404 rolls back everything else (written after it).
        record_security_event(FAMILY_DENIED, actor_type="family",
                              actor_id=email_fingerprint(email) if email else None,
                              subject=request.path[:64])
        abort(404)
    return req


def acting() -> Actor:
    """The signed-in family member, as the application layer knows them."""
    return Actor.family(current_family_email() or "")
