"""A professional who referred a child, signed in by the family sign-in: where the request
is, and nothing more (no answers, no messages, no updates). Only once the family agreed
(portal.cases.referrals.let_referrer_follow); anyone else: 404."""

from __future__ import annotations

from flask import abort, render_template, request

from portal.cases.security_events import FAMILY_DENIED, record_security_event
from portal.common.auth import current_family_email, family_only
from portal.data.family import access_for, email_fingerprint
from portal.data.referrals import REFERRER_ACCESS
from portal.data.requests import SupportRequest, find_request_by_reference
from portal.family import bp


def referred_request(reference: str) -> SupportRequest:
    email = current_family_email() or ""
    req = find_request_by_reference(reference)
    access = access_for(email, req.id) if req is not None else None
    if req is None or access is None or access.role != REFERRER_ACCESS:
        record_security_event(FAMILY_DENIED, actor_type="family",
                              actor_id=email_fingerprint(email) if email else None,
                              subject=request.path[:64])
        abort(404)
    return req


@bp.get("/referrals/<reference>")
@family_only
def referral_status(reference: str) -> str:
    req = referred_request(reference)
    return render_template("family/referral.html", req=req,
                           name=req.child_preferred_name or req.child_name.split()[0])
