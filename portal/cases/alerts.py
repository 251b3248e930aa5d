"""Alerts: the team hears at once when an urgent request arrives (suggested Red or Blue, or
answers that show someone may be in danger now: it must be looked at the same working day)
and when an admission to hospital is reported for a child on the register.

Each alert is one email to the triage team's inbox (setting TRIAGE_TEAM_EMAIL; empty:
none) and one to every active triage officer and register manager marked on duty; an
address that is both gets one. The emails carry no personal details: what happened and a
link to sign in. `urgent_request` and `admission_reported` are called from inside the
operations where those things happen; each event sends at most one email per recipient,
however often it is called (the outbox's dedupe key names the event and the recipient).
"""

from __future__ import annotations

from flask import current_app

from portal.cases import audit, emails
from portal.cases.operation import Actor, operation, require_role
from portal.common.urls import external_url
from portal.data.family import email_fingerprint
from portal.data.register import RegisterEntry
from portal.data.requests import SupportRequest
from portal.data.staff import Role, StaffUser, find_staff, staff_with_roles

URGENT_RATINGS = ("red", "blue")
ON_DUTY_ROLES = (Role.TRIAGE, Role.MANAGER)


def is_urgent(req: SupportRequest) -> bool:
    return req.suggested_rating in URGENT_RATINGS or bool(req.danger_now)


def on_duty() -> list[StaffUser]:
    """Active triage officers and register managers marked on duty, by name."""
    return [user for user in staff_with_roles(*ON_DUTY_ROLES) if user.on_duty]


def recipients() -> list[str]:
    """Who hears of an alert: the team's inbox first, then everyone on duty, each once."""
    found: list[str] = []
    team = str(current_app.config.get("TRIAGE_TEAM_EMAIL") or "").strip().lower()
    if team:
        found.append(team)
    for user in on_duty():
        address = user.email.strip().lower()
        if address not in found:
            found.append(address)
    return found


def _alert(kind: str, event: str, link: str, **context: object) -> int:
    locale = str(current_app.config["BABEL_DEFAULT_LOCALE"])
    sent = 0
    for address in recipients():
        queued = emails.send(kind, address, locale=locale, link=link,
                             dedupe=f"alert:{event}:{email_fingerprint(address)}", **context)
        sent += queued is not None
    return sent


def urgent_request(req: SupportRequest) -> None:
    """An urgent request has arrived (sent, or now ready for triage). Nothing for one that
    is not urgent. Call inside an operation."""
    if not is_urgent(req):
        return
    sent = _alert("alert_urgent_request", f"urgent:{req.id}",
                  external_url("staff.request_view", request_id=req.id),
                  danger_now=bool(req.danger_now))
    if sent:
        audit.record(Actor.system("alerts"), "alert.urgent_request", "request", req.id,
                     emails=sent)


def admission_reported(entry: RegisterEntry, event: str = "") -> None:
    """An admission to hospital was reported for a child on the register (by the family,
    or a rating changed to Blue). `event` names this report (one alert per report), e.g.
    "update:12". Call inside an operation."""
    sent = _alert("alert_admission", f"admission:{entry.id}:{event}"[:90],
                  external_url("staff.register_entry", entry_id=entry.id))
    if sent:
        audit.record(Actor.system("alerts"), "alert.admission_reported", "register_entry",
                     entry.id, emails=sent)


@operation
def set_on_duty(actor: Actor, on: bool) -> StaffUser:
    """A triage officer or register manager marks themselves on or off duty."""
    require_role(actor, *ON_DUTY_ROLES)
    user = find_staff(int(actor.id or 0))
    if user is None or not user.active:
        raise LookupError("no such member of staff")
    if user.on_duty != on:
        user.on_duty = on
        audit.record(actor, "staff.on_duty" if on else "staff.off_duty", "staff", user.id)
    return user
