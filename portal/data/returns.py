"""The monthly return to NHS England: the history it is worked out from (who was keyworker
when), the figures kept at each month's end, and the sign-offs. Queries only:
portal.cases.returns changes them; portal.domain.returns works the figures out.

Times are kept in UTC and read as days in the zone given (the service's TIMEZONE: a change
at 00:30 on 1 November, UK time, belongs to November)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
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
    it. Later events are left out, so later changes cannot move an earlier month."""
    before = utc_start_of(last_day + timedelta(days=1), zone)
    found = list(db.session.scalars(select(RegisterEntry).where(
        RegisterEntry.added_on <= last_day).order_by(RegisterEntry.id)))
    ids = [e.id for e in found]
    entries = [rules.Entry(
        id=e.id, added_on=e.added_on, born=e.child_date_of_birth,
        closed_on=(local_day(e.closed_at, zone)
                   if e.closed_at is not None and e.closed_at < before else None),
        closed_reason=e.closed_reason if e.closed_at is not None and e.closed_at < before
        else None,
        sex=e.sex, ethnicity=e.ethnicity, local_authority=e.local_authority,
        rating_now=e.rating) for e in found]
    ratings = [rules.Rated(c.entry_id, local_day(c.changed_at, zone), (c.changed_at, c.id),
                           c.rating)
               for c in _chunked(RatingChange, RatingChange.entry_id, ids,
                                 RatingChange.changed_at < before)]
    keyworkers = [rules.Keyworked(k.entry_id, local_day(k.changed_at, zone),
                                  (k.changed_at, k.id),
                                  k.keyworker is not None or k.keyworker_staff_id is not None)
                  for k in _chunked(KeyworkerChange, KeyworkerChange.entry_id, ids,
                                    KeyworkerChange.changed_at < before)]
    return rules.History(entries=entries, ratings=ratings, keyworkers=keyworkers,
                         cetrs=_cetrs(ids, last_day))


def _chunked(model: type, column: object, ids: list[int], *where: object) -> list:
    rows: list = []
    for start in range(0, len(ids), 500):
        rows.extend(db.session.scalars(select(model).where(
            column.in_(ids[start:start + 500]), *where)))  # type: ignore[attr-defined]
    return rows


def _cetrs(ids: list[int], last_day: date) -> list[rules.Review]:
    try:
        from portal.data.cetr import CetrReview
    except ImportError:  # pragma: no cover - C(E)TRs not in this version
        return []
    found = _chunked(CetrReview, CetrReview.entry_id, ids, CetrReview.held_on.is_not(None),
                     CetrReview.held_on <= last_day, CetrReview.cancelled_at.is_(None))
    return [rules.Review(r.entry_id, r.kind, r.held_on, r.due_by) for r in found]


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

