"""Logs: one line per event, JSON or text, with the request's id; tokens never written.

Every request gets an id (kept from an incoming X-Request-ID when it looks like one, else
made here), sent back in the X-Request-ID response header and written on every log line
the request causes, so one person's problem can be followed through the logs. Each
request ends with one line: method, path, status and how long it took.

Emailed links carry their token in the address (/account/sign-in/<token>...): paths and
query strings are written with tokens replaced by "[redacted]", here and in gunicorn's
access log (portal/health/gunicorn_logging.py). Exceptions are written as their type and
where they happened, never their message (a database error's message can hold a
family's answers); the engine also keeps bound parameters out of its errors
(hide_parameters in portal/config.py).

Each line made during a request also says which route answered, the client's address (as
ProxyFix gives it behind TRUSTED_PROXIES) and who was signed in: "staff" and their id, or
"family" and the fingerprint of their email address (never a name or an address).

An unexpected error gets an incident reference ("ERR-7KQ4-2M9X"), on the 500 page and on
its log lines, so what someone quotes can be found. Security events (failed sign-ins,
refusals, bad links, rate limits) are written here as "portal.security" lines at once and
queued for the audit log, which the application layer writes after the page's own
transaction (portal/cases/security_events.py).
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import unquote_plus

from flask import Flask, Response, before_render_template, g, has_request_context, request
from sqlalchemy import inspect as sa_inspect

from portal.config import ConfigError
from portal.data.audit import SECURITY_SUBJECT
from portal.data.family import email_fingerprint

REQUEST_ID_HEADER = "X-Request-ID"
REDACTED = "[redacted]"
# What an incoming request id may look like (a load balancer's, or a caller's own).
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:=+/-]{1,128}")
# A path segment or value that may be a token: long, URL-safe characters only...
_TOKENISH = re.compile(r"[A-Za-z0-9_.=~%-]{20,}")
# ...unless it is plain lowercase words, like "something-has-changed" or
# "evidence-summary.pdf".
_WORDS = re.compile(r"[a-z]+(?:-[a-z]+)*(?:\.[a-z]+)?")
# Query parameters whose value is never written, whatever it looks like.
_SECRET_PARAMETERS = frozenset({"token", "code", "key", "nonce", "password", "signature",
                                "sig", "email", "secret"})
_REQUEST_LINE = re.compile(r'"([A-Z]+) (\S+) (HTTP/[0-9.]+)"')
_QUIET = "quiet_log"
_HANDLER_MARK = "_portal_handler"

F = TypeVar("F", bound=Callable[..., object])


# Redaction -------------------------------------------------------------------------------

def _secret_segment(segment: str) -> bool:
    return bool(_TOKENISH.fullmatch(segment)) and not _WORDS.fullmatch(segment)


def redact_path(path: str) -> str:
    """The path with every segment that may be a token replaced."""
    return "/".join(REDACTED if _secret_segment(part) else part for part in path.split("/"))


def redact_query(query: str) -> str:
    """The query string with secret parameters and token-like values replaced."""
    if not query:
        return query
    parts = []
    for part in query.split("&"):
        name, equals, value = part.partition("=")
        plain = unquote_plus(value)
        if equals and (unquote_plus(name).lower() in _SECRET_PARAMETERS or "@" in plain
                       or _secret_segment(plain) or (plain.startswith("/")
                                                     and redact_path(plain) != plain)):
            parts.append(f"{name}={REDACTED}")
        else:
            parts.append(part)
    return "&".join(parts)


def redact_target(target: str) -> str:
    """A request target, "/path?query", with its tokens replaced."""
    path, question, query = target.partition("?")
    return redact_path(path) + (question + redact_query(query) if question else "")


def redact_request_line(text: str) -> str:
    """Text holding a quoted request line ("GET /path HTTP/1.1") with its target
    redacted (the development server's own log lines)."""
    return _REQUEST_LINE.sub(
        lambda m: f'"{m.group(1)} {redact_target(m.group(2))} {m.group(3)}"', text)


# Request ids -----------------------------------------------------------------------------

def new_request_id() -> str:
    return uuid.uuid4().hex


def acceptable_request_id(value: str | None) -> bool:
    return bool(value) and bool(_REQUEST_ID.fullmatch(value or ""))


def current_request_id() -> str | None:
    if not has_request_context():
        return None
    return g.get("request_id")


def quiet(view: F) -> F:
    """Write this page's request line at DEBUG, not INFO (health checks, every few
    seconds, would drown the rest)."""
    setattr(view, _QUIET, True)
    return view


# Formatting ------------------------------------------------------------------------------

class RequestContext(logging.Filter):
    """Adds the request's id, method, (redacted) path, route, client address, who is
    signed in and any incident reference to each record made during it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context() and not hasattr(record, "request_id"):
            record.request_id = g.get("request_id")
            record.method = request.method
            record.path = redacted_request_path()
            record.route = request.url_rule.rule if request.url_rule is not None else None
            record.client = request.remote_addr
            actor = current_actor()
            if actor is not None and not hasattr(record, "actor_type"):
                record.actor_type, record.actor_id = actor
            record.incident = g.get(_INCIDENT)
        return True


# Who is acting -------------------------------------------------------------------------

_ACTOR = "log_actor"  # on flask.g: (kind, id) once known


def current_actor(*, load: bool = False) -> tuple[str, str | None] | None:
    """Who is signed in, as ("staff", their id) or ("family", their email's fingerprint),
    if this request has looked them up; None if nobody is, or nobody has looked. Asks the
    database only with `load` (after a page that went well: a family account's details
    are expired by the page's commit), otherwise reads only what is loaded."""
    if not has_request_context():
        return None
    known = g.get(_ACTOR)
    if known is not None:
        return known  # type: ignore[no-any-return]
    principal = g.get("_login_user")  # where Flask-Login keeps who it has loaded
    kind = getattr(principal, "kind", "")
    actor: tuple[str, str | None] | None = None
    try:
        if kind == "staff":
            identity = sa_inspect(principal.user).identity  # type: ignore[union-attr]
            actor = ("staff", str(identity[0]) if identity else None)
        elif kind == "family":
            account = principal.account  # type: ignore[union-attr]
            email = account.email if load else sa_inspect(account).dict.get("email")
            actor = ("family", email_fingerprint(email) if email else None)
    except Exception:  # noqa: BLE001 - a log line never fails for want of its actor
        actor = None
    if actor is not None and actor[1] is not None:
        g.setdefault(_ACTOR, actor)
    return actor


# Incidents -----------------------------------------------------------------------------

_INCIDENT = "incident_reference"  # on flask.g
# Letters and digits that cannot be mistaken for one another when read out (no I, L, O, U).
_INCIDENT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_incident_reference() -> str:
    """A short reference someone can quote: ERR- and two groups of 4 (40 random bits)."""
    code = "".join(secrets.choice(_INCIDENT_ALPHABET) for _ in range(8))
    return f"ERR-{code[:4]}-{code[4:]}"


def incident_reference() -> str | None:
    """This request's incident reference, made the first time it is asked for (a request
    has one at most: the 500 page and every log line after show the same one)."""
    if not has_request_context():
        return None
    if _INCIDENT not in g:
        setattr(g, _INCIDENT, new_incident_reference())
    return g.get(_INCIDENT)  # type: ignore[no-any-return]


# Security events -----------------------------------------------------------------------

# What happened: the audit log's action for each kind of security event.
SIGN_IN_FAILED = "staff.sign_in_failed"  # wrong email or password
LOCKED_OUT = "staff.locked_out"  # a try while the account is locked by earlier failures
CODE_FAILED = "staff.code_failed"  # a wrong or reused two-factor code
FORBIDDEN = "access.forbidden"  # a page this person's role may not open (403)
CSRF_REFUSED = "access.csrf_refused"  # a form without its security token, or a stale one
RATE_LIMITED = "access.rate_limited"  # too many requests (429)
LINK_REFUSED = "link.refused"  # an emailed link that is wrong, expired or used
FAMILY_DENIED = "family.denied"  # a family member asking for a request not theirs
SECURITY_EVENTS = (SIGN_IN_FAILED, LOCKED_OUT, CODE_FAILED, FORBIDDEN, CSRF_REFUSED,
                   RATE_LIMITED, LINK_REFUSED, FAMILY_DENIED)
_PENDING_EVENTS = "security_events"  # on flask.g: noted, not yet in the audit log

security_log = logging.getLogger("portal.security")


def security_event(kind: str, *, actor_type: str | None = None, actor_id: str | None = None,
                   subject: str | None = None, detail: dict[str, Any] | None = None
                   ) -> dict[str, Any]:
    """Write a security event to the log now and, in a request, queue it for the audit
    log (written after the page's own transaction, by portal.cases.security_events).
    `actor_type`/`actor_id` default to whoever is signed in; `detail` must hold no
    personal data or tokens (fingerprints, kinds, counts). Returns the event."""
    if kind not in SECURITY_EVENTS:
        raise ValueError(f"not a security event: {kind!r}")
    if actor_type is None:
        actor = current_actor()
        actor_type, actor_id = actor if actor is not None else ("anonymous", None)
    event: dict[str, Any] = {
        "occurred_at": datetime.now(UTC).isoformat(), "action": kind,
        "actor_type": actor_type[:20], "actor_id": actor_id[:64] if actor_id else None,
        "subject_type": SECURITY_SUBJECT, "subject_id": (subject or "-")[:64],
        "detail": dict(detail or {}),
    }
    if has_request_context():
        event["detail"].update({"client": request.remote_addr, "request_id": g.get(
            "request_id"), "route": request.url_rule.rule if request.url_rule else None})
        g.setdefault(_PENDING_EVENTS, []).append(event)
    security_log.warning("Security event: %s", kind, extra={
        "event": kind, "subject": event["subject_id"], "detail": event["detail"],
        "actor_type": event["actor_type"], "actor_id": event["actor_id"]})
    return event


def pending_security_events() -> list[dict[str, Any]]:
    """This request's security events not yet in the audit log (and forgets them)."""
    if not has_request_context():
        return []
    return list(g.pop(_PENDING_EVENTS, []))


def redacted_request_path() -> str:
    """This request's path and query, tokens replaced (a route's <token> always, and
    anything that looks like one)."""
    path = request.path
    token = (request.view_args or {}).get("token")
    if isinstance(token, str) and token:
        path = path.replace(token, REDACTED)
    query = request.query_string.decode("latin-1")
    return redact_path(path) + ("?" + redact_query(query) if query else "")


def _where(record: logging.LogRecord) -> dict[str, Any] | None:
    """An exception as its type and the frames it passed through: no message, no values
    (except a settings error's, which names settings and what is wrong with them)."""
    if not record.exc_info or record.exc_info[0] is None:
        return None
    kind, error, trace = record.exc_info
    frames = [f"{frame.filename}:{frame.lineno} in {frame.name}"
              for frame in traceback.extract_tb(trace)]
    found: dict[str, Any] = {"type": f"{kind.__module__}.{kind.__qualname__}",
                             "frames": frames}
    if isinstance(error, ConfigError):
        found["message"] = str(error)
    return found


FIELDS = ("request_id", "method", "path", "route", "client", "actor_type", "actor_id",
          "status", "duration_ms", "incident", "event", "subject", "detail")


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        error = _where(record)
        if error:
            entry["error"] = error
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """For people reading a terminal: time, level, request id, logger, message."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S")
        request_id = getattr(record, "request_id", None)
        incident = getattr(record, "incident", None)
        line = (f"{when} {record.levelname:<7} "
                + (f"[{request_id[:8]}] " if request_id else "")
                + f"{record.name}: {record.getMessage()}"
                + (f" (incident {incident})" if incident else ""))
        error = _where(record)
        if error:
            line += (f" ({error['type']}{': ' + error['message'] if 'message' in error else ''})"
                     "\n    " + "\n    ".join(error["frames"]))
        return line


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (a server or test may replace it)."""

    def __init__(self) -> None:
        super().__init__()

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


class _RedactRequestLines(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact_request_line(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def configure(log_format: str, level: str) -> None:
    """Send the app's logs (the "portal" logger and those under it) to stderr."""
    if log_format not in {"json", "text"}:
        raise ConfigError(f"LOG_FORMAT must be json or text, not {log_format!r}")
    number = logging.getLevelName(level)
    if not isinstance(number, int):
        raise ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {level!r}")
    logger = logging.getLogger("portal")
    for old in [h for h in logger.handlers if getattr(h, _HANDLER_MARK, False)]:
        logger.removeHandler(old)
    handler = _Stderr()
    setattr(handler, _HANDLER_MARK, True)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(RequestContext())
    logger.addHandler(handler)
    logger.setLevel(number)
    logger.propagate = False
    # The development server writes each request line itself, token and all.
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, _RedactRequestLines) for f in werkzeug.filters):
        werkzeug.addFilter(_RedactRequestLines())


request_log = logging.getLogger("portal.request")


def init_app(app: Flask) -> None:
    """Configure logging and give every request an id. Call first in create_app(), so
    the id is there before anything else runs and the request line is written last."""
    configure(str(app.config["LOG_FORMAT"]), str(app.config["LOG_LEVEL"]))

    @before_render_template.connect_via(app)
    def _remember_actor(*_args: Any, **_kwargs: Any) -> None:
        current_actor()  # while who is signed in is still loaded (before the commit)

    @app.before_request
    def _request_id() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER)
        g.request_id = incoming if acceptable_request_id(incoming) else new_request_id()
        g.request_started = time.perf_counter()

    @app.after_request
    def _request_line(response: Response) -> Response:
        if "request_id" not in g:
            g.request_id = new_request_id()
        response.headers[REQUEST_ID_HEADER] = g.request_id
        started = g.get("request_started")
        took = round((time.perf_counter() - started) * 1000, 1) if started else None
        view = app.view_functions.get(request.endpoint or "")
        level = logging.DEBUG if getattr(view, _QUIET, False) else logging.INFO
        if request_log.isEnabledFor(level):
            current_actor(load=response.status_code < 400)  # remembered for the line
            request_log.log(level, "%s %s %s", request.method, redacted_request_path(),
                            response.status_code,
                            extra={"status": response.status_code, "duration_ms": took})
        return response
