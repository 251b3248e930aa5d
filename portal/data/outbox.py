"""Messages waiting to be sent. Written in the same transaction as the change they
announce, sent later by a job worker (or `flask send-outbox`), so a message is never lost
or sent for a change that was rolled back. Queued by portal.cases.emails, sent by
portal.cases.outbox: one sender claims one message at a time, so none is sent twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Text, event, func, or_, select
from sqlalchemy.orm import Mapped, mapped_column, object_session

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
    # Which sender holds it and until when (after that, another sender may take it).
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None]
    # A retry waits until then (NULL: send at once).
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True)
    # The body was cleared after sending (retention): the row stays as the record.
    body_removed_at: Mapped[datetime | None]


# Set on the session when a message is queued, so that whoever commits it (a page) can
# ask for it to be sent now rather than at the next sweep.
QUEUED = "outbox.queued"


@event.listens_for(OutboxMessage, "after_insert")
def _note_insert(_mapper: Any, _connection: Any, message: OutboxMessage) -> None:
    session = object_session(message)
    if session is not None:
        session.info[QUEUED] = True


def note_queued() -> None:
    """Mark this session as having made email ready to send (a requeue, say)."""
    db.session.info[QUEUED] = True


def take_queued() -> bool:
    """Whether this session made email ready to send since last asked."""
    return bool(db.session.info.pop(QUEUED, False))


def _waiting() -> Any:
    return (OutboxMessage.sent_at.is_(None)) & (OutboxMessage.given_up_at.is_(None))


def _due(now: datetime) -> Any:
    """Waiting, not held back for a retry, and not held by a sender (or its hold is over)."""
    return (_waiting()
            & or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now)
            & or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))


def lock_next_due(now: datetime) -> OutboxMessage | None:
    """The next message to send, locked for this transaction: new mail before retries.

    PostgreSQL: FOR UPDATE SKIP LOCKED, so two senders never wait for, or take, the same
    row. SQLite has no row locks: the caller's write transaction (BEGIN IMMEDIATE) already
    keeps every other writer out until it commits its claim."""
    return db.session.scalars(
        select(OutboxMessage).where(_due(now))
        .order_by(OutboxMessage.attempts, OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()


def pending_messages(limit: int = 100) -> list[OutboxMessage]:
    """Messages not sent and not given up, oldest first (whether due now or not)."""
    return list(db.session.scalars(
        select(OutboxMessage).where(_waiting()).order_by(OutboxMessage.id).limit(limit)))


def given_up_messages(limit: int = 200) -> list[OutboxMessage]:
    """Messages given up on (the dead-letter list), the most recent first."""
    return list(db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.given_up_at.is_not(None))
        .order_by(OutboxMessage.given_up_at.desc(), OutboxMessage.id.desc())
        .limit(limit)))


def count_given_up() -> int:
    return int(db.session.scalar(
        select(func.count()).select_from(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.given_up_at.is_not(None))) or 0)


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
