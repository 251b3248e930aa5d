"""Who is signed in (Flask-Login), for staff and for families, and the access decorators.

Flask-Login keeps one signed-in person per browser: a member of staff (password, then a
code from an authenticator app) or a family member (a link emailed to them). The id it
stores carries the account's session version, so signing out, or being disabled, ends
every session of that account at once. Staff sessions also end after
STAFF_IDLE_MINUTES idle or STAFF_MAX_HOURS signed in.

Young people have no account: their own link lets their browser give their answer
(see portal.public.grants), and nothing else.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import argon2
import pyotp
from cryptography.fernet import Fernet, MultiFernet
from flask import abort, current_app, g, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from portal.common.access import ACCESS_ATTRIBUTE
from portal.data.family import FamilyAccount, find_account_by_id
from portal.data.staff import Role, StaffUser, find_staff
from portal.extensions import login_manager

F = TypeVar("F", bound=Callable[..., Any])
PENDING_KEY = "staff_pending"  # password accepted, code not yet
_TIMES = "auth_times"  # (signed in at, last seen) for the idle and absolute limits

_hasher = argon2.PasswordHasher()  # argon2id, the library's recommended parameters
# Checked when the email is unknown, so the answer takes as long as for a real account.
_DUMMY_HASH = _hasher.hash("not a real password, only here to take the same time")


# Stored for an account whose owner has not chosen a password yet: no password matches it.
NO_PASSWORD = "!"  # noqa: S105 (a marker no hash equals, not a password)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: StaffUser | None, password: str) -> bool:
    try:
        return bool(_hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
                    and user is not None)
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


def needs_rehash(user: StaffUser) -> bool:
    """Whether this (right) password's hash was made with other argon2 parameters than
    today's: it is hashed again at sign-in, while the password is at hand."""
    try:
        return _hasher.check_needs_rehash(user.password_hash)
    except (argon2.exceptions.InvalidHashError, ValueError):
        return False


# Two-factor secrets are kept encrypted (Fernet: AES-128-CBC and HMAC-SHA256) with
# TOTP_ENCRYPTION_KEYS: the first key encrypts, every key decrypts, so a key is changed by
# adding the new one first, re-encrypting (`flask rotate-totp-key`), then removing the old.
_FERNET = "totp_fernet"


def _fernet() -> MultiFernet:
    keys = current_app.config["TOTP_ENCRYPTION_KEYS"]
    cached = current_app.extensions.get(_FERNET)
    if cached is None or cached[0] != keys:
        cached = (keys, MultiFernet([Fernet(key) for key in keys]))
        current_app.extensions[_FERNET] = cached
    return cached[1]


def encrypt_secret(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt_secret(stored: str) -> str:
    """The plain secret. Raises cryptography's InvalidToken if no key opens it."""
    return _fernet().decrypt(stored.encode()).decode()


def reencrypt_secret(stored: str) -> str:
    """The same secret encrypted with the first key (after a new key was added)."""
    return _fernet().rotate(stored.encode()).decode()


def code_secret_of(user: StaffUser) -> str | None:
    return decrypt_secret(user.totp_secret) if user.totp_secret else None


def code_step(user: StaffUser, code: str, *, now: float | None = None) -> int | None:
    """The time step of a right code not used before, else None. Codes are compared in
    constant time, whichever step they match."""
    secret = code_secret_of(user)
    if not secret:
        return None
    totp = pyotp.TOTP(secret)
    typed = "".join(ch for ch in code if ch.isdigit()).encode()
    moment = time.time() if now is None else now
    found = None
    for offset in (0, -1, 1):  # allow for a clock a little out
        step = int(moment // totp.interval) + offset
        if hmac.compare_digest(totp.at(step * totp.interval).encode(), typed) and found is None:
            found = step
    if found is None or (user.totp_last_step is not None and found <= user.totp_last_step):
        return None  # wrong, or a code already used: a code works once
    return found


class _Principal:
    is_authenticated = True
    is_anonymous = False
    kind = ""

    @property
    def is_active(self) -> bool:
        return True


class StaffPrincipal(_Principal):
    kind = "staff"

    def __init__(self, user: StaffUser) -> None:
        self.user = user

    @property
    def is_active(self) -> bool:
        return self.user.active

    def get_id(self) -> str:
        return f"staff:{self.user.id}:{self.user.session_version}"


class FamilyPrincipal(_Principal):
    kind = "family"

    def __init__(self, account: FamilyAccount) -> None:
        self.account = account

    @property
    def email(self) -> str:
        return self.account.email

    def get_id(self) -> str:
        return f"family:{self.account.id}:{self.account.session_version}"


def _expired() -> bool:
    times = session.get(_TIMES)
    if not times:
        return True
    since, seen = int(times[0]), int(times[1])
    now = int(time.time())
    config = current_app.config
    if (now - seen > int(config["STAFF_IDLE_MINUTES"]) * 60
            or now - since > int(config["STAFF_MAX_HOURS"]) * 3600):
        return True
    if now - seen >= 60:  # renew the idle clock at most once a minute
        session[_TIMES] = [since, now]
    return False


@login_manager.user_loader
def _load(user_id: str) -> _Principal | None:
    kind, _, rest = user_id.partition(":")
    ident, _, version = rest.partition(":")
    if not ident.isdigit() or not version.isdigit():
        return None
    if kind == "staff":
        user = find_staff(int(ident))
        if user is None or not user.active or user.session_version != int(version):
            return None
        if _expired():
            g.staff_timed_out = True
            session.pop(_TIMES, None)
            return None
        return StaffPrincipal(user)
    if kind == "family":
        account = find_account_by_id(int(ident))
        if account is None or account.session_version != int(version):
            return None
        return FamilyPrincipal(account)
    return None


def start_staff_session(user: StaffUser) -> None:
    session.pop(PENDING_KEY, None)
    now = int(time.time())
    session[_TIMES] = [now, now]
    login_user(StaffPrincipal(user), remember=False)


def start_family_session(account: FamilyAccount) -> None:
    session.pop(PENDING_KEY, None)
    session.pop(_TIMES, None)
    login_user(FamilyPrincipal(account), remember=False)


def end_session() -> None:
    logout_user()
    session.pop(PENDING_KEY, None)
    session.pop(_TIMES, None)


def current_staff() -> StaffUser | None:
    """The signed-in member of staff, or None (the limits are enforced on the way)."""
    principal = current_user._get_current_object()  # type: ignore[attr-defined]
    return principal.user if isinstance(principal, StaffPrincipal) else None


def signed_in_staff() -> StaffUser:
    """The signed-in member of staff, inside a view guarded by `staff_only`."""
    user = current_staff()
    if user is None:
        abort(403)
    return user


def current_family_email() -> str | None:
    principal = current_user._get_current_object()  # type: ignore[attr-defined]
    return principal.email if isinstance(principal, FamilyPrincipal) else None


def current_family_account() -> FamilyAccount | None:
    principal = current_user._get_current_object()  # type: ignore[attr-defined]
    return principal.account if isinstance(principal, FamilyPrincipal) else None


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


def family_only(view: F) -> F:
    """A family member signed in by emailed link. Others: to the family sign-in page."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_family_email() is None:
            return redirect(url_for("family.sign_in"))
        return view(*args, **kwargs)

    setattr(wrapped, ACCESS_ATTRIBUTE, "family")
    return wrapped  # type: ignore[return-value]


CASEWORK = (Role.TRIAGE, Role.MANAGER)  # triage requests and keep the register
READ_REGISTER = (Role.TRIAGE, Role.MANAGER, Role.PARTNER)
