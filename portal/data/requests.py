"""Submitted requests for a child to be added to the register."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.data.base import Base, Timestamped, utcnow
from portal.extensions import db


class SupportRequest(Timestamped, Base):
    __tablename__ = "support_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(24), index=True)
    locale: Mapped[str] = mapped_column(String(10))
    submitted_at: Mapped[datetime] = mapped_column(index=True)

    # Who is asking.
    requester_role: Mapped[str] = mapped_column(String(24))
    requester_name: Mapped[str] = mapped_column(String(200))
    requester_relationship: Mapped[str | None] = mapped_column(String(100))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    contact_method: Mapped[str] = mapped_column(String(12))

    # The child.
    child_name: Mapped[str] = mapped_column(String(200))
    child_preferred_name: Mapped[str | None] = mapped_column(String(100))
    child_date_of_birth: Mapped[date] = mapped_column(Date)
    nhs_number: Mapped[str | None] = mapped_column(String(10))
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

    # Triage.
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"),
                                                        index=True)
    decided_at: Mapped[datetime | None] = mapped_column(index=True)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    decline_help: Mapped[str | None] = mapped_column(Text)  # where else to get help

    version_id: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    __mapper_args__ = {"version_id_col": version_id}
    __table_args__ = (Index("ix_support_requests_queue_order", "state", "priority",
                            "submitted_at", "id"),)

    def snapshot(self) -> dict[str, Any]:
        return {c.key: getattr(self, c.key) for c in self.__table__.columns}


def find_request_by_idempotency_key(key: str) -> SupportRequest | None:
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


def move_request(request: SupportRequest, target: str, *, actor_type: str,
                 actor_id: str | None = None, detail: dict[str, Any] | None = None) -> None:
    """The only way a request changes state: checked against the allowed moves, audited."""
    from portal.data import audit
    from portal.domain.request_states import check_transition

    before = request.state
    request.state = check_transition(before, target).value
    audit.record(actor_type=actor_type, actor_id=actor_id, action="request.state",
                 subject_type="request", subject_id=str(request.id),
                 detail={"from": before, "to": request.state, **(detail or {})})


def find_request(request_id: int) -> SupportRequest | None:
    return db.session.get(SupportRequest, request_id)


class RequestMessage(Base):
    """A message between staff and the family about a request."""

    __tablename__ = "request_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_requests.id"), index=True)
    from_staff: Mapped[bool] = mapped_column(Boolean)
    author: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


def add_message(request: SupportRequest, *, from_staff: bool, author: str,
                body: str) -> RequestMessage:
    message = RequestMessage(request_id=request.id, from_staff=from_staff, author=author,
                             body=body)
    db.session.add(message)
    return message


def messages_for(request_id: int) -> list[RequestMessage]:
    return list(db.session.scalars(select(RequestMessage).where(
        RequestMessage.request_id == request_id).order_by(RequestMessage.sent_at)))


QUEUE_STATES = ("ready_for_triage", "more_info_requested", "awaiting_consent")
QUEUE_COUNT_CAP = 1000


def queue_page(*, states: tuple[str, ...], rating: str | None,
               assigned_to: int | None, unassigned: bool, offset: int, limit: int
               ) -> tuple[list[SupportRequest], int]:
    """One page of the triage queue: urgent first (suggested Red or Blue), then oldest."""
    from sqlalchemy import func

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
