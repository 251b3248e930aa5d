"""Health, readiness and metrics, for load balancers and monitoring (not for people: the
answers are JSON or Prometheus text, never translated, and hold no personal data).

None of them sets a cookie, asks for a CSRF token or writes a row. /healthz never touches
the database; /readyz runs three small queries; /metrics a few counts.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import threading
from collections import Counter
from datetime import timedelta
from typing import Any

from flask import Response, current_app, request, request_finished
from sqlalchemy.exc import SQLAlchemyError

from portal.common.access import public
from portal.common.logs import quiet
from portal.data import health as figures
from portal.extensions import db
from portal.health import bp

log = logging.getLogger(__name__)


def _json(body: dict[str, Any], status: int) -> Response:
    return Response(json.dumps(body) + "\n", status=status, mimetype="application/json")


@bp.get("/healthz")
@public
@quiet
def healthz() -> Response:
    """The process is up and answering. Nothing else is checked."""
    return _json({"status": "ok"}, 200)


def readiness() -> dict[str, dict[str, Any]]:
    """Each check by name: {"ok": true or false (null: not checked), ...what was found}."""
    checks: dict[str, dict[str, Any]] = {}
    try:
        current, head = figures.current_revision(), figures.head_revision()
    except SQLAlchemyError as error:
        db.session.rollback()
        log.warning("Not ready: the database did not answer (%s)", type(error).__name__)
        checks["database"] = {"ok": False, "error": type(error).__name__}
        return checks
    checks["database"] = {"ok": True}
    checks["schema"] = {"ok": current == head, "current": current, "head": head}
    limit = int(current_app.config["READY_MAX_EMAIL_AGE_MINUTES"])
    if limit <= 0:
        return checks
    if current != head:  # the queue's columns may not be there yet
        checks["email"] = {"ok": None, "skipped": "checked once the schema is up to date"}
        return checks
    try:
        waited = figures.oldest_due_email()
    except SQLAlchemyError as error:
        db.session.rollback()
        checks["email"] = {"ok": False, "error": type(error).__name__}
        return checks
    checks["email"] = {
        "ok": waited is None or waited <= timedelta(minutes=limit),
        "oldest_due_minutes": round(waited.total_seconds() / 60, 1) if waited else 0,
        "limit_minutes": limit,
    }
    return checks


@bp.get("/readyz")
@public
@quiet
def readyz() -> Response:
    """Ready to serve: the database answers, its schema is the one this code expects, and
    emails are being sent (none has been due for longer than READY_MAX_EMAIL_AGE_MINUTES).
    503 names each check that failed."""
    checks = readiness()
    failing = [name for name, check in checks.items() if check["ok"] is False]
    if failing:
        log.warning("Not ready: %s", ", ".join(failing))
    return _json({"status": "not ready" if failing else "ready", "failing": failing,
                  "checks": checks}, 503 if failing else 200)


# Metrics ------------------------------------------------------------------------------------

_responses: Counter[int] = Counter()
_lock = threading.Lock()


def _count(_app: Any, response: Response, **_extra: Any) -> None:
    with _lock:
        _responses[response.status_code] += 1


@bp.record_once
def _count_responses(state: Any) -> None:
    # The response as it leaves, after every after_request hook (a failed commit changes
    # a page into an error page there).
    request_finished.connect(_count, state.app)


def _metric(lines: list[str], name: str, kind: str, about: str,
            values: list[tuple[str, float | int]]) -> None:
    lines += [f"# HELP {name} {about}", f"# TYPE {name} {kind}"]
    lines += [f"{name}{labels} {value}" for labels, value in values]


@bp.get("/metrics")
@public
@quiet
def metrics() -> Response:
    """Prometheus text format. Off unless METRICS_TOKEN is set; then only with
    "Authorization: Bearer <METRICS_TOKEN>"."""
    token = str(current_app.config["METRICS_TOKEN"])
    if not token:
        return Response("Not found\n", status=404, mimetype="text/plain")
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return Response("Unauthorized\n", status=401, mimetype="text/plain",
                        headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    lines: list[str] = []
    try:
        unsent, given_up = figures.email_queue()
        waited = figures.oldest_due_email()
        triage = figures.waiting_for_triage()
        at_head = figures.current_revision() == figures.head_revision()
        up = 1
    except SQLAlchemyError as error:
        db.session.rollback()
        log.warning("Metrics: the database did not answer (%s)", type(error).__name__)
        up = 0
    _metric(lines, "dsr_database_up", "gauge", "1 if the database answered.", [("", up)])
    if up:
        _metric(lines, "dsr_schema_at_head", "gauge",
                "1 if the database schema is the one this code expects.",
                [("", int(at_head))])
        _metric(lines, "dsr_emails_unsent", "gauge",
                "Emails queued and not sent yet (not given up).", [("", unsent)])
        _metric(lines, "dsr_emails_given_up", "gauge",
                "Emails the sender gave up on after every attempt.", [("", given_up)])
        _metric(lines, "dsr_email_oldest_due_seconds", "gauge",
                "How long the longest-waiting due email has been due (0: none).",
                [("", round(waited.total_seconds()) if waited else 0)])
        _metric(lines, "dsr_requests_waiting_for_triage", "gauge",
                "Requests with consent in place, waiting for staff to triage.",
                [("", triage)])
    with _lock:
        counts = sorted(_responses.items())
    process = os.getpid()
    _metric(lines, "dsr_http_responses_total", "counter",
            "Responses by status code since this process started (one series per process).",
            [(f'{{status="{status}",process="{process}"}}', count)
             for status, count in counts])
    return Response("\n".join(lines) + "\n", mimetype="text/plain; version=0.0.4")
