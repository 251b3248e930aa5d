"""Telling families something changed: an email to each person who follows the request,
in the request's language, with no personal details (they sign in to read)."""

from __future__ import annotations

from datetime import datetime

from flask import render_template
from flask_babel import force_locale

from portal.common.i18n import gettext
from portal.common.urls import external_url
from portal.data import audit, outbox
from portal.data import family as store
from portal.data.requests import SupportRequest


def recipients(req: SupportRequest) -> list[str]:
    found = [p.email for p in store.people_for(req.id)]
    if req.contact_email and req.contact_email.lower() not in found:
        found.insert(0, req.contact_email.lower())
    return found


def tell(req: SupportRequest, kind: str, dedupe: str | None = None) -> None:
    """kind: "message" (a new message from staff) or "status" (the request moved on)."""
    link = external_url("family.sign_in")
    with force_locale(req.locale):
        subject = (gettext("You have a new message about %(reference)s",
                           reference=req.reference) if kind == "message" else
                   gettext("There is news about %(reference)s", reference=req.reference))
        body = render_template("email/family_notice.txt", kind=kind, req=req, link=link)
    for address in recipients(req):
        outbox.queue_message(kind=f"family_{kind}", to_address=address, subject=subject,
                             body=body, locale=req.locale,
                             dedupe_key=f"{dedupe}:{address}" if dedupe else None)


def staff_views(request_id: int, entry_id: int | None) -> list[tuple[datetime, str]]:
    return audit.staff_views(request_id, entry_id)
