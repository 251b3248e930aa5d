"""Professionals' referrals and children in care: the council's consent under a care
order (the record of who gave it for the council and on what legal basis) and the
people involved in a child's care named on their register entry. Queries only:
portal.cases.referrals changes them.

A council's consent is a Consent row (signer_role "council", relationship "social worker
for the council", parental responsibility shared by the order) with one CouncilConsent
row beside it that says which council and the legal basis. Like consents, the row is
never changed: the council's withdrawal is a ConsentWithdrawal of the consent.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.data.base import Base, utcnow
from portal.extensions import db

COUNCIL_RELATIONSHIP = "social worker for the council"


class CouncilConsent(Base):
    __tablename__ = "council_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    consent_id: Mapped[str] = mapped_column(ForeignKey("consents.id"), unique=True)
    council: Mapped[str] = mapped_column(String(100))
    job_title: Mapped[str] = mapped_column(String(100))
    legal_basis: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class EntryContact(Base):
    """Someone involved in a child's care, shown on their entry: the professional who
    referred them, recorded when the request was accepted."""

    __tablename__ = "entry_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("register_entries.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    job: Mapped[str | None] = mapped_column(String(100))
    organisation: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    kind: Mapped[str] = mapped_column(String(20))  # referrer
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


def council_consents_for(consent_ids: list[str]) -> dict[str, CouncilConsent]:
    if not consent_ids:
        return {}
    rows = db.session.scalars(select(CouncilConsent).where(
        CouncilConsent.consent_id.in_(consent_ids)))
    return {row.consent_id: row for row in rows}


def contacts_for(entry_id: int) -> list[EntryContact]:
    return list(db.session.scalars(select(EntryContact).where(
        EntryContact.entry_id == entry_id).order_by(EntryContact.id)))


def referred_request_ids(email: str) -> set[int]:
    """The requests this address follows as the professional who referred them."""
    from portal.data.family import FamilyAccess

    return set(db.session.scalars(select(FamilyAccess.request_id).where(
        FamilyAccess.email == email, FamilyAccess.role == REFERRER_ACCESS)))


REFERRER_ACCESS = "referrer"  # FamilyAccess.role: status only, never answers or messages
