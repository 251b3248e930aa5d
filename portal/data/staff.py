"""Staff accounts and sign-in attempts (kept in the database so limits hold across workers)."""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.data.base import Base, Timestamped, utcnow
from portal.extensions import db


class Role(enum.StrEnum):
    TRIAGE = "triage_officer"
    MANAGER = "register_manager"
    PARTNER = "partner_viewer"  # read-only, need to know
    ADMIN = "admin"  # manages staff accounts, sees no child records


class StaffUser(Timestamped, Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(30))
    password_hash: Mapped[str] = mapped_column(String(200))
    # Encrypted (portal.common.auth.encrypt_secret): never the plain secret.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_confirmed_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(Integer)  # a code works once
    disabled_at: Mapped[datetime | None]
    # Bumped on sign-out and when disabled: every cookie with an older number stops working.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    last_signed_in_at: Mapped[datetime | None]
    # A partner account's agency (portal.data.partners): what it may act on.
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    # A triage officer or register manager on duty hears at once of urgent requests and
    # reported admissions (portal.cases.alerts).
    on_duty: Mapped[bool] = mapped_column(Boolean, default=False)

    version_id: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    __mapper_args__ = {"version_id_col": version_id}

    @property
    def active(self) -> bool:
        return self.disabled_at is None


class SignInAttempt(Base):
    __tablename__ = "staff_sign_in_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), index=True)  # SHA-256 of the email typed
    succeeded: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


def email_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def find_staff_by_email(email: str) -> StaffUser | None:
    return db.session.scalars(
        select(StaffUser).where(StaffUser.email == email.strip().lower())).first()


def find_staff(staff_id: int) -> StaffUser | None:
    return db.session.get(StaffUser, staff_id)


def all_staff() -> list[StaffUser]:
    return list(db.session.scalars(select(StaffUser).order_by(StaffUser.name)))


def staff_with_roles(*roles: Role) -> list[StaffUser]:
    return list(db.session.scalars(
        select(StaffUser).where(StaffUser.role.in_([r.value for r in roles]),
                                StaffUser.disabled_at.is_(None))
        .order_by(StaffUser.name)))


def recent_failures(email: str, since: datetime) -> int:
    return int(db.session.scalar(
        select(func.count()).select_from(SignInAttempt).where(
            SignInAttempt.key == email_key(email), SignInAttempt.succeeded.is_(False),
            SignInAttempt.at >= since)) or 0)


def staff_with_code_secrets() -> list[StaffUser]:
    """Every account holding a two-factor secret, locked for a change (key rotation)."""
    return list(db.session.scalars(select(StaffUser).where(
        StaffUser.totp_secret.is_not(None)).order_by(StaffUser.id).with_for_update()))
