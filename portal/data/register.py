"""The register: one active entry per child, its rating history, actions and notes.
Queries only: portal.cases.register changes them."""

from __future__ import annotations

import hashlib
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, select, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.data.base import Base, Timestamped, utcnow
from portal.extensions import db

CHILD_KEY_LENGTH = 64


class RegisterEntry(Timestamped, Base):
    __tablename__ = "register_entries"
    __table_args__ = (
        # One active entry per child (closed entries stay as history).
        Index("uq_register_entries_active_child", "child_key", unique=True,
              sqlite_where=text("closed_at IS NULL"),
              postgresql_where=text("closed_at IS NULL")),
        # The live register in its reading order, straight from an index.
        Index("ix_register_entries_live_order", "severity", "next_review_on", "id",
              sqlite_where=text("closed_at IS NULL"),
              postgresql_where=text("closed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_requests.id"), unique=True)
    child_key: Mapped[str] = mapped_column(String(CHILD_KEY_LENGTH))
    child_name: Mapped[str] = mapped_column(String(200))
    child_date_of_birth: Mapped[date] = mapped_column(Date, index=True)
    nhs_number: Mapped[str | None] = mapped_column(String(10))
    rating: Mapped[str] = mapped_column(String(8), index=True)
    severity: Mapped[int] = mapped_column(Integer)  # 0 Blue, 1 Red, 2 Amber, 3 Green
    rating_released: Mapped[bool] = mapped_column(Boolean, default=False)
    keyworker: Mapped[str | None] = mapped_column(String(200))
    keyworker_contact: Mapped[str | None] = mapped_column(String(200))  # phone or email
    # A keyworker with a staff account (portal.data.keyworkers): they hear of what is new.
    keyworker_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"),
                                                           index=True)
    flag: Mapped[str | None] = mapped_column(String(40))  # e.g. "admission_reported"
    # The day the rating last moved off Blue (left hospital): Red for a while after it.
    discharged_on: Mapped[date | None] = mapped_column(Date)
    next_review_on: Mapped[date] = mapped_column(Date, index=True)
    cetr_last_on: Mapped[date | None] = mapped_column(Date)
    cetr_next_on: Mapped[date | None] = mapped_column(Date)
    added_on: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[datetime | None]  # live entries are found by the partial indexes
    closed_reason: Mapped[str | None] = mapped_column(String(40))
    # For the monthly return's breakdowns (portal.domain.returns): an NHS ethnic category
    # code, and one of the LOCAL_AUTHORITIES.
    sex: Mapped[str | None] = mapped_column(String(20))
    ethnicity: Mapped[str | None] = mapped_column(String(1))
    local_authority: Mapped[str | None] = mapped_column(String(200))
    # Archived under the retention schedule: kept, out of working lists, then deleted.
    archived_at: Mapped[datetime | None]

    version_id: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    __mapper_args__ = {"version_id_col": version_id}


class RatingChange(Base):
    __tablename__ = "register_rating_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("register_entries.id"), index=True)
    rating: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class RegisterAction(Base):
    __tablename__ = "register_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("register_entries.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    done_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Assigned to a partner agency (portal.data.partners), who accepts and closes it.
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    accepted_at: Mapped[datetime | None]
    accepted_by: Mapped[str | None] = mapped_column(String(200))
    closed_by: Mapped[str | None] = mapped_column(String(200))
    closing_note: Mapped[str | None] = mapped_column(Text)


class RegisterNote(Base):
    __tablename__ = "register_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("register_entries.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    written_at: Mapped[datetime] = mapped_column(default=utcnow)


SEVERITY = {"blue": 0, "red": 1, "amber": 2, "green": 3}


def child_key(nhs_number: str | None, name: str, born: date) -> str:
    """The same child, however the request was filled in: NHS number, else name and birth.
    A key too long for its column (a long name) is kept as a fingerprint of the same."""
    if nhs_number:
        return f"nhs:{nhs_number}"
    key = "name:" + " ".join(name.lower().split()) + f":{born.isoformat()}"
    if len(key) <= CHILD_KEY_LENGTH:
        return key
    return "name#" + hashlib.sha256(key.encode()).hexdigest()[:CHILD_KEY_LENGTH - 5]


def find_entry(entry_id: int) -> RegisterEntry | None:
    return db.session.get(RegisterEntry, entry_id)


def entry_for_request(request_id: int) -> RegisterEntry | None:
    return db.session.scalars(
        select(RegisterEntry).where(RegisterEntry.request_id == request_id)).first()


def active_entry_for_child(key: str) -> RegisterEntry | None:
    return db.session.scalars(select(RegisterEntry).where(
        RegisterEntry.child_key == key, RegisterEntry.closed_at.is_(None))).first()


def rating_history(entry_id: int) -> list[RatingChange]:
    return list(db.session.scalars(select(RatingChange).where(
        RatingChange.entry_id == entry_id).order_by(RatingChange.changed_at.desc(),
                                                     RatingChange.id.desc())))


def last_moved_to(entry_id: int, rating: str) -> RatingChange | None:
    """The entry's most recent change to this rating."""
    return db.session.scalars(select(RatingChange).where(
        RatingChange.entry_id == entry_id, RatingChange.rating == rating)
        .order_by(RatingChange.changed_at.desc(), RatingChange.id.desc())).first()


def actions_for(entry_id: int) -> list[RegisterAction]:
    return list(db.session.scalars(select(RegisterAction).where(
        RegisterAction.entry_id == entry_id).order_by(RegisterAction.done_at.is_not(None),
                                                       RegisterAction.due_on)))


def find_action(action_id: int) -> RegisterAction | None:
    return db.session.get(RegisterAction, action_id)


def notes_for(entry_id: int) -> list[RegisterNote]:
    return list(db.session.scalars(select(RegisterNote).where(
        RegisterNote.entry_id == entry_id).order_by(RegisterNote.written_at.desc())))


LIVE = RegisterEntry.closed_at.is_(None)


def active_entries_page(offset: int, limit: int, rating: str | None = None
                        ) -> list[RegisterEntry]:
    """The live register: Blue, Red, Amber, Green, then the soonest review. (Its total is
    kept as entries change: portal.data.stats.live_total.)"""
    query = select(RegisterEntry).where(LIVE)
    if rating:
        query = query.where(RegisterEntry.severity == SEVERITY[rating])
    return list(db.session.scalars(query.order_by(
        RegisterEntry.severity, RegisterEntry.next_review_on, RegisterEntry.id)
        .offset(offset).limit(limit)))


# Lists that need attention ---------------------------------------------------------

def overdue_reviews(today: date, limit: int) -> tuple[list[RegisterEntry], int]:
    from sqlalchemy import func

    where = (LIVE, RegisterEntry.next_review_on < today)
    total = db.session.scalar(select(func.count()).select_from(RegisterEntry).where(*where))
    rows = db.session.scalars(select(RegisterEntry).where(*where).order_by(
        RegisterEntry.next_review_on, RegisterEntry.id).limit(limit))
    return list(rows), int(total or 0)


def without_keyworker(limit: int) -> tuple[list[RegisterEntry], int]:
    """Red, Amber or Blue with no keyworker: every one of them should have one."""
    from sqlalchemy import func

    where = (LIVE, RegisterEntry.severity <= SEVERITY["amber"],
             RegisterEntry.keyworker.is_(None))
    total = db.session.scalar(select(func.count()).select_from(RegisterEntry).where(*where))
    rows = db.session.scalars(select(RegisterEntry).where(*where).order_by(
        RegisterEntry.severity, RegisterEntry.next_review_on, RegisterEntry.id).limit(limit))
    return list(rows), int(total or 0)


def turning_18_between(first: date, last: date, limit: int
                       ) -> tuple[list[RegisterEntry], int]:
    """Born between these dates (so 18 within the window)."""
    from sqlalchemy import func

    where = (LIVE, RegisterEntry.child_date_of_birth >= first,
             RegisterEntry.child_date_of_birth <= last)
    total = db.session.scalar(select(func.count()).select_from(RegisterEntry).where(*where))
    rows = db.session.scalars(select(RegisterEntry).where(*where).order_by(
        RegisterEntry.child_date_of_birth, RegisterEntry.id).limit(limit))
    return list(rows), int(total or 0)


def consent_check_due(cutoff: datetime, limit: int) -> tuple[list[RegisterEntry], int]:
    """Live entries whose newest standing consent is older than the cutoff (a year)."""
    from sqlalchemy import func

    from portal.data.consent import Consent, ConsentWithdrawal

    newest = (select(Consent.request_id, func.max(Consent.signed_at).label("signed"))
              .outerjoin(ConsentWithdrawal, ConsentWithdrawal.consent_id == Consent.id)
              .where(ConsentWithdrawal.id.is_(None)).group_by(Consent.request_id)
              .subquery())
    query = (select(RegisterEntry).join(newest, newest.c.request_id ==
                                        RegisterEntry.request_id)
             .where(LIVE, newest.c.signed < cutoff))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.order_by(newest.c.signed, RegisterEntry.id).limit(limit))
    return list(rows), int(total or 0)


def due_for_meeting(before: date, offset: int, limit: int) -> tuple[list[RegisterEntry], int]:
    """Entries whose review falls before the meeting date, in rating order."""
    from sqlalchemy import func

    where = (LIVE, RegisterEntry.next_review_on <= before)
    total = db.session.scalar(select(func.count()).select_from(RegisterEntry).where(*where))
    rows = db.session.scalars(select(RegisterEntry).where(*where).order_by(
        RegisterEntry.severity, RegisterEntry.next_review_on, RegisterEntry.id)
        .offset(offset).limit(limit))
    return list(rows), int(total or 0)


def counts_by_rating() -> dict[str, int]:
    from sqlalchemy import func

    rows = db.session.execute(select(RegisterEntry.rating, func.count()).where(LIVE)
                              .group_by(RegisterEntry.rating))
    return {rating: int(count) for rating, count in rows}


def keyworker_coverage() -> tuple[int, int]:
    """(with a keyworker, all) among live Red, Amber and Blue entries."""
    from sqlalchemy import func

    where = (LIVE, RegisterEntry.severity <= SEVERITY["amber"])
    total = db.session.scalar(select(func.count()).select_from(RegisterEntry).where(*where))
    covered = db.session.scalar(select(func.count()).select_from(RegisterEntry).where(
        *where, RegisterEntry.keyworker.is_not(None)))
    return int(covered or 0), int(total or 0)
