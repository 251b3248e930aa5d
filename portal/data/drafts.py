"""Unfinished requests, kept server-side so nothing is lost if a phone dies, and the links
sent by email. Queries only: portal.cases changes them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Select, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.data.base import Base, Timestamped, utcnow
from portal.extensions import db


class Draft(Timestamped, Base):
    __tablename__ = "request_drafts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    locale: Mapped[str] = mapped_column(String(10), default="en")
    # Sent with the final "Send" button: a retried submission finds its request.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class EmailLink(Base):
    """A link sent by email: only a hash of its nonce is kept, and it works once."""

    __tablename__ = "email_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(40))
    nonce_hash: Mapped[str] = mapped_column(String(64), unique=True)
    draft_id: Mapped[str | None] = mapped_column(
        ForeignKey("request_drafts.id", ondelete="CASCADE"), index=True
    )
    # Links about a sent request (consent, withdrawal): the request, and what in it.
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("support_requests.id", ondelete="CASCADE"), index=True
    )
    subject: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


def expired_draft_ids(moment: datetime) -> Select[tuple[str]]:
    """The ids of drafts that have expired by this moment (to purge them and their links)."""
    return select(Draft.id).where(Draft.expires_at <= moment)


def find_live_draft(draft_id: str | None) -> Draft | None:
    if not draft_id:
        return None
    draft = db.session.get(Draft, draft_id)
    if draft is None or draft.expires_at <= utcnow():
        return None
    return draft


def count_recent_links(draft_id: str | None, purpose: str, since: datetime,
                       request_id: int | None = None) -> int:
    owner = (EmailLink.draft_id == draft_id) if draft_id else (
        EmailLink.request_id == request_id)
    return int(db.session.scalar(
        select(func.count()).select_from(EmailLink).where(
            owner, EmailLink.purpose == purpose, EmailLink.created_at >= since)
    ) or 0)


def find_email_link(nonce_hash: str, purpose: str) -> EmailLink | None:
    return db.session.scalars(
        select(EmailLink).where(EmailLink.nonce_hash == nonce_hash, EmailLink.purpose == purpose)
    ).first()


def count_links_for_subject(purpose: str, subject: str, since: datetime) -> int:
    """Links of one purpose issued for one subject (an email address) since a moment."""
    return int(db.session.scalar(
        select(func.count()).select_from(EmailLink).where(
            EmailLink.purpose == purpose, EmailLink.subject == subject,
            EmailLink.created_at >= since)
    ) or 0)
