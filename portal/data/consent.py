"""Consent texts, signatures, withdrawals and staff findings.

All four tables are append-only: the database refuses UPDATE and DELETE on them (see
the migration), so a signature always points at the exact text it agreed to and
a withdrawal is a new row, never an edit. Rows are added by portal.cases.consent only.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.data.base import Base, utcnow
from portal.data.requests import SupportRequest
from portal.domain.consent import (
    NEVER_CONSENT,
    ConsentStatus,
    Decision,
    Found,
    Given,
    Signer,
    StaffFinding,
    consent_status,
)
from portal.extensions import db


class ConsentText(Base):
    """One published version of a consent text, for one audience and one language."""

    __tablename__ = "consent_texts"
    __table_args__ = (UniqueConstraint("audience", "locale", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    audience: Mapped[str] = mapped_column(String(20))  # parent | young_person
    locale: Mapped[str] = mapped_column(String(10))
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[str] = mapped_column(String(200))


class Consent(Base):
    """A signed answer: who, as what, when, how, in which language, to which text."""

    __tablename__ = "consents"

    id: Mapped[str] = mapped_column(String(36), primary_key=True,
                                    default=lambda: str(uuid.uuid4()))
    request_id: Mapped[int] = mapped_column(ForeignKey("support_requests.id"), index=True)
    signer_role: Mapped[str] = mapped_column(String(20))  # parent | young_person
    signer_name: Mapped[str] = mapped_column(String(200))
    relationship: Mapped[str] = mapped_column(String(100))
    parental_responsibility: Mapped[bool] = mapped_column(Boolean)
    decision: Mapped[str] = mapped_column(String(12))  # yes | no | talk_first
    own_words: Mapped[str | None] = mapped_column(Text)
    method: Mapped[str] = mapped_column(String(20))  # online
    # How the signer showed who they are: the browser that sent the request, a consent
    # link emailed to them, their own young person's link, or their own request.
    via: Mapped[str | None] = mapped_column(String(20))
    # Where their receipt and withdrawal link go (None: shown on screen only).
    signer_email: Mapped[str | None] = mapped_column(String(254))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
    locale: Mapped[str] = mapped_column(String(10))
    text_id: Mapped[int] = mapped_column(ForeignKey("consent_texts.id"))
    text_version: Mapped[int] = mapped_column(Integer)
    text_sha256: Mapped[str] = mapped_column(String(64))


class ConsentWithdrawal(Base):
    __tablename__ = "consent_withdrawals"

    id: Mapped[int] = mapped_column(primary_key=True)
    consent_id: Mapped[str] = mapped_column(ForeignKey("consents.id"), unique=True)
    withdrawn_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_by_name: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)


class StaffFindingRecord(Base):
    """Gillick competence (under 16) or lack of capacity with a best-interests decision."""

    __tablename__ = "consent_staff_findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_requests.id"), index=True)
    finding: Mapped[str] = mapped_column(String(40))
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(Integer)  # the staff account
    assessed_by: Mapped[str | None] = mapped_column(String(200))  # who made the assessment
    assessed_on: Mapped[date | None] = mapped_column(Date)


def text_hash(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def latest_text(audience: str, locale: str) -> ConsentText | None:
    return db.session.scalars(
        select(ConsentText).where(ConsentText.audience == audience,
                                  ConsentText.locale == locale)
        .order_by(ConsentText.version.desc()).limit(1)
    ).first()


def text_for(audience: str, locale: str, default_locale: str = "en") -> ConsentText | None:
    """The newest text in this language, else in the default language."""
    return latest_text(audience, locale) or latest_text(audience, default_locale)


def find_text(text_id: int) -> ConsentText | None:
    return db.session.get(ConsentText, text_id)


def next_version(audience: str, locale: str) -> int:
    from sqlalchemy import func

    return int(db.session.scalar(
        select(func.max(ConsentText.version)).where(
            ConsentText.audience == audience, ConsentText.locale == locale)) or 0) + 1


def find_consent(consent_id: str) -> Consent | None:
    return db.session.get(Consent, consent_id)


def consents_for(request_id: int) -> list[tuple[Consent, ConsentWithdrawal | None]]:
    """Every answer for a request, oldest first, each with its withdrawal if any."""
    rows = db.session.execute(
        select(Consent, ConsentWithdrawal)
        .outerjoin(ConsentWithdrawal, ConsentWithdrawal.consent_id == Consent.id)
        .where(Consent.request_id == request_id)
        .order_by(Consent.signed_at, Consent.id)
    ).all()
    return [(row[0], row[1]) for row in rows]


def withdrawal_for(consent_id: str) -> ConsentWithdrawal | None:
    return db.session.scalars(
        select(ConsentWithdrawal).where(ConsentWithdrawal.consent_id == consent_id)
    ).first()


def findings_for(request_id: int) -> list[StaffFindingRecord]:
    return list(db.session.scalars(
        select(StaffFindingRecord).where(StaffFindingRecord.request_id == request_id)
        .order_by(StaffFindingRecord.id)))


def requests_with_consent() -> list[int]:
    """Ids of requests with at least one consent that still stands (not archived ones)."""
    return list(db.session.scalars(
        select(Consent.request_id).distinct()
        .join(SupportRequest, SupportRequest.id == Consent.request_id)
        .outerjoin(ConsentWithdrawal, ConsentWithdrawal.consent_id == Consent.id)
        .where(ConsentWithdrawal.id.is_(None), SupportRequest.archived_at.is_(None))
    ))


def find_withdrawal(withdrawal_id: int) -> ConsentWithdrawal | None:
    return db.session.get(ConsentWithdrawal, withdrawal_id) if withdrawal_id else None


def status_for(request: SupportRequest, today: date | None = None, *,
               without: str | None = None) -> ConsentStatus:
    """Where consent stands for a request today (see portal.domain.consent); `without`
    leaves out one answer, to say what withdrawing it would do."""
    request_id = request.id
    # An answer given from the browser that sent a foster carer's or a professional's
    # request is theirs: never consent (portal.domain.consent.NEVER_CONSENT).
    asker = request.requester_role if request.requester_role in NEVER_CONSENT else None
    given = [Given(signer=Signer(c.signer_role), decision=Decision(c.decision),
                   parental_responsibility=c.parental_responsibility, at=c.signed_at,
                   acting_as=asker if c.via == "request" else None)
             for c, withdrawn in consents_for(request_id)
             if withdrawn is None and c.id != without]
    found = [Found(StaffFinding(f.finding), f.recorded_at) for f in findings_for(request_id)]
    return consent_status(request.child_date_of_birth, today or date.today(), given, found,
                          care_status=request.care_status)


def young_persons_answer(request_id: int) -> Consent | None:
    """The young person's answer that stands now (the newest not withdrawn), if any."""
    standing = [c for c, withdrawn in consents_for(request_id)
                if withdrawn is None and c.signer_role == Signer.YOUNG_PERSON]
    return standing[-1] if standing else None


def consents_signed_by(request_id: int, email: str
                       ) -> list[tuple[Consent, ConsentWithdrawal | None]]:
    """The answers this email address gave for a request (to withdraw from the account)."""
    return [(c, w) for c, w in consents_for(request_id)
            if c.signer_email and c.signer_email == email.strip().lower()]
