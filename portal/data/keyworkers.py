"""Named keyworkers with staff accounts: the children they key-work, and when each last
read each entry (so "my children" can show what is new). Queries only:
portal.cases.keyworkers changes them.

Reading marks are kept in their own table, not on the entry: an entry is a versioned row,
and reading it must never make somebody else's save look stale."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.data.base import Base, utcnow
from portal.data.register import LIVE, RegisterAction, RegisterEntry
from portal.data.staff import Role, StaffUser
from portal.extensions import db

# What the family sends that the keyworker should see (FamilyUpdate.kind).
FAMILY_KINDS = ("changed", "cetr", "keyworker")


class KeyworkerRead(Base):
    """When a member of staff last read a register entry they key-work."""

    __tablename__ = "keyworker_reads"
    __table_args__ = (UniqueConstraint("entry_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("register_entries.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


def find_read(entry_id: int, staff_id: int) -> KeyworkerRead | None:
    return db.session.scalars(select(KeyworkerRead).where(
        KeyworkerRead.entry_id == entry_id, KeyworkerRead.staff_id == staff_id)).first()


def keyworker_of(entry: RegisterEntry) -> StaffUser | None:
    """The entry's keyworker with an account, if they can still sign in."""
    if entry.keyworker_staff_id is None:
        return None
    user = db.session.get(StaffUser, entry.keyworker_staff_id)
    if user is None or not user.active or user.role == Role.ADMIN.value:
        return None
    return user


def possible_keyworkers() -> list[StaffUser]:
    """Who can be chosen: every active member of staff who works with children's records
    (partners included), not administrators."""
    return list(db.session.scalars(
        select(StaffUser).where(StaffUser.role != Role.ADMIN.value,
                                StaffUser.disabled_at.is_(None))
        .order_by(StaffUser.name, StaffUser.id)))


def entries_of(staff_id: int) -> list[RegisterEntry]:
    """The live entries this member of staff key-works: Blue and Red first (the urgent
    ones), then by next review."""
    return list(db.session.scalars(
        select(RegisterEntry).where(RegisterEntry.keyworker_staff_id == staff_id, LIVE,
                                    RegisterEntry.archived_at.is_(None))
        .order_by(RegisterEntry.severity > 1, RegisterEntry.next_review_on,
                  RegisterEntry.severity, RegisterEntry.id)))


def reviews_due_by(last_day: date) -> dict[int, int]:
    """For each keyworker with an account: how many of their live entries have a review
    due on or before `last_day` (overdue ones included)."""
    rows = db.session.execute(
        select(RegisterEntry.keyworker_staff_id, func.count(RegisterEntry.id))
        .where(RegisterEntry.keyworker_staff_id.is_not(None), LIVE,
               RegisterEntry.archived_at.is_(None), RegisterEntry.next_review_on <= last_day)
        .group_by(RegisterEntry.keyworker_staff_id))
    return {int(staff_id): int(count) for staff_id, count in rows}


def _seen(entries: list[RegisterEntry], staff_id: int) -> dict[int, datetime]:
    ids = [e.id for e in entries]
    if not ids:
        return {}
    return {r.entry_id: r.seen_at for r in db.session.scalars(select(KeyworkerRead).where(
        KeyworkerRead.staff_id == staff_id, KeyworkerRead.entry_id.in_(ids)))}


def _newer(rows: Any, seen: dict[int, datetime], key: dict[int, int]) -> dict[int, int]:
    """Count rows (owner id, time) newer than the keyworker's last read of the entry."""
    counts: dict[int, int] = {}
    for owner, at in rows:
        entry_id = key.get(owner, owner)
        last = seen.get(entry_id)
        if last is None or at > last:
            counts[entry_id] = counts.get(entry_id, 0) + 1
    return counts


def whats_new(entries: list[RegisterEntry], staff_id: int) -> dict[str, dict[int, int]]:
    """Per entry: open actions, and what came since this keyworker last read the entry:
    family messages, family updates ("something has changed"), partner updates."""
    from portal.data.family import FamilyUpdate
    from portal.data.requests import RequestMessage

    ids = [e.id for e in entries]
    by_request = {e.request_id: e.id for e in entries}
    result: dict[str, dict[int, int]] = {"actions": {}, "messages": {}, "updates": {},
                                         "partners": {}}
    if not ids:
        return result
    seen = _seen(entries, staff_id)
    result["actions"] = {int(e): int(n) for e, n in db.session.execute(
        select(RegisterAction.entry_id, func.count(RegisterAction.id))
        .where(RegisterAction.entry_id.in_(ids), RegisterAction.done_at.is_(None))
        .group_by(RegisterAction.entry_id))}
    result["messages"] = _newer(db.session.execute(
        select(RequestMessage.request_id, RequestMessage.sent_at).where(
            RequestMessage.request_id.in_(list(by_request)),
            RequestMessage.from_staff.is_(False))), seen, by_request)
    result["updates"] = _newer(db.session.execute(
        select(FamilyUpdate.request_id, FamilyUpdate.sent_at).where(
            FamilyUpdate.request_id.in_(list(by_request)),
            FamilyUpdate.kind.in_(FAMILY_KINDS))), seen, by_request)
    try:
        from portal.data.partners import PartnerUpdate
    except ImportError:  # pragma: no cover - partner agencies not in this version
        return result
    result["partners"] = _newer(db.session.execute(
        select(PartnerUpdate.entry_id, PartnerUpdate.written_at).where(
            PartnerUpdate.entry_id.in_(ids))), seen, {})
    return result


def references(entries: list[RegisterEntry]) -> dict[int, str]:
    """Each entry's request reference."""
    from portal.data.requests import SupportRequest

    by_request = {e.request_id: e.id for e in entries}
    if not by_request:
        return {}
    return {by_request[rid]: ref for rid, ref in db.session.execute(
        select(SupportRequest.id, SupportRequest.reference)
        .where(SupportRequest.id.in_(list(by_request))))}
