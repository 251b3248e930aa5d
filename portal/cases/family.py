"""Families following their requests: signing in by emailed link, signing out, refused
access, "something has changed", asking for a C(E)TR or a keyworker, evidence summaries."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app

from portal.cases import audit, emails, keyworkers, links
from portal.cases.operation import Actor, operation
from portal.common.urls import external_url
from portal.data.base import utcnow
from portal.data.drafts import count_links_for_subject
from portal.data.family import (
    EvidenceDocument,
    FamilyAccount,
    FamilyUpdate,
    email_fingerprint,
    find_account,
    has_access,
)
from portal.data.register import entry_for_request
from portal.data.requests import SupportRequest
from portal.extensions import db

SIGN_IN = "family-sign-in"


def _ttl() -> timedelta:
    return timedelta(minutes=int(current_app.config["FAMILY_LINK_TTL_MINUTES"]))


@operation
def send_sign_in_link(email: str, locale: str) -> None:
    """Email a sign-in link to an address that follows a request (at most a few an hour).

    Whether or not anything is sent, the person sees the same page after the same work,
    so how long it takes says nothing about the address: the same queries, a link made
    and an email written and queued, each time. For an address that follows no request,
    or one asked for too often, both are undone (a savepoint rolled back) before anything
    is sent."""
    since = utcnow() - timedelta(hours=1)
    under_limit = count_links_for_subject(SIGN_IN, email, since) < int(
        current_app.config["FAMILY_LINKS_PER_HOUR"])
    known = has_access(email)
    attempt = db.session.begin_nested()
    try:
        token = links.issue(SIGN_IN, ttl=_ttl(), subject=email)
        emails.send("family_sign_in", email, locale=locale,
                    link=external_url("family.sign_in_link", token=token),
                    minutes=current_app.config["FAMILY_LINK_TTL_MINUTES"])
        db.session.flush()
    except BaseException:
        attempt.rollback()
        raise
    if known and under_limit:
        attempt.commit()
    else:
        attempt.rollback()


@operation
def signed_in(email: str) -> FamilyAccount:
    account = find_account(email)
    if account is None:
        account = FamilyAccount(email=email.strip().lower(), session_version=1)
        db.session.add(account)
        db.session.flush()
    audit.record(Actor.family(email), "family.signed_in", "family", "-")
    return account


@operation
def signed_out(account: FamilyAccount) -> None:
    """Every session of this address ends, on every device."""
    account.session_version += 1
    audit.record(Actor.family(account.email), "family.signed_out", "family", "-")


@operation
def denied(email: str | None, path: str) -> None:
    """Someone tried to open a request they do not follow: kept, though the 404 rolls back
    everything else (this commits)."""
    audit.record(Actor("family", email_fingerprint(email) if email else None),
                 "family.denied", "path", path[:64])
    db.session.commit()


@operation
def report_change(req: SupportRequest, actor: Actor, events: list[str],
                  details: str | None) -> FamilyUpdate:
    """Something has changed: it goes to the top of the staff queue; an admission flags
    the register entry for a Blue rating."""
    admitted = "admitted" in events
    update = FamilyUpdate(request_id=req.id, kind="changed", events=events, details=details,
                          admitted=admitted, sent_by=actor.email or "")
    db.session.add(update)
    db.session.flush()
    entry = entry_for_request(req.id)
    if admitted and entry is not None and entry.closed_at is None:
        if entry.flag != "admission_reported":  # the same admission told again: no alert
            from portal.cases.alerts import admission_reported
            admission_reported(entry, f"update:{update.id}")
        entry.flag = "admission_reported"
    audit.record(actor, "family.update", "request", req.id, update=update.id, events=events)
    if entry is not None and entry.closed_at is None:
        keyworkers.tell_keyworker(entry, "family_update")
    return update


@operation
def ask(req: SupportRequest, actor: Actor, kind: str, details: str | None) -> FamilyUpdate:
    """The family asks for a C(E)TR or a keyworker."""
    update = FamilyUpdate(request_id=req.id, kind=kind, events=[], details=details,
                          sent_by=actor.email or "")
    db.session.add(update)
    db.session.flush()
    audit.record(actor, "family.asked", "request", req.id, update=update.id, kind=kind)
    entry = entry_for_request(req.id)
    if entry is not None and entry.closed_at is None:
        keyworkers.tell_keyworker(entry, "family_update")
    return update


@operation
def seen(update: FamilyUpdate, actor: Actor) -> None:
    """Staff have read and acted on an update or notice: it leaves the top of the queue."""
    if update.handled_at is None:
        update.handled_at = utcnow()
        update.handled_by = actor.name
        audit.record(actor, "family_update.seen", "request", update.request_id,
                     update=update.id)


@operation
def evidence_issued(req: SupportRequest, actor: Actor, rating: str) -> EvidenceDocument:
    alphabet = "ACDEFGHJKMNPQRTUVWXY34679"
    code = "EV-" + "".join(secrets.choice(alphabet) for _ in range(8))
    document = EvidenceDocument(code=code, request_id=req.id, rating=rating)
    db.session.add(document)
    db.session.flush()
    audit.record(actor, "family.evidence", "request", req.id, code=code)
    return document
