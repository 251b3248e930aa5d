"""Friendly error pages in the person's language. No stack trace ever reaches a user.

When the database is away or busy (unreachable, restarting, a lock held past the time
allowed: portal.data.engine.database_unavailable), whatever the page was doing is rolled
back and the person gets a 503 with a Retry-After header, never a 500:
- a page that said how to draw itself again (`on_unavailable`) is drawn that way, without
  the database: a question page shows the question again with what was typed and says it
  has not been saved yet; a confirmation page is drawn from what the session knows;
- any other form: a page that says nothing was saved yet, shows what was typed and sends
  it again with "Try again" (passwords and codes are never shown or sent back);
- any other page: a page that says to try again in a little while.

When a save loses a race with someone else's (SQLAlchemy's version check), the page the
view gave with `on_changed_meanwhile` is drawn: its "changed by someone else" message,
with what was typed.

Both can happen after the page was built, when its changes are committed; create_app's
after-request step hands that failure to `commit_failed`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, g, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.common.logs import (
    CSRF_REFUSED,
    FORBIDDEN,
    RATE_LIMITED,
    incident_reference,
    security_event,
)
from portal.data.engine import database_unavailable, discard_transaction

log = logging.getLogger(__name__)

PAGES = {400, 403, 404, 405, 409, 410, 413, 429, 500}
_UNAVAILABLE = "dsr_draw_when_unavailable"
_CHANGED = "dsr_draw_when_changed"
# Form fields never shown again or sent back: the security token, passwords and codes.
_SECRET = re.compile(r"(^|[-_])(csrf_token|password|code|token|secret)$")
# Form fields sent back but not shown: hidden ones every form of ours uses.
_HIDDEN = re.compile(r"(^|[-_])(version|submission_key|action|back|next)$")

Draw = Callable[[], Any]


def _render(status: int) -> tuple[str, int]:
    if status == InternalServerError.code:  # the reference its log lines carry, to quote
        return render_template("errors/500.html", incident=incident_reference()), status
    return render_template(f"errors/{status}.html"), status


# Refusals that are security events (in the log and the audit log, with the address).
_REFUSALS = {403: FORBIDDEN, 429: RATE_LIMITED}


def _refused(kind: str, **detail: str) -> None:
    rule = request.url_rule.rule if request.url_rule is not None else None
    security_event(kind, subject=rule, detail={"method": request.method, **detail})


def on_unavailable(draw: Draw) -> None:
    """How to draw this page if the database is away: `draw()` must not use the database
    and returns a response (its status: 503 for a form not saved, 200 for a page that is
    complete without it), or None for the general page."""
    setattr(g, _UNAVAILABLE, draw)


def on_changed_meanwhile(draw: Draw) -> None:
    """How to draw this page when the record was saved by someone else while this save
    was on its way (called after the rollback: it may read the record again)."""
    setattr(g, _CHANGED, draw)


def roll_back() -> None:
    discard_transaction()


def retry_after() -> int:
    return max(1, int(current_app.config.get("RETRY_AFTER_SECONDS", 30)))


def unavailable() -> Response:
    """The answer when the database is away or busy (after rolling back)."""
    roll_back()
    # Nobody is looked up again for this page (the staff and family pages name who is
    # signed in): that would ask the database once more.
    g._login_user = current_app.login_manager.anonymous_user()  # type: ignore[attr-defined]
    response = _drawn(getattr(g, _UNAVAILABLE, None))
    if response is None:
        resend, shown = _typed()
        response = make_response(render_template(
            "errors/503.html", posted=request.method == "POST", resend=resend, shown=shown,
            seconds=retry_after(), action=request.full_path.rstrip("?")), 503)
    if response.status_code == 503:
        response.headers["Retry-After"] = str(retry_after())
        response.headers["Cache-Control"] = "no-store"
    return response


def changed_meanwhile() -> Response:
    """The answer when someone else saved the same record first (after rolling back)."""
    roll_back()
    try:
        response = _drawn(getattr(g, _CHANGED, None))
    except SQLAlchemyError as problem:
        if database_unavailable(problem):
            return unavailable()
        raise
    return response if response is not None else make_response(*_render(409))


def commit_failed(problem: Exception) -> Response:
    """The page was built, but committing its changes failed."""
    roll_back()
    if database_unavailable(problem):
        log.warning("The database was unavailable when saving: %s", type(problem).__name__)
        return unavailable()
    if isinstance(problem, StaleDataError):
        return changed_meanwhile()
    incident_reference()  # on the line below and the page
    log.error("Could not save a page's changes: %s", type(problem).__name__,
              exc_info=problem)
    return make_response(*_render(InternalServerError.code))


def _drawn(draw: Draw | None) -> Response | None:
    if draw is None:
        return None
    try:
        result = draw()
    except SQLAlchemyError as problem:
        if not database_unavailable(problem):
            raise
        roll_back()
        return None
    return None if result is None else make_response(result)


def _typed() -> tuple[list[tuple[str, str]], list[str]]:
    """What the form sent: (name, value) pairs to send again, and the values to show."""
    if request.method != "POST":
        return [], []
    resend: list[tuple[str, str]] = []
    shown: list[str] = []
    for name, values in request.form.lists():
        if _SECRET.search(name):
            continue
        for value in values:
            resend.append((name, value))
            if value.strip() and not _HIDDEN.search(name):
                shown.append(value)
    return resend, shown


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> tuple[str, int]:
        _refused(CSRF_REFUSED, reason=str(error.description)[:100])
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response | HTTPException:
        status = error.code or 500
        if status in _REFUSALS:
            _refused(_REFUSALS[status])
        if status in PAGES:
            response = make_response(*_render(status))
            # Keep the headers the error carries (a 405's Allow: the methods that work).
            for name, value in error.get_headers():
                if name.lower() != "content-type":
                    response.headers[name] = value
            return response
        return error

    @app.errorhandler(StaleDataError)
    def _changed(_error: StaleDataError) -> Response:
        return changed_meanwhile()

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response | tuple[str, int]:
        if database_unavailable(error):
            log.warning("The database was unavailable: %s", type(error).__name__)
            return unavailable()
        # Log the type and where, never the request's form data; the incident reference
        # is on the line and the page, so what someone quotes can be found.
        incident_reference()
        log.exception("Unhandled error: %s", type(error).__name__)
        roll_back()
        return _render(InternalServerError.code)
