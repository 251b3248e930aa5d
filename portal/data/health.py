"""Read-only figures for running the service: the schema's revision against the code's,
the email queue, requests waiting for triage. Each is one small, indexed query."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

import sqlalchemy as sa
from alembic.script import ScriptDirectory

from portal.data.base import utcnow
from portal.data.migrate import MIGRATIONS
from portal.data.outbox import OutboxMessage
from portal.data.requests import SupportRequest
from portal.extensions import db

_versions = sa.table("alembic_version", sa.column("version_num", sa.String))
WAITING_FOR_TRIAGE = ("ready_for_triage",)


@cache
def scripts() -> ScriptDirectory:
    """The migrations shipped with this code (read once: they do not change while it runs)."""
    return ScriptDirectory(str(MIGRATIONS))


def head_revision() -> str | None:
    """The newest revision this code knows."""
    return scripts().get_current_head()


def current_revision() -> str | None:
    """The revision the database is at (None: no migration has run)."""
    connection = db.session.connection()
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return db.session.scalar(sa.select(_versions.c.version_num))


def revision_description(revision: str | None) -> str:
    if revision is None:
        return "no tables"
    return " ".join(scripts().get_revision(revision).doc.split())


def _unsent() -> sa.ColumnElement[bool]:
    return sa.and_(OutboxMessage.sent_at.is_(None), OutboxMessage.given_up_at.is_(None))


def oldest_due_email(now: datetime | None = None) -> timedelta | None:
    """How long the email that has waited longest to be sent has been due: queued and not
    sent, not given up, not waiting for a retry later. None: nothing is due."""
    now = now or utcnow()
    due_since = sa.func.coalesce(OutboxMessage.next_attempt_at, OutboxMessage.created_at)
    oldest = db.session.scalar(
        sa.select(sa.func.min(due_since)).where(
            _unsent(), sa.or_(OutboxMessage.next_attempt_at.is_(None),
                              OutboxMessage.next_attempt_at <= now)))
    if oldest is None:
        return None
    return max(now - oldest, timedelta(0))


def email_queue() -> tuple[int, int]:
    """(emails not sent yet, emails given up on)."""
    unsent = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                               .where(_unsent()))
    given_up = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.given_up_at.is_not(None)))
    return int(unsent or 0), int(given_up or 0)


def waiting_for_triage() -> int:
    return int(db.session.scalar(
        sa.select(sa.func.count()).select_from(SupportRequest)
        .where(SupportRequest.state.in_(WAITING_FOR_TRIAGE))) or 0)
