"""Partner agencies (social care, education, health...): their accounts, what they tell
the register about a child (updates, contributions to the monthly meeting) and the
actions assigned to them. Queries only: portal.cases.partners changes them.

An action assigned to an agency is a RegisterAction with `agency_id` set; the agency
accepts it, writes progress notes (PartnerUpdate rows with `action_id`) and closes it
(done_at, closed_by, closing_note)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.data.base import Base, utcnow
from portal.data.register import RegisterAction, RegisterEntry
from portal.data.staff import StaffUser
from portal.extensions import db

KINDS = ("social_care", "education", "health", "other")
# The monthly meeting shows the contributions written in the weeks before it (and on the
# day): a month and a few days, so one written just after the last meeting still shows.
CONTRIBUTION_DAYS = 35


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # social_care | education | health | other
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PartnerUpdate(Base):
    """What an agency knows or has done about a child; with `action_id`, a progress note
    on an action assigned to that agency."""

    __tablename__ = "partner_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("register_entries.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    action_id: Mapped[int | None] = mapped_column(ForeignKey("register_actions.id"),
                                                  index=True)
    body: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_by_keyworker_at: Mapped[datetime | None]


class MeetingContribution(Base):
    """What an agency brings to the monthly register meeting about a child."""

    __tablename__ = "meeting_contributions"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("register_entries.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    body: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime] = mapped_column(default=utcnow)


# Reading ----------------------------------------------------------------------------------

def all_agencies() -> list[Agency]:
    return list(db.session.scalars(select(Agency).order_by(Agency.name)))


def find_agency(agency_id: int) -> Agency | None:
    return db.session.get(Agency, agency_id)


def find_agency_by_name(name: str) -> Agency | None:
    wanted = " ".join(name.split()).lower()
    return next((a for a in all_agencies() if a.name.lower() == wanted), None)


def agency_names() -> dict[int, str]:
    return {a.id: a.name for a in all_agencies()}


def agency_of(user: StaffUser | None) -> Agency | None:
    agency_id = getattr(user, "agency_id", None)
    return find_agency(agency_id) if agency_id else None


def members(agency_id: int) -> list[StaffUser]:
    return list(db.session.scalars(select(StaffUser).where(
        StaffUser.agency_id == agency_id).order_by(StaffUser.name)))


def actions_for_agency(agency_id: int) -> list[tuple[RegisterAction, RegisterEntry]]:
    """Open ones first (soonest due), then the closed; only of entries still kept."""
    rows = db.session.execute(
        select(RegisterAction, RegisterEntry)
        .join(RegisterEntry, RegisterEntry.id == RegisterAction.entry_id)
        .where(RegisterAction.agency_id == agency_id, RegisterEntry.archived_at.is_(None))
        .order_by(RegisterAction.done_at.is_not(None), RegisterAction.due_on,
                  RegisterAction.id))
    return [(action, entry) for action, entry in rows]


def agency_actions_of_entry(entry_id: int) -> list[RegisterAction]:
    return list(db.session.scalars(select(RegisterAction).where(
        RegisterAction.entry_id == entry_id, RegisterAction.agency_id.is_not(None))
        .order_by(RegisterAction.done_at.is_not(None), RegisterAction.due_on,
                  RegisterAction.id)))


def find_update(update_id: int) -> PartnerUpdate | None:
    return db.session.get(PartnerUpdate, update_id)


def updates_for(entry_id: int) -> list[PartnerUpdate]:
    """Every update and progress note on the entry, newest first."""
    return list(db.session.scalars(select(PartnerUpdate).where(
        PartnerUpdate.entry_id == entry_id).order_by(PartnerUpdate.written_at.desc(),
                                                     PartnerUpdate.id.desc())))


def notes_on_action(action_id: int) -> list[PartnerUpdate]:
    return list(db.session.scalars(select(PartnerUpdate).where(
        PartnerUpdate.action_id == action_id).order_by(PartnerUpdate.written_at,
                                                       PartnerUpdate.id)))


def contributions_for(entry_id: int) -> list[MeetingContribution]:
    return list(db.session.scalars(select(MeetingContribution).where(
        MeetingContribution.entry_id == entry_id).order_by(
        MeetingContribution.written_at.desc(), MeetingContribution.id.desc())))


def contributions_for_meeting(entry_ids: list[int], meeting_on: date
                              ) -> dict[int, list[MeetingContribution]]:
    """For each entry on the meeting's page, those written in the CONTRIBUTION_DAYS before
    the meeting or on its day (one query for the whole page)."""
    if not entry_ids:
        return {}
    start = datetime.combine(meeting_on - timedelta(days=CONTRIBUTION_DAYS), time.min,
                             tzinfo=utcnow().tzinfo)
    end = datetime.combine(meeting_on + timedelta(days=1), time.min, tzinfo=utcnow().tzinfo)
    found: dict[int, list[MeetingContribution]] = {}
    for row in db.session.scalars(select(MeetingContribution).where(
            MeetingContribution.entry_id.in_(entry_ids),
            MeetingContribution.written_at >= start, MeetingContribution.written_at < end)
            .order_by(MeetingContribution.written_at, MeetingContribution.id)):
        found.setdefault(row.entry_id, []).append(row)
    return found


def people(ids: set[int]) -> dict[int, StaffUser]:
    if not ids:
        return {}
    return {s.id: s for s in db.session.scalars(select(StaffUser).where(
        StaffUser.id.in_(ids)))}
