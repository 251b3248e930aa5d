"""Staff accounts and signing in: accounts created and changed by admins (or a command),
sign-in attempts counted in the database, codes set up and used, sessions ended."""

from __future__ import annotations

import pyotp

from portal.cases import audit
from portal.cases.operation import Actor, NotAllowed, operation
from portal.data.base import utcnow
from portal.data.staff import Role, SignInAttempt, StaffUser, email_key
from portal.extensions import db


@operation
def create(actor: Actor, *, email: str, name: str, role: Role,
           password_hash: str) -> StaffUser:
    if actor.is_staff and not actor.has_role(Role.ADMIN):
        raise NotAllowed("only admins create staff accounts")
    user = StaffUser(email=email.strip().lower(), name=name, role=role.value,
                     password_hash=password_hash)
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "staff.created", "staff", user.id, role=user.role)
    return user


@operation
def change(actor: Actor, user: StaffUser, what: str) -> None:
    """An admin disables or enables an account, or resets its two-factor codes. Disabling
    and resetting end every session of that account."""
    if not actor.has_role(Role.ADMIN):
        raise NotAllowed("only admins change staff accounts")
    if what == "disable":
        user.disabled_at = utcnow()
        user.session_version += 1
    elif what == "enable":
        user.disabled_at = None
    elif what == "reset-codes":
        user.totp_secret = None
        user.totp_confirmed_at = None
        user.session_version += 1
    else:
        raise ValueError(what)
    audit.record(actor, f"staff.{what}", "staff", user.id)


@operation
def sign_in_failed(email: str) -> None:
    db.session.add(SignInAttempt(key=email_key(email), succeeded=False))


@operation
def code_secret(user: StaffUser) -> str:
    """The secret for a first sign-in's authenticator app (made once, kept until used)."""
    if not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
    return user.totp_secret


@operation
def code_used(user: StaffUser, step: int, *, enrolling: bool) -> None:
    """A code was accepted: it cannot be used again, and a first one confirms the app."""
    user.totp_last_step = step
    if enrolling:
        user.totp_confirmed_at = utcnow()


@operation
def signed_in(user: StaffUser) -> None:
    user.last_signed_in_at = utcnow()
    db.session.add(SignInAttempt(key=email_key(user.email), succeeded=True))
    audit.record(Actor.for_staff(user), "staff.signed_in", "staff", user.id)


@operation
def signed_out(user: StaffUser) -> None:
    """Signing out ends every session of this account, on every device."""
    user.session_version += 1
    audit.record(Actor.for_staff(user), "staff.signed_out", "staff", user.id)
