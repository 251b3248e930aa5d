"""Staff sign-in state: password then a two-factor code, roles, and session limits.

The signed cookie holds the staff id, the account's session version and two times. A
request is refused (back to sign-in) when the account is disabled, its session version
moved on (signed out everywhere, or disabled), it has been idle for 30 minutes, or it
has been signed in for 12 hours.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import argon2
from flask import abort, current_app, g, redirect, request, session, url_for

from portal.common.access import ACCESS_ATTRIBUTE
from portal.data.staff import Role, StaffUser, find_staff

F = TypeVar("F", bound=Callable[..., Any])
SESSION_KEY = "staff"
PENDING_KEY = "staff_pending"  # password accepted, code not yet

_hasher = argon2.PasswordHasher()  # argon2id, the library's recommended parameters
# Checked when the email is unknown, so the answer takes as long as for a real account.
_DUMMY_HASH = _hasher.hash("not a real password, only here to take the same time")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: StaffUser | None, password: str) -> bool:
    try:
        return bool(_hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
                    and user is not None)
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


def start_session(user: StaffUser) -> None:
    now = int(time.time())
    session.pop(PENDING_KEY, None)
    session[SESSION_KEY] = {"id": user.id, "v": user.session_version, "since": now,
                            "seen": now}
    session.permanent = False  # gone when the browser closes


def end_session() -> None:
    session.pop(SESSION_KEY, None)
    session.pop(PENDING_KEY, None)


def current_staff() -> StaffUser | None:
    """The signed-in member of staff, or None. Enforces every limit on the way."""
    if "staff_user" in g:
        return g.staff_user  # type: ignore[no-any-return]
    g.staff_user = None
    state = session.get(SESSION_KEY)
    if not state:
        return None
    now = int(time.time())
    config = current_app.config
    user = find_staff(int(state.get("id", 0)))
    expired = (
        now - int(state.get("seen", 0)) > int(config["STAFF_IDLE_MINUTES"]) * 60
        or now - int(state.get("since", 0)) > int(config["STAFF_MAX_HOURS"]) * 3600
    )
    if user is None or not user.active or user.session_version != state.get("v") or expired:
        end_session()
        g.staff_timed_out = expired
        return None
    if now - int(state["seen"]) >= 60:  # renew the idle clock at most once a minute
        session[SESSION_KEY] = {**state, "seen": now}
    g.staff_user = user
    return user


def staff_only(*roles: Role) -> Callable[[F], F]:
    """Signed-in staff with one of these roles. Others: sign in (302) or refused (403)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_staff()
            if user is None:
                timed_out = "1" if g.get("staff_timed_out") else None
                return redirect(url_for("staff.sign_in", next=request.path,
                                        timed_out=timed_out))
            if Role(user.role) not in roles:
                abort(403)
            return view(*args, **kwargs)

        setattr(wrapped, ACCESS_ATTRIBUTE, "staff:" + ",".join(sorted(r.value for r in roles)))
        return wrapped  # type: ignore[return-value]

    return decorate


CASEWORK = (Role.TRIAGE, Role.MANAGER)  # triage requests and keep the register
READ_REGISTER = (Role.TRIAGE, Role.MANAGER, Role.PARTNER)
