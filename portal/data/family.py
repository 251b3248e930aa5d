"""Family access: who may follow which request, their sessions, and what they send us.
Queries only: portal.cases changes them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.data.base import Base, utcnow
from portal.extensions import db


class FamilyAccess(Base):
    """One person (by email) may follow one request: the requester, another parent or carer
    with parental responsibility, or the young person at 16 or over."""

    __tablename__ = "family_access"
    __table_args__ = (UniqueConstraint("request_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_requests.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[str] = mapped_column(String(20))  # requester | parent | young_person
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FamilyAccount(Base):
    """Just enough to end every session of an email address when it signs out."""

    __tablename__ = "family_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FamilyUpdate(Base):
    """Something has changed, or the family asks for a C(E)TR or a keyworker."""

    __tablename__ = "family_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_requests.id"), index=True)
    # changed | cetr | keyworker (from the family); consent_withdrawn | childs_no (notices
    # the service raises for staff when consent changes)
    kind: Mapped[str] = mapped_column(String(20))
    events: Mapped[list[str]] = mapped_column(default=list)
    details: Mapped[str | None] = mapped_column(Text)
    admitted: Mapped[bool] = mapped_column(Boolean, default=False)
    sent_by: Mapped[str] = mapped_column(String(254))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    handled_at: Mapped[datetime | None] = mapped_column(index=True)
    handled_by: Mapped[str | None] = mapped_column(String(200))


class EvidenceDocument(Base):
    """An evidence summary given to a family, with a code staff can check it against."""

    __tablename__ = "evidence_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_requests.id"), index=True)
    rating: Mapped[str] = mapped_column(String(8))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)


def has_access(email: str) -> bool:
    return db.session.scalar(select(FamilyAccess.id).where(
        FamilyAccess.email == email.strip().lower()).limit(1)) is not None


def access_for(email: str, request_id: int) -> FamilyAccess | None:
    return db.session.scalars(select(FamilyAccess).where(
        FamilyAccess.email == email, FamilyAccess.request_id == request_id)).first()


def request_ids_for(email: str) -> list[int]:
    return list(db.session.scalars(select(FamilyAccess.request_id).where(
        FamilyAccess.email == email).order_by(FamilyAccess.request_id.desc())))


def people_for(request_id: int) -> list[FamilyAccess]:
    return list(db.session.scalars(select(FamilyAccess).where(
        FamilyAccess.request_id == request_id).order_by(FamilyAccess.id)))


FAMILY_KINDS = ("changed", "cetr", "keyworker")


def updates_for(request_id: int) -> list[FamilyUpdate]:
    """What the family has sent us about this request, newest first."""
    return list(db.session.scalars(select(FamilyUpdate).where(
        FamilyUpdate.request_id == request_id, FamilyUpdate.kind.in_(FAMILY_KINDS))
        .order_by(FamilyUpdate.sent_at.desc())))


def open_updates(limit: int) -> list[FamilyUpdate]:
    """Updates staff have not handled: admissions first, then the newest (none about an
    archived record: archived records are out of every working list)."""
    from portal.data.requests import SupportRequest

    return list(db.session.scalars(select(FamilyUpdate).join(
        SupportRequest, SupportRequest.id == FamilyUpdate.request_id).where(
        FamilyUpdate.handled_at.is_(None), SupportRequest.archived_at.is_(None)).order_by(
        FamilyUpdate.admitted.desc(), FamilyUpdate.sent_at.desc()).limit(limit)))


def open_notices_for(request_id: int, kind: str) -> list[FamilyUpdate]:
    return list(db.session.scalars(select(FamilyUpdate).where(
        FamilyUpdate.request_id == request_id, FamilyUpdate.kind == kind,
        FamilyUpdate.handled_at.is_(None))))


def find_account(email: str) -> FamilyAccount | None:
    return db.session.scalars(select(FamilyAccount).where(
        FamilyAccount.email == email.strip().lower())).first()


def find_account_by_id(account_id: int) -> FamilyAccount | None:
    return db.session.get(FamilyAccount, account_id)


def find_update(update_id: int) -> FamilyUpdate | None:
    return db.session.get(FamilyUpdate, update_id)


def find_evidence(code: str) -> EvidenceDocument | None:
    return db.session.scalars(select(EvidenceDocument).where(
        EvidenceDocument.code == code.strip().upper())).first()


def email_fingerprint(email: str) -> str:
    """Who, without writing an email address into the audit log."""
    import hashlib

    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]
