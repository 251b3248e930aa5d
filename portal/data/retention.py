"""What the retention schedule finds: records to archive or delete, email bodies to clear,
old sign-in attempts. Queries only: portal.cases.retention makes the changes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, ForeignKey, Table, func, or_, select

from portal.data.base import Base
from portal.data.consent import Consent
from portal.data.drafts import Draft, EmailLink
from portal.data.family import FamilyAccess
from portal.data.outbox import OutboxMessage
from portal.data.register import RegisterEntry
from portal.data.requests import SupportRequest, TimelineStep
from portal.data.staff import SignInAttempt
from portal.extensions import db

# How a request that never joined the register ends, as the family's timeline says.
ENDED_STATES = ("declined", "withdrawn", "duplicate")
ENDING_STEPS = ("declined", "withdrawn", "duplicate", "joined")
# An email address kept only as this, once the email's body is cleared.
FINGERPRINT_PREFIX = "fingerprint:"


class Record(NamedTuple):
    """One child's record as the schedule sees it: a request, and its entry if any."""

    request_id: int
    reference: str
    entry_id: int | None


def ended_at() -> ColumnElement[datetime]:
    """When a request that never joined the register ended: the step on the family's
    timeline that ended it, else its decision, else its last change."""
    step = (select(func.max(TimelineStep.occurred_at))
            .where(TimelineStep.request_id == SupportRequest.id,
                   TimelineStep.step.in_(ENDING_STEPS))
            .correlate(SupportRequest).scalar_subquery())
    return func.coalesce(step, SupportRequest.decided_at, SupportRequest.updated_at)


def closed_entries_to_archive(before: datetime) -> list[Record]:
    """Register entries closed before this moment, not yet archived, with their request."""
    rows = db.session.execute(
        select(SupportRequest.id, SupportRequest.reference, RegisterEntry.id)
        .join(RegisterEntry, RegisterEntry.request_id == SupportRequest.id)
        .where(RegisterEntry.closed_at.is_not(None), RegisterEntry.closed_at < before,
               RegisterEntry.archived_at.is_(None))
        .order_by(RegisterEntry.closed_at, RegisterEntry.id))
    return [Record(*row) for row in rows]


def ended_requests_to_archive(before: datetime) -> list[Record]:
    """Requests declined, withdrawn or closed as a duplicate before this moment, never on
    the register, not yet archived."""
    on_register = select(RegisterEntry.id).where(RegisterEntry.request_id == SupportRequest.id)
    ended = ended_at()
    rows = db.session.execute(
        select(SupportRequest.id, SupportRequest.reference)
        .where(SupportRequest.state.in_(ENDED_STATES), SupportRequest.archived_at.is_(None),
               ~on_register.exists(), ended < before)
        .order_by(SupportRequest.id))
    return [Record(request_id, reference, None) for request_id, reference in rows]


def archived_before(before: datetime) -> list[Record]:
    """Records archived before this moment (to delete for good)."""
    rows = db.session.execute(
        select(SupportRequest.id, SupportRequest.reference, RegisterEntry.id)
        .outerjoin(RegisterEntry, RegisterEntry.request_id == SupportRequest.id)
        .where(SupportRequest.archived_at.is_not(None), SupportRequest.archived_at < before)
        .order_by(SupportRequest.archived_at, SupportRequest.id))
    return [Record(*row) for row in rows]


def not_archived(request_ids: list[int]) -> set[int]:
    """Of these requests, the ones not archived yet."""
    return set(db.session.scalars(select(SupportRequest.id).where(
        SupportRequest.id.in_(request_ids), SupportRequest.archived_at.is_(None))))


def still_archived_before(request_ids: list[int], before: datetime) -> list[int]:
    """Of these requests, the ones still archived before this moment."""
    return list(db.session.scalars(select(SupportRequest.id).where(
        SupportRequest.id.in_(request_ids), SupportRequest.archived_at.is_not(None),
        SupportRequest.archived_at < before)))


def hanging_off(table: Table) -> list[tuple[Table, ForeignKey]]:
    """Every table with a foreign key to this one, and that key: the rows to go with it."""
    found = []
    for other in Base.metadata.sorted_tables:
        for key in other.foreign_keys:
            if key.column.table is table and other is not table:
                found.append((other, key))
    return found


def referring(key: ForeignKey, where: ColumnElement[bool]) -> ColumnElement[bool]:
    """The rows whose foreign key `key` points at a row that matches `where`."""
    return key.parent.in_(select(key.column).where(where))


def addresses_of(request_ids: list[int]) -> set[str]:
    """Every email address these requests hold: who asked, who follows, who signed."""
    found: set[str] = set()
    for column, owner in ((SupportRequest.contact_email, SupportRequest.id),
                          (FamilyAccess.email, FamilyAccess.request_id),
                          (Consent.signer_email, Consent.request_id)):
        found.update(a.strip().lower() for a in db.session.scalars(
            select(column).where(owner.in_(request_ids), column.is_not(None))) if a)
    return found


def addresses_in_use(addresses: Iterable[str]) -> set[str]:
    """Of these addresses, the ones another request still holds."""
    wanted = sorted(set(addresses))
    if not wanted:
        return set()
    used: set[str] = set()
    for column in (SupportRequest.contact_email, FamilyAccess.email, Consent.signer_email):
        used.update(a.strip().lower() for a in db.session.scalars(
            select(column).where(func.lower(column).in_(wanted))) if a)
    return used


def mentions(references: list[str]) -> ColumnElement[bool]:
    """Outbox rows about any of these requests: their reference in the subject or key."""
    return or_(*(column.contains(reference, autoescape=True)
                 for reference in references
                 for column in (OutboxMessage.subject, OutboxMessage.dedupe_key)))


def sent_bodies_count(before: datetime) -> int:
    return int(db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        *_sent_before(before))) or 0)


def sent_bodies(before: datetime, limit: int) -> list[OutboxMessage]:
    """Emails sent before this moment whose body is still kept (never one given up on)."""
    return list(db.session.scalars(select(OutboxMessage).where(*_sent_before(before))
                                   .order_by(OutboxMessage.id).limit(limit)))


def _sent_before(before: datetime) -> tuple[ColumnElement[bool], ...]:
    return (OutboxMessage.sent_at.is_not(None), OutboxMessage.sent_at < before,
            OutboxMessage.body_removed_at.is_(None))


def sign_in_attempts_count(before: datetime) -> int:
    return int(db.session.scalar(select(func.count()).select_from(SignInAttempt).where(
        SignInAttempt.at < before)) or 0)


def sign_in_attempt_ids(before: datetime, limit: int) -> list[int]:
    return list(db.session.scalars(select(SignInAttempt.id).where(SignInAttempt.at < before)
                                   .order_by(SignInAttempt.id).limit(limit)))


def expired_counts(moment: datetime) -> tuple[int, int]:
    """(unfinished requests, links) that have expired by this moment."""
    drafts = db.session.scalar(select(func.count()).select_from(Draft).where(
        Draft.expires_at <= moment)) or 0
    links = db.session.scalar(select(func.count()).select_from(EmailLink).where(or_(
        EmailLink.expires_at <= moment,
        EmailLink.draft_id.in_(select(Draft.id).where(Draft.expires_at <= moment))))) or 0
    return int(drafts), int(links)
