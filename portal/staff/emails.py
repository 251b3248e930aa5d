"""Emails given up on: who they were for (masked), what and when, and why they failed,
never what they said; and one action that sends them all again.

Register managers see it at /staff/emails, admins (who run the service and see no child
records) at /staff/admin/emails: the same list, which names no child.
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from portal.cases import outbox as outbox_cases
from portal.cases.operation import Actor
from portal.common.auth import signed_in_staff, staff_only
from portal.data.outbox import count_given_up, given_up_messages
from portal.data.staff import Role
from portal.staff import bp

SHOWN = 200


def masked(address: str) -> str:
    """Enough of an address to tell two apart, not enough to read it: "al***@example.org"."""
    local, at, domain = address.partition("@")
    if not at:
        return "***"
    return f"{local[:2] if len(local) > 3 else local[:1]}***@{domain}"


def _page(send_again_endpoint: str) -> str:
    messages = given_up_messages(SHOWN)
    rows = [{"to": masked(m.to_address), "kind": m.kind, "queued": m.created_at,
             "given_up": m.given_up_at, "attempts": m.attempts, "error": m.last_error or ""}
            for m in messages]
    try:
        sent_again = max(0, int(request.args.get("sent_again", "")))
    except ValueError:
        sent_again = None
    return render_template("staff/emails.html", rows=rows, total=count_given_up(),
                           sent_again=sent_again,
                           action=url_for(send_again_endpoint))


def _send_again(page_endpoint: str) -> Response:
    count = outbox_cases.send_again(Actor.for_staff(signed_in_staff()))
    return redirect(url_for(page_endpoint, sent_again=count))


@bp.get("/emails")
@staff_only(Role.MANAGER)
def emails() -> str:
    return _page("staff.emails_send_again")


@bp.post("/emails/send-again")
@staff_only(Role.MANAGER)
def emails_send_again() -> Response:
    return _send_again("staff.emails")


@bp.get("/admin/emails")
@staff_only(Role.ADMIN)
def admin_emails() -> str:
    return _page("staff.admin_emails_send_again")


@bp.post("/admin/emails/send-again")
@staff_only(Role.ADMIN)
def admin_emails_send_again() -> Response:
    return _send_again("staff.admin_emails")
