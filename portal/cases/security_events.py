"""Security events in the audit log: failed staff sign-ins and codes, tries while locked
out, refused pages (403), forms without their security token, emailed links that are
wrong, expired or used, families asking for requests not theirs, and rate limits hit.

Each event is written to the log at once (portal.common.logs.security_event, with the
client's address) and, in a web request, kept with the request; `write_security_events`
(after the page's own transaction is committed or rolled back, from create_app's
after-request steps) writes them to the audit log in a fresh write transaction of their
own, as looks are written (portal/cases/looks.py). A refused page rolls back everything
it did, but its security event is still kept.

Recording never fails the page: if the database will not take the events (away, or busy
past AUDIT_LOOK_WAIT_MS), the log lines already written are their record, and a warning
says how many were not written. The audit log is append-only; events hold no email
address (a fingerprint instead), no name and no token.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, has_request_context

from portal.cases import audit
from portal.cases.operation import operation
from portal.common import logs
from portal.common.logs import (  # noqa: F401 (the kinds, for callers of this module)
    CODE_FAILED,
    CSRF_REFUSED,
    FAMILY_DENIED,
    FORBIDDEN,
    LINK_REFUSED,
    LOCKED_OUT,
    RATE_LIMITED,
    SECURITY_EVENTS,
    SECURITY_SUBJECT,
    SIGN_IN_FAILED,
)
from portal.data.engine import database_unavailable, discard_transaction, lock_wait
from portal.extensions import db

log = logging.getLogger(__name__)

_ATTEMPTS = 2


def record_security_event(kind: str, *, actor_type: str | None = None,
                          actor_id: str | None = None, subject: str | None = None,
                          detail: dict[str, Any] | None = None) -> None:
    """Record a security event (one of SECURITY_EVENTS). `actor_type`/`actor_id`: who
    (default: whoever is signed in, else "anonymous"); `subject`: what it was about (a
    staff id, a link's purpose, a page's route); `detail`: more, never personal data or
    tokens. In a web request it is written after the page; elsewhere at once."""
    event = logs.security_event(kind, actor_type=actor_type, actor_id=actor_id,
                                subject=subject, detail=detail)
    if not has_request_context():
        _write([event])


def write_security_events() -> None:
    """Write this request's security events to the audit log. Never raises."""
    events = logs.pending_security_events()
    if not events:
        return
    try:
        wait = max(1, int(current_app.config.get("AUDIT_LOOK_WAIT_MS", 2000)) // _ATTEMPTS)
        for _attempt in range(_ATTEMPTS):
            try:
                with lock_wait(wait):
                    _write(events)
                    db.session.commit()
                return
            except Exception as problem:  # noqa: BLE001 - the log lines are the record
                discard_transaction()
                if not database_unavailable(problem):
                    raise
    except Exception:  # noqa: BLE001 - the page must not fail
        log.exception("Could not write %d security event(s) to the audit log",
                      len(events))
        return
    log.warning("The database is busy or away: %d security event(s) are in the log "
                "only, not in the audit log", len(events))


@operation
def _write(events: list[dict[str, Any]]) -> None:
    audit.record_kept(events)


def init_app(app: Flask) -> None:
    """Write each request's security events after its own transaction has ended (call
    before the step that commits or rolls back is registered: Flask runs after-request
    steps last-registered first)."""

    @app.after_request
    def _write_events(response: Response) -> Response:
        write_security_events()
        return response
