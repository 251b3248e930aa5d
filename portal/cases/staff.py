"""Staff accounts and signing in: accounts created and changed by admins (or a command),
sign-in attempts counted in the database, codes set up and used, sessions ended.

Nobody chooses another person's password: a new account gets a set-up link by email
(signed, expiring, single use) and its owner chooses their own. Every role given or
changed is audited and emailed to every admin."""

from __future__ import annotations

from datetime import timedelta

import pyotp
from flask import current_app
from sqlalchemy import update

from portal.cases import audit, emails
from portal.cases.links import issue, use
from portal.cases.operation import Actor, NotAllowed, operation
from portal.common.auth import NO_PASSWORD, code_secret_of, encrypt_secret, reencrypt_secret
from portal.common.i18n import lazy_gettext as _l
from portal.common.urls import external_url
from portal.data.base import utcnow
from portal.data.drafts import EmailLink
from portal.data.staff import (
    Role,
    SignInAttempt,
    StaffUser,
    email_key,
    staff_with_code_secrets,
    staff_with_roles,
)
from portal.extensions import db

SET_UP_LINK = "staff-set-up"
ROLE_NAMES = {
    Role.TRIAGE.value: _l("Triage officer"),
    Role.MANAGER.value: _l("Register manager"),
    Role.PARTNER.value: _l("Partner agency"),
    Role.ADMIN.value: _l("Admin (manages staff, sees no child records)"),
}


def _tell_admins(actor: Actor, user: StaffUser, before: str | None) -> None:
    """Every admin hears of a role given or changed, whoever gave it."""
    locale = str(current_app.config["BABEL_DEFAULT_LOCALE"])
    for admin in staff_with_roles(Role.ADMIN):
        emails.send("staff_role_changed", admin.email, locale=locale, name=user.name,
                    email=user.email, role_name=ROLE_NAMES[user.role],
                    before_name=ROLE_NAMES[before] if before else None,
                    by=actor.name or actor.id or actor.kind,
                    link=external_url("staff.admin_staff"))


@operation
def create(actor: Actor, *, email: str, name: str, role: Role,
           password_hash: str | None = None) -> StaffUser:
    """A new account. Without a password hash (the only way outside the demo data) nobody
    can sign in to it until its owner chooses a password with `send_set_up_link`'s link."""
    if actor.is_staff and not actor.has_role(Role.ADMIN):
        raise NotAllowed("only admins create staff accounts")
    user = StaffUser(email=email.strip().lower(), name=name, role=role.value,
                     password_hash=password_hash or NO_PASSWORD)
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "staff.created", "staff", user.id, role=user.role)
    _tell_admins(actor, user, None)
    return user


@operation
def send_set_up_link(actor: Actor, user: StaffUser) -> str:
    """Email the account's owner a link to choose their password (any earlier one stops
    working). Returns the link, for a command run by the operator."""
    if actor.is_staff and not actor.has_role(Role.ADMIN):
        raise NotAllowed("only admins send set-up links")
    db.session.execute(
        update(EmailLink).where(EmailLink.purpose == SET_UP_LINK,
                                EmailLink.subject == str(user.id),
                                EmailLink.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False))
    hours = int(current_app.config["STAFF_SET_UP_LINK_HOURS"])
    token = issue(SET_UP_LINK, ttl=timedelta(hours=hours), subject=str(user.id))
    link = external_url("staff.set_up", token=token)
    emails.send("staff_set_up", user.email,
                locale=str(current_app.config["BABEL_DEFAULT_LOCALE"]), link=link,
                hours=hours, sign_in_url=external_url("staff.sign_in"))
    audit.record(actor, "staff.set_up_link_sent", "staff", user.id)
    return link


@operation
def choose_password(link: EmailLink, user: StaffUser, password_hash: str) -> bool:
    """The owner chose their password through their set-up link (used up here). Ends any
    session of the account. False when the link was used meanwhile."""
    if not use(link):
        return False
    user.password_hash = password_hash
    user.session_version += 1
    audit.record(Actor.for_staff(user), "staff.password_chosen", "staff", user.id)
    return True


@operation
def change_role(actor: Actor, user: StaffUser, role: Role) -> None:
    """An admin gives another account a new role; audited and emailed to every admin."""
    if not actor.has_role(Role.ADMIN):
        raise NotAllowed("only admins change roles")
    if actor.is_staff and actor.id == str(user.id):
        raise NotAllowed("nobody changes their own role")
    before = user.role
    if before == role.value:
        return
    user.role = role.value
    user.session_version += 1
    audit.record(actor, "staff.role_changed", "staff", user.id, before=before,
                 after=role.value)
    _tell_admins(actor, user, before)


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
def password_rehashed(user: StaffUser, password_hash: str) -> None:
    """The right password, hashed again with today's argon2 parameters."""
    user.password_hash = password_hash


@operation
def code_secret(user: StaffUser) -> str:
    """The secret for a first sign-in's authenticator app (made once, kept until used),
    stored encrypted; returned plain, to show once."""
    if not user.totp_secret:
        secret = pyotp.random_base32()
        user.totp_secret = encrypt_secret(secret)
        return secret
    return code_secret_of(user) or ""


@operation
def reencrypt_code_secrets() -> int:
    """Every two-factor secret encrypted again with the first TOTP_ENCRYPTION_KEYS key.
    Returns how many."""
    users = staff_with_code_secrets()
    for user in users:
        user.totp_secret = reencrypt_secret(user.totp_secret or "")
    return len(users)


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
