"""Sending what the outbox holds: each message marked sent, or its failure counted."""

from __future__ import annotations

from flask import current_app

from portal.cases.operation import operation
from portal.common.mail import SEND_ERRORS, Transport, build
from portal.data.base import utcnow
from portal.data.outbox import OutboxMessage, pending_messages
from portal.extensions import db


@operation
def _sent(message: OutboxMessage) -> None:
    message.sent_at = utcnow()
    message.attempts += 1


@operation
def _failed(message: OutboxMessage, error: Exception) -> None:
    message.attempts += 1
    message.last_error = type(error).__name__
    if message.attempts >= int(current_app.config["MAIL_MAX_ATTEMPTS"]):
        message.given_up_at = utcnow()


def send_pending(limit: int = 100) -> tuple[int, int]:
    """Send what is waiting. Returns (sent, failed). Each message is committed on its own."""
    sent = failed = 0
    batch = pending_messages(limit)
    transport = Transport()
    try:
        for message in batch:
            try:
                transport.send(build(message))
                _sent(message)
                sent += 1
            except SEND_ERRORS as exc:
                _failed(message, exc)
                failed += 1
            db.session.commit()
    finally:
        transport.close()
    return sent, failed
