"""Unfinished requests, kept server-side so nothing is lost if a phone dies."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ForeignKey, String, delete, func, select, update
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


def new_draft(*, locale: str, ttl_days: int) -> Draft:
    now = utcnow()
    draft = Draft(
        id=str(uuid.uuid4()),
        answers={},
        locale=locale,
        idempotency_key=secrets.token_urlsafe(32),
        created_at=now,
        updated_at=now,
        expires_at=now + timedelta(days=ttl_days),
    )
    db.session.add(draft)
    return draft


def find_live_draft(draft_id: str | None) -> Draft | None:
    if not draft_id:
        return None
    draft = db.session.get(Draft, draft_id)
    if draft is None or draft.expires_at <= utcnow():
        return None
    return draft


def save_answers(draft: Draft, answers: dict[str, Any], *, ttl_days: int) -> None:
    """Merge a page's answers into the draft and push its expiry back."""
    merged = dict(draft.answers or {})
    merged.update(answers)
    draft.answers = merged
    now = utcnow()
    draft.updated_at = now
    draft.expires_at = now + timedelta(days=ttl_days)


def purge_expired_drafts(now: datetime | None = None) -> int:
    moment = now or utcnow()
    db.session.execute(delete(EmailLink).where(EmailLink.expires_at <= moment))
    expired_ids = select(Draft.id).where(Draft.expires_at <= moment)
    db.session.execute(delete(EmailLink).where(EmailLink.draft_id.in_(expired_ids)))
    result = db.session.execute(delete(Draft).where(Draft.expires_at <= moment))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def mark_link_used(link: EmailLink) -> bool:
    """Use a link up; False when another request used it first (two taps at once)."""
    moment = utcnow()
    result = db.session.execute(
        update(EmailLink).where(EmailLink.id == link.id, EmailLink.used_at.is_(None))
        .values(used_at=moment).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    link.used_at = moment
    return True


def count_recent_links(draft_id: str | None, purpose: str, since: datetime,
                       request_id: int | None = None) -> int:
    owner = (EmailLink.draft_id == draft_id) if draft_id else (
        EmailLink.request_id == request_id)
    return int(db.session.scalar(
        select(func.count()).select_from(EmailLink).where(
            owner, EmailLink.purpose == purpose, EmailLink.created_at >= since)
    ) or 0)


def add_email_link(*, purpose: str, nonce_hash: str, ttl: timedelta,
                   draft_id: str | None = None, request_id: int | None = None,
                   subject: str | None = None) -> EmailLink:
    now = utcnow()
    link = EmailLink(
        purpose=purpose, nonce_hash=nonce_hash, draft_id=draft_id, request_id=request_id,
        subject=subject, created_at=now, expires_at=now + ttl,
    )
    db.session.add(link)
    return link


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
