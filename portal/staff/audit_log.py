"""The audit log for register managers: who viewed or changed what, and when; or only
the security events (failed sign-ins, refused pages and forms, bad links, families asking
for requests not theirs, rate limits), each with the address it came from."""

from __future__ import annotations

from flask import render_template, request

from portal.common.auth import signed_in_staff, staff_only
from portal.data.audit import search_events
from portal.data.register import entry_for_request
from portal.data.requests import find_request_by_reference
from portal.data.staff import Role, all_staff
from portal.domain.references import normalise
from portal.staff import bp
from portal.staff.forms import page_number

PAGE = 50


@bp.get("/audit")
@staff_only(Role.MANAGER)
def audit_log() -> str:
    staff = all_staff()
    actor = request.args.get("staff") or None
    security_only = request.args.get("show") == "security"
    if actor not in {str(s.id) for s in staff}:  # only a member of staff from the list
        actor = None
    reference = normalise(request.args.get("reference", "")) if request.args.get(
        "reference") else ""
    subject_ids: list[str] = []
    subject_type = None
    not_found = False
    if reference:
        req = find_request_by_reference(reference)
        if req is None:
            not_found = True
        else:
            subject_type = "request"
            subject_ids = [str(req.id)]
    page = page_number()
    events, total = ([], 0) if not_found else search_events(
        actor_id=actor, subject_type=subject_type, subject_ids=subject_ids,
        offset=(page - 1) * PAGE, limit=PAGE, security_only=security_only)
    entry_events: list = []
    if subject_ids and not not_found and not security_only:
        entry = entry_for_request(int(subject_ids[0]))
        if entry is not None:
            entry_events, _ = search_events(actor_id=actor, subject_type="register_entry",
                                            subject_ids=[str(entry.id)], offset=0, limit=500)
            events = sorted(events + entry_events, key=lambda e: e.id, reverse=True)
    names = {str(s.id): s.name for s in staff}
    return render_template("staff/audit.html", events=events, total=total, page=page,
                           pages=max(1, -(-total // PAGE)), staff=staff, names=names,
                           actor=actor or "", reference=reference, not_found=not_found,
                           show="security" if security_only else "")


@bp.get("/verify")
@staff_only(Role.TRIAGE, Role.MANAGER)
def verify_evidence() -> str:
    """Check an evidence summary a family has shown someone, by the code printed on it."""
    from portal.data.family import find_evidence
    from portal.data.requests import find_request

    code = request.args.get("code", "").strip()[:40]
    if not code.isprintable():  # a control character is never part of a code
        code = ""
    document = find_evidence(code) if code else None
    req = find_request(document.request_id) if document else None
    # An archived record: only register managers may see whose it is.
    archived = bool(req and req.archived_at and signed_in_staff().role != Role.MANAGER)
    return render_template("staff/verify.html", code=code, document=document,
                           req=None if archived else req, archived=archived)
