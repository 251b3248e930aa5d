"""Sending what the outbox holds: each email once, however many senders run at once.

A sender takes one message at a time:

1. Claim it in a short write transaction of its own (PostgreSQL: SELECT ... FOR UPDATE
   SKIP LOCKED; SQLite: BEGIN IMMEDIATE, which lets one writer in at a time), setting
   claimed_by and claimed_until, and commit. Until then no other sender will take it.
2. Send it, with no transaction open (a slow mail server never holds the database).
3. Record what happened in a transaction of its own: sent (sent_at, one more attempt,
   the claim cleared), or failed (one more attempt, the error, and when to try again
   from MAIL_RETRY_SECONDS; given up after MAIL_MAX_ATTEMPTS). Recording is tried again
   while the database is locked or away, for as long as the claim holds: an email that
   went is never sent again because the database was busy when it went.

A sender that dies between 1 and 3 leaves its claim, which ends after MAIL_CLAIM_SECONDS;
another sender then takes the message. Each email carries a Message-ID made from its
outbox row, the same on every try, so a receiving system can tell a repeat.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import smtplib
import socket
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from portal.cases import audit
from portal.cases.operation import Actor, operation, require_role
from portal.common.mail import SEND_ERRORS, PermanentSendError, Transport, build
from portal.data.base import utcnow
from portal.data.outbox import OutboxMessage, lock_next_due, note_queued
from portal.data.staff import Role
from portal.extensions import db

log = logging.getLogger(__name__)
T = TypeVar("T")
RECORD_PATIENCE_SECONDS = 60  # at least this long, however short the claim
_ADDRESS = re.compile(r"[^\s<>@]+@[^\s<>@]+")


@dataclass(frozen=True)
class Claimed:
    """What a sender needs of the message it holds (read while claiming it: nothing is
    read from the database while the email is being sent)."""

    id: int
    kind: str
    to_address: str
    subject: str
    body: str
    locale: str
    message_id: str


def sender_name() -> str:
    """Who is sending: this machine, process and thread (the claim's owner)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:100]


def message_id_for(message: OutboxMessage) -> str:
    """The email's Message-ID: the same for every try of this outbox row, and for no
    other row here or on another site."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    seed = f"{message.id}:{message.created_at.isoformat()}:{message.dedupe_key or ''}:{host}"
    return f"<outbox-{message.id}.{hashlib.sha256(seed.encode()).hexdigest()[:16]}@{host}>"


def describe(error: BaseException) -> str:
    """The error in a line for staff: its kind and the mail server's answer, without any
    email address."""
    name = type(error).__name__
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({str(code) for code, _ in error.recipients.values()})
        text = f"{name}: {', '.join(codes)}"
    elif isinstance(error, smtplib.SMTPResponseException):
        answer = error.smtp_error
        answer = answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)
        text = f"{name}: {error.smtp_code} {answer}"
    elif isinstance(error, OSError) and error.strerror:
        text = f"{name}: {error.strerror}"
    else:
        text = f"{name}: {error}" if str(error) else name
    return _ADDRESS.sub("[address]", " ".join(text.split()))[:500]


# Claiming ----------------------------------------------------------------------------

@operation
def _claim(sender: str, now: datetime, hold: timedelta) -> Claimed | None:
    message = lock_next_due(now)
    if message is None:
        return None
    message.claimed_by = sender
    message.claimed_until = now + hold
    return Claimed(message.id, message.kind, message.to_address, message.subject,
                   message.body, message.locale, message_id_for(message))


def claim_next(sender: str) -> Claimed | None:
    """Take the next message due, committed so no other sender takes it."""
    hold = timedelta(seconds=int(current_app.config["MAIL_CLAIM_SECONDS"]))
    try:
        claimed = _claim(sender, utcnow(), hold)
        db.session.commit()
    except BaseException:
        _rollback()
        raise
    return claimed


# Recording what happened ----------------------------------------------------------------

@operation
def _sent(message_id: int, at: datetime) -> None:
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id)
        .values(sent_at=at, attempts=OutboxMessage.attempts + 1, claimed_by=None,
                claimed_until=None, next_attempt_at=None)
        .execution_options(synchronize_session=False))


@operation
def _failed(message_id: int, error: str, permanent: bool, at: datetime) -> None:
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    if message is None or message.sent_at is not None:
        return
    config = current_app.config
    waits: list[int] = list(config["MAIL_RETRY_SECONDS"])
    message.attempts += 1
    message.last_error = error
    message.claimed_by = None
    message.claimed_until = None
    if permanent or message.attempts >= int(config["MAIL_MAX_ATTEMPTS"]):
        message.given_up_at = at
        message.next_attempt_at = None
    else:
        wait = waits[min(message.attempts, len(waits)) - 1]
        message.next_attempt_at = at + timedelta(seconds=wait)


def _busy_or_away(problem: BaseException) -> bool:
    """The database is locked, or its connection was lost: worth trying again."""
    if isinstance(problem, DBAPIError):
        return (isinstance(problem, OperationalError | InterfaceError)
                or bool(problem.connection_invalidated))
    # SQLite's BEGIN IMMEDIATE is sent straight to the driver: its error arrives unwrapped.
    return isinstance(problem, sqlite3.OperationalError)


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # the connection is gone: start again with a new one
        db.session.close()


def until_recorded(step: Callable[..., T], *args: Any, patience: float) -> T:
    """Run an operation and commit it, trying again while the database is locked or away
    (waits growing from 0.2 to 5 seconds) for `patience` seconds."""
    deadline = time.monotonic() + patience
    wait = 0.2
    while True:
        try:
            result = step(*args)
            db.session.commit()
            return result
        except Exception as problem:
            _rollback()
            if not _busy_or_away(problem) or time.monotonic() >= deadline:
                raise
            log.warning("The database did not take %s yet (%s); trying again in %.1f s",
                        getattr(step, "__name__", "a change"), type(problem).__name__, wait)
        time.sleep(wait)
        wait = min(wait * 2, 5.0)


def _patience() -> float:
    return float(max(int(current_app.config["MAIL_CLAIM_SECONDS"]), RECORD_PATIENCE_SECONDS))


# The sweep --------------------------------------------------------------------------------

def send_pending(limit: int = 100, should_stop: Callable[[], bool] | None = None
                 ) -> tuple[int, int]:
    """Send what is due, one message at a time, until none is left, `limit` have been
    tried, or `should_stop()` says so (a worker stopping). Returns (sent, failed).

    Safe to run in any number of processes at once: each message goes to one of them."""
    sender = sender_name()
    sent = failed = 0
    transport = Transport()
    try:
        while sent + failed < limit and not (should_stop and should_stop()):
            try:
                claimed = claim_next(sender)
            except Exception as problem:
                if not _busy_or_away(problem):
                    raise
                log.warning("No email could be claimed: the database is busy or away (%s); "
                            "the next sweep tries again", type(problem).__name__)
                break
            if claimed is None:
                break
            started = time.monotonic()
            try:
                transport.send(build(claimed))
            except Exception as problem:
                if not isinstance(problem, SEND_ERRORS):
                    log.exception("Email %s could not be built or sent", claimed.id)
                else:
                    log.warning("Email %s was not sent: %s", claimed.id, describe(problem))
                until_recorded(_failed, claimed.id, describe(problem),
                               isinstance(problem, PermanentSendError), utcnow(),
                               patience=_patience() - (time.monotonic() - started))
                failed += 1
                continue
            until_recorded(_sent, claimed.id, utcnow(),
                           patience=_patience() - (time.monotonic() - started))
            sent += 1
    finally:
        transport.close()
    return sent, failed


# Given up: staff send them again -------------------------------------------------------------

@operation
def send_again(actor: Actor) -> int:
    """Every email given up on goes back in the queue, as if new: tried at once, with the
    full run of retries. Returns how many."""
    require_role(actor, Role.ADMIN, Role.MANAGER)
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.given_up_at.is_not(None))
        .values(given_up_at=None, attempts=0, next_attempt_at=None, claimed_by=None,
                claimed_until=None)
        .execution_options(synchronize_session=False))
    count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if count:
        audit.record(actor, "outbox.sent_again", "outbox", "given_up", count=count)
        note_queued()
    return count
