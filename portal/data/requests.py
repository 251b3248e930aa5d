"""Submitted requests for a child to be added to the register, their messages and the
timeline the family sees. Queries only: every change is made by portal.cases."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    and_,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal.data.base import Base, Timestamped, utcnow
from portal.domain.names import SOUNDS_KEY_LENGTH, sounds_key
from portal.extensions import db


class SupportRequest(Timestamped, Base):
    __tablename__ = "support_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(24), index=True)
    locale: Mapped[str] = mapped_column(String(10))
    submitted_at: Mapped[datetime] = mapped_column(index=True)
    # Where the family's page says the request stands (written with every change).
    family_status: Mapped[str] = mapped_column(String(24), default="sent")

    # Who is asking.
    requester_role: Mapped[str] = mapped_column(String(24))
    requester_name: Mapped[str] = mapped_column(String(200))
    requester_relationship: Mapped[str | None] = mapped_column(String(100))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    contact_method: Mapped[str] = mapped_column(String(12))
    # A professional's or a foster carer's referral (portal.cases.referrals): the asker's
    # job, organisation and work email; whose consent is asked (parent | council |
    # young_person) and that person's name (their address is contact_email); and whether
    # the family let the professional see where the request is (None: not asked yet).
    referrer_job: Mapped[str | None] = mapped_column(String(100))
    referrer_organisation: Mapped[str | None] = mapped_column(String(200))
    referrer_email: Mapped[str | None] = mapped_column(String(254))
    consent_from: Mapped[str | None] = mapped_column(String(12))
    consent_contact_name: Mapped[str | None] = mapped_column(String(200))
    referrer_may_follow: Mapped[bool | None] = mapped_column(Boolean)
    # Looked after by a council (portal.domain.consent.CareStatus), and which council.
    care_status: Mapped[str | None] = mapped_column(String(12))
    care_council: Mapped[str | None] = mapped_column(String(100))

    # The child.
    child_name: Mapped[str] = mapped_column(String(200))
    child_preferred_name: Mapped[str | None] = mapped_column(String(100))
    child_date_of_birth: Mapped[date] = mapped_column(Date)
    nhs_number: Mapped[str | None] = mapped_column(String(10), index=True)
    # The name as compared between requests: lower case, single spaces.
    name_key: Mapped[str] = mapped_column(String(200), default="")
    # The sound of each word of the child's names (portal.domain.names), for finding a
    # child however their name is spelt: worked out when the request is stored.
    name_sounds: Mapped[str] = mapped_column(String(SOUNDS_KEY_LENGTH),
                                             default=lambda context: _sounds(context))
    postcode: Mapped[str] = mapped_column(String(8))
    living_situation: Mapped[str] = mapped_column(String(30))
    education_setting: Mapped[str] = mapped_column(String(200))
    autism: Mapped[str] = mapped_column(String(20))
    learning_disability: Mapped[str] = mapped_column(String(20))
    in_hospital: Mapped[bool] = mapped_column(Boolean)
    risks: Mapped[list[str]] = mapped_column(default=list)
    risks_in_own_words: Mapped[str | None] = mapped_column(Text)
    services: Mapped[list[str]] = mapped_column(default=list)
    tried: Mapped[str | None] = mapped_column(Text)
    would_help: Mapped[str | None] = mapped_column(Text)
    communication_needs: Mapped[str | None] = mapped_column(Text)
    preferred_language: Mapped[str] = mapped_column(String(60))
    needs_interpreter: Mapped[bool] = mapped_column(Boolean, default=False)

    # For staff only, never shown to the family as a decision.
    suggested_rating: Mapped[str] = mapped_column(String(8), index=True)
    suggestion_reasons: Mapped[list[str]] = mapped_column(default=list)
    # 0 for urgent (suggested Red or Blue), 1 otherwise: the queue's order, from an index.
    priority: Mapped[int] = mapped_column(Integer, default=1)
    # The answers showed someone may be in danger now (portal.domain.danger): the family
    # was shown the numbers to call at once, and staff see it first.
    danger_now: Mapped[bool] = mapped_column(Boolean, default=False)
    # Archived under the retention schedule: kept, out of working lists, then deleted.
    archived_at: Mapped[datetime | None]

    # Triage.
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"),
                                                        index=True)
    decided_at: Mapped[datetime | None] = mapped_column(index=True)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    decline_help: Mapped[str | None] = mapped_column(Text)  # where else to get help
    # Messages from the family that no member of staff has read yet.
    unread_messages: Mapped[int] = mapped_column(Integer, default=0, index=True)
    # Another request that looks like the same child (same NHS number, or same name and
    # date of birth), and another with the same NHS number but a different child.
    possible_duplicate_of_id: Mapped[int | None] = mapped_column(Integer)
    nhs_conflict_with_id: Mapped[int | None] = mapped_column(Integer)
    # Set when staff close this request as a duplicate of, or join it to, another one.
    duplicate_of_id: Mapped[int | None] = mapped_column(Integer)

    version_id: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    __mapper_args__ = {"version_id_col": version_id}
    __table_args__ = (Index("ix_support_requests_queue_order", "state", "priority",
                            "submitted_at", "id"),
                      Index("ix_support_requests_child", "child_date_of_birth", "name_key"),
                      # Finding a child by name (portal.data.search) reads only this index.
                      Index("ix_support_requests_name_search", "name_sounds", "name_key",
                            "archived_at"))

    def snapshot(self) -> dict[str, Any]:
        return {c.key: getattr(self, c.key) for c in self.__table__.columns}


def _sounds(context: Any) -> str:
    row = context.get_current_parameters()
    return sounds_key(row.get("child_name"), row.get("child_preferred_name"))


def name_key(name: str) -> str:
    return " ".join(name.lower().split())


def find_request_by_idempotency_key(key: str) -> SupportRequest | None:
    if len(key) > 64 or not key.isprintable():  # never a key we issued (NUL: PostgreSQL)
        return None
    return db.session.scalars(
        select(SupportRequest).where(SupportRequest.idempotency_key == key)
    ).first()


def find_request_by_reference(reference: str) -> SupportRequest | None:
    return db.session.scalars(
        select(SupportRequest).where(SupportRequest.reference == reference)
    ).first()


def reference_exists(reference: str) -> bool:
    return (
        db.session.scalar(
            select(SupportRequest.id).where(SupportRequest.reference == reference)
        )
        is not None
    )


def last_request_id() -> int:
    return int(db.session.scalar(select(SupportRequest.id).order_by(
        SupportRequest.id.desc()).limit(1)) or 0)


def find_request(request_id: int) -> SupportRequest | None:
    return db.session.get(SupportRequest, request_id)


# States in which a request still stands for its child (not ended by a decision).
LIVE_STATES = ("submitted", "awaiting_consent", "ready_for_triage", "more_info_requested",
               "accepted")


def same_child_candidates(*, nhs_number: str | None, key: str, born: date,
                          exclude_id: int) -> list[SupportRequest]:
    """Other live requests with this NHS number, or this name and date of birth."""
    matches = [and_(SupportRequest.child_date_of_birth == born,
                    SupportRequest.name_key == key)]
    if nhs_number:
        matches.append(SupportRequest.nhs_number == nhs_number)
    return list(db.session.scalars(
        select(SupportRequest).where(or_(*matches), SupportRequest.id != exclude_id,
                                     SupportRequest.state.in_(LIVE_STATES),
                                     SupportRequest.archived_at.is_(None))
        .order_by(SupportRequest.submitted_at, SupportRequest.id).limit(20)))


def requests_pointing_at(request_id: int) -> list[SupportRequest]:
    """Requests flagged as a possible duplicate of, or NHS conflict with, this one."""
    return list(db.session.scalars(select(SupportRequest).where(or_(
        SupportRequest.possible_duplicate_of_id == request_id,
        SupportRequest.nhs_conflict_with_id == request_id))))


class RequestMessage(Base):
    """A message between staff and the family about a request."""

    __tablename__ = "request_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_requests.id"), index=True)
    from_staff: Mapped[bool] = mapped_column(Boolean)
    author: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A family's message: when a member of staff first read it, and who.
    read_at: Mapped[datetime | None]
    read_by: Mapped[str | None] = mapped_column(String(200))


def messages_for(request_id: int) -> list[RequestMessage]:
    return list(db.session.scalars(select(RequestMessage).where(
        RequestMessage.request_id == request_id).order_by(RequestMessage.sent_at,
                                                          RequestMessage.id)))


def unread_family_messages(request_id: int) -> list[RequestMessage]:
    return list(db.session.scalars(select(RequestMessage).where(
        RequestMessage.request_id == request_id, RequestMessage.from_staff.is_(False),
        RequestMessage.read_at.is_(None))))


def requests_with_unread_messages(limit: int) -> list[SupportRequest]:
    """Requests with family messages nobody has read, the longest waiting first (archived
    ones are out of every working list)."""
    oldest = (select(RequestMessage.request_id,
                     func.min(RequestMessage.sent_at).label("since"))
              .where(RequestMessage.from_staff.is_(False), RequestMessage.read_at.is_(None))
              .group_by(RequestMessage.request_id).subquery())
    return list(db.session.scalars(
        select(SupportRequest).join(oldest, oldest.c.request_id == SupportRequest.id)
        .where(SupportRequest.unread_messages > 0, SupportRequest.archived_at.is_(None))
        .order_by(oldest.c.since, SupportRequest.id).limit(limit)))


class TimelineStep(Base):
    """One step of a request as the family sees it, written when it happens."""

    __tablename__ = "request_timeline"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_requests.id"), index=True)
    step: Mapped[str] = mapped_column(String(30))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)


def timeline_for(request_id: int) -> list[TimelineStep]:
    return list(db.session.scalars(select(TimelineStep).where(
        TimelineStep.request_id == request_id).order_by(TimelineStep.occurred_at,
                                                        TimelineStep.id)))


def has_step(request_id: int, step: str) -> bool:
    return db.session.scalar(select(TimelineStep.id).where(
        TimelineStep.request_id == request_id, TimelineStep.step == step).limit(1)) is not None


QUEUE_STATES = ("ready_for_triage", "more_info_requested", "awaiting_consent")
QUEUE_COUNT_CAP = 1000
# The default view: everything staff can act on, and urgent requests still waiting for
# consent (an officer working this view must see a child in crisis at once).
WORKING = "working"


def queue_page(*, states: tuple[str, ...] | str, rating: str | None,
               assigned_to: int | None, unassigned: bool, offset: int, limit: int
               ) -> tuple[list[SupportRequest], int]:
    """One page of the triage queue: urgent first (suggested Red or Blue), then oldest."""
    if states == WORKING:
        conditions = [SupportRequest.state.in_(QUEUE_STATES),
                      or_(SupportRequest.state != "awaiting_consent",
                          SupportRequest.priority == 0)]
    else:
        conditions = [SupportRequest.state.in_(states)]
    if rating:
        conditions.append(SupportRequest.suggested_rating == rating)
    if assigned_to is not None:
        conditions.append(SupportRequest.assigned_to_id == assigned_to)
    if unassigned:
        conditions.append(SupportRequest.assigned_to_id.is_(None))
    query = select(SupportRequest).where(*conditions)
    # Counted up to a cap, from the index alone: "more than 1,000" is enough to know,
    # and it costs the same however many requests there are.
    total = db.session.scalar(select(func.count()).select_from(
        select(SupportRequest.id).where(*conditions).limit(QUEUE_COUNT_CAP + 1).subquery())
    ) or 0
    rows = db.session.scalars(
        query.order_by(SupportRequest.priority, SupportRequest.submitted_at, SupportRequest.id)
        .offset(offset).limit(limit))
    return list(rows), int(total)


def requests_by_ids(ids: list[int]) -> list[SupportRequest]:
    """Several requests in one query, newest first."""
    if not ids:
        return []
    return list(db.session.scalars(select(SupportRequest).where(
        SupportRequest.id.in_(ids)).order_by(SupportRequest.submitted_at.desc())))
