"""A family member's signed-in state: their email, checked against a session version."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g, redirect, request, session, url_for

from portal.common.access import ACCESS_ATTRIBUTE
from portal.data import audit
from portal.data import family as store
from portal.data.engine import begin_write
from portal.data.requests import SupportRequest, find_request_by_reference
from portal.extensions import db

F = TypeVar("F", bound=Callable[..., Any])
KEY = "family"


def start(email: str) -> None:
    account = store.account(email)
    session[KEY] = {"email": account.email, "v": account.session_version}
    session.permanent = False


def current_email() -> str | None:
    if "family_email" in g:
        return g.family_email  # type: ignore[no-any-return]
    g.family_email = None
    state = session.get(KEY)
    if state:
        account = store.account(state.get("email", ""))
        if account.session_version == state.get("v"):
            g.family_email = account.email
        else:
            session.pop(KEY, None)
    return g.family_email  # type: ignore[no-any-return]


def end() -> None:
    email = current_email()
    if email:
        store.account(email).session_version += 1  # every device signs out
    session.pop(KEY, None)


def family_only(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_email() is None:
            return redirect(url_for("family.sign_in"))
        return view(*args, **kwargs)

    setattr(wrapped, ACCESS_ATTRIBUTE, "family")
    return wrapped  # type: ignore[return-value]


def family_request(reference: str) -> SupportRequest:
    """The request, if this signed-in person may follow it. Anything else: 404, logged."""
    email = current_email() or ""
    req = find_request_by_reference(reference)
    if req is None or store.access_for(email, req.id) is None:
        begin_write()  # the refusal is kept, though the 404 rolls back everything else
        audit.record(actor_type="family", actor_id=store.email_fingerprint(email),
                     action="family.denied", subject_type="path", subject_id=request.path[:64])
        db.session.commit()
        abort(404)
    return req
