"""Messages waiting to be sent. Written in the same transaction as the change they
announce, sent later by `flask send-outbox`, so a message is never lost or sent for a
change that was rolled back. Queued and sent by portal.cases.emails."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.data.base import Base, utcnow
from portal.extensions import db


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(10))
    # One message per event: a second attempt to queue the same one is ignored.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    given_up_at: Mapped[datetime | None]


def pending_messages(limit: int = 100) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.given_up_at.is_(None))
            .order_by(OutboxMessage.attempts, OutboxMessage.id)  # new mail before retries
            .limit(limit)
        )
    )


def messages_to(address: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_address == address)
            .order_by(OutboxMessage.id)
        )
    )


def already_queued(dedupe_key: str) -> bool:
    return db.session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
    ) is not None


def recent_messages(limit: int = 100) -> list[OutboxMessage]:
    """The newest messages first, sent or not (the development emails page)."""
    return list(
        db.session.scalars(
            select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
        )
    )
