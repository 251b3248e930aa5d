"""Family access: who may follow which request, their sessions, and what they send us."""

from __future__ import annotations

import secrets
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
    kind: Mapped[str] = mapped_column(String(20))  # changed | cetr | keyworker
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


def grant(request_id: int, email: str, role: str) -> None:
    email = email.strip().lower()
    exists = db.session.scalar(select(FamilyAccess.id).where(
        FamilyAccess.request_id == request_id, FamilyAccess.email == email))
    if exists is None:
        db.session.add(FamilyAccess(request_id=request_id, email=email, role=role))


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


def account(email: str) -> FamilyAccount:
    email = email.strip().lower()
    found = db.session.scalars(select(FamilyAccount).where(FamilyAccount.email == email)).first()
    if found is None:
        found = FamilyAccount(email=email, session_version=1)
        db.session.add(found)
        db.session.flush()
    return found


def add_update(**fields: object) -> FamilyUpdate:
    update = FamilyUpdate(**fields)
    db.session.add(update)
    db.session.flush()
    return update


def updates_for(request_id: int) -> list[FamilyUpdate]:
    return list(db.session.scalars(select(FamilyUpdate).where(
        FamilyUpdate.request_id == request_id).order_by(FamilyUpdate.sent_at.desc())))


def open_updates(limit: int) -> list[FamilyUpdate]:
    """Updates staff have not handled: admissions first, then the newest."""
    return list(db.session.scalars(select(FamilyUpdate).where(
        FamilyUpdate.handled_at.is_(None)).order_by(
        FamilyUpdate.admitted.desc(), FamilyUpdate.sent_at.desc()).limit(limit)))


def find_update(update_id: int) -> FamilyUpdate | None:
    return db.session.get(FamilyUpdate, update_id)


def issue_evidence(request_id: int, rating: str) -> EvidenceDocument:
    alphabet = "ACDEFGHJKMNPQRTUVWXY34679"
    code = "EV-" + "".join(secrets.choice(alphabet) for _ in range(8))
    document = EvidenceDocument(code=code, request_id=request_id, rating=rating)
    db.session.add(document)
    db.session.flush()
    return document


def find_evidence(code: str) -> EvidenceDocument | None:
    return db.session.scalars(select(EvidenceDocument).where(
        EvidenceDocument.code == code.strip().upper())).first()


def email_fingerprint(email: str) -> str:
    """Who, without writing an email address into the audit log."""
    import hashlib

    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]
