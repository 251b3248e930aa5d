"""The monthly return to NHS England: the history it is worked out from (who was keyworker
when), the figures kept at each month's end, and the sign-offs. Queries only:
portal.cases.returns changes them; portal.domain.returns works the figures out.

Times are kept in UTC and read as days in the zone given (the service's TIMEZONE: a change
at 00:30 on 1 November, UK time, belongs to November)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.data.base import Base, utcnow
from portal.data.register import RatingChange, RegisterEntry
from portal.domain import returns as rules
from portal.extensions import db


class KeyworkerChange(Base):
    """The entry's keyworker from `changed_at` (none: both empty)."""

    __tablename__ = "keyworker_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("register_entries.id"), index=True)
    keyworker: Mapped[str | None] = mapped_column(String(200))
    keyworker_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(200))


class ReturnSnapshot(Base):
    """A month's figures as they were worked out just after the month ended."""

    __tablename__ = "return_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), unique=True)  # "2026-10"
    figures: Mapped[str] = mapped_column(Text)  # JSON, unsuppressed counts, no names
    figures_hash: Mapped[str] = mapped_column(String(64))
    kept_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReturnSignOff(Base):
    """A register manager signed a month's return off: the figures as they signed them."""

    __tablename__ = "return_sign_offs"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    signed_by: Mapped[str] = mapped_column(String(200))
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
    figures: Mapped[str] = mapped_column(Text)
    figures_hash: Mapped[str] = mapped_column(String(64))


# Reading UTC times as local days ---------------------------------------------------------

def local_day(moment: datetime, zone: ZoneInfo) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).date()


def utc_start_of(day: date, zone: ZoneInfo) -> datetime:
    """The moment (in UTC) the local day begins."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


# History, as the pure rules read it ----------------------------------------------------

def history_until(last_day: date, zone: ZoneInfo) -> rules.History:
    """Every entry on the register at any time up to `last_day` (local), with its ratings,
    keyworkers and C(E)TRs up to then: what portal.domain.returns needs for any month up to
    it. Later events are left out, so later changes cannot move an earlier month. (Plain
    columns, not objects: a register of 10,000 is read in a fraction of a second.)"""
    before = utc_start_of(last_day + timedelta(days=1), zone)
    known = RegisterEntry.added_on <= last_day
    entries = []
    for row in db.session.execute(select(
            RegisterEntry.id, RegisterEntry.added_on, RegisterEntry.child_date_of_birth,
            RegisterEntry.closed_at, RegisterEntry.closed_reason, RegisterEntry.sex,
            RegisterEntry.ethnicity, RegisterEntry.local_authority, RegisterEntry.rating)
            .where(known).order_by(RegisterEntry.id)):
        closed = row.closed_at is not None and row.closed_at < before
        entries.append(rules.Entry(
            id=row.id, added_on=row.added_on, born=row.child_date_of_birth,
            closed_on=local_day(row.closed_at, zone) if closed else None,
            closed_reason=row.closed_reason if closed else None, sex=row.sex,
            ethnicity=row.ethnicity, local_authority=row.local_authority,
            rating_now=row.rating))
    ratings = [rules.Rated(row.entry_id, local_day(row.changed_at, zone),
                           (row.changed_at, row.id), row.rating)
               for row in db.session.execute(select(
                   RatingChange.entry_id, RatingChange.changed_at, RatingChange.id,
                   RatingChange.rating).join(RegisterEntry,
                                             RegisterEntry.id == RatingChange.entry_id)
                   .where(known, RatingChange.changed_at < before))]
    keyworkers = [rules.Keyworked(row.entry_id, local_day(row.changed_at, zone),
                                  (row.changed_at, row.id), row.has_keyworker)
                  for row in db.session.execute(select(
                      KeyworkerChange.entry_id, KeyworkerChange.changed_at,
                      KeyworkerChange.id,
                      (KeyworkerChange.keyworker.is_not(None)
                       | KeyworkerChange.keyworker_staff_id.is_not(None)).label(
                          "has_keyworker"))
                      .join(RegisterEntry, RegisterEntry.id == KeyworkerChange.entry_id)
                      .where(known, KeyworkerChange.changed_at < before))]
    return rules.History(entries=entries, ratings=ratings, keyworkers=keyworkers,
                         cetrs=_cetrs(known, last_day))


def _cetrs(known: Any, last_day: date) -> list[rules.Review]:
    try:
        from portal.data.cetr import CetrReview
    except ImportError:  # pragma: no cover - C(E)TRs not in this version
        return []
    return [rules.Review(row.entry_id, row.kind, row.held_on, row.due_by)
            for row in db.session.execute(select(
                CetrReview.entry_id, CetrReview.kind, CetrReview.held_on, CetrReview.due_by)
                .join(RegisterEntry, RegisterEntry.id == CetrReview.entry_id)
                .where(known, CetrReview.held_on.is_not(None), CetrReview.held_on <= last_day,
                       CetrReview.cancelled_at.is_(None)))]


def keyworker_now(entry_id: int) -> KeyworkerChange | None:
    return db.session.scalars(select(KeyworkerChange).where(
        KeyworkerChange.entry_id == entry_id).order_by(
        KeyworkerChange.changed_at.desc(), KeyworkerChange.id.desc())).first()


def keyworker_history(entry_id: int) -> list[KeyworkerChange]:
    return list(db.session.scalars(select(KeyworkerChange).where(
        KeyworkerChange.entry_id == entry_id).order_by(KeyworkerChange.changed_at,
                                                       KeyworkerChange.id)))


# Figures kept and sign-offs -------------------------------------------------------------

def snapshot_for(month: str) -> ReturnSnapshot | None:
    return db.session.scalars(select(ReturnSnapshot).where(
        ReturnSnapshot.month == month)).first()


def snapshots() -> dict[str, ReturnSnapshot]:
    return {s.month: s for s in db.session.scalars(select(ReturnSnapshot))}


def sign_off_for(month: str) -> ReturnSignOff | None:
    """The newest sign-off of the month (a month signed off again keeps every one)."""
    return db.session.scalars(select(ReturnSignOff).where(
        ReturnSignOff.month == month).order_by(ReturnSignOff.signed_at.desc(),
                                               ReturnSignOff.id.desc())).first()


def sign_offs() -> dict[str, ReturnSignOff]:
    found: dict[str, ReturnSignOff] = {}
    for row in db.session.scalars(select(ReturnSignOff).order_by(ReturnSignOff.signed_at,
                                                                 ReturnSignOff.id)):
        found[row.month] = row
    return found


def first_month() -> str | None:
    """The month the register began (its first entry), if any."""
    first = db.session.scalars(select(RegisterEntry.added_on).order_by(
        RegisterEntry.added_on).limit(1)).first()
    return rules.month_of(first) if first else None

