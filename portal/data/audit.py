"""Audit events: append-only (the database refuses UPDATE and DELETE on this table).

Only the application layer (portal.cases.audit) records them; this module reads them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.data.base import Base, utcnow
from portal.extensions import db

SECURITY_SUBJECT = "security"  # the subject type of every security event


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_type: Mapped[str] = mapped_column(String(20))  # family, young_person, staff, system
    actor_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(64), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


def events_for(subject_type: str, subject_id: str) -> list[AuditEvent]:
    return events_for_subjects([(subject_type, subject_id)])


def events_for_subjects(subjects: list[tuple[str, str]]) -> list[AuditEvent]:
    """Every event about any of these (type, id) subjects, oldest first."""
    from sqlalchemy import and_, or_

    return list(db.session.scalars(
        select(AuditEvent).where(or_(*(and_(AuditEvent.subject_type == kind,
                                            AuditEvent.subject_id == ident)
                                       for kind, ident in subjects)))
        .order_by(AuditEvent.id)))


def search_events(*, actor_id: str | None, subject_type: str | None, subject_ids: list[str],
                  offset: int, limit: int, security_only: bool = False
                  ) -> tuple[list[AuditEvent], int]:
    """`security_only`: only security events (failed sign-ins, refusals, bad links...)."""
    from sqlalchemy import func

    query = select(AuditEvent)
    if security_only:
        query = query.where(AuditEvent.subject_type == SECURITY_SUBJECT)
    if actor_id:
        query = query.where(AuditEvent.actor_type == "staff", AuditEvent.actor_id == actor_id)
    if subject_type and subject_ids:
        query = query.where(AuditEvent.subject_type == subject_type,
                            AuditEvent.subject_id.in_(subject_ids))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(query.order_by(AuditEvent.id.desc()).offset(offset).limit(limit))
    return list(rows), int(total)


def staff_views(request_id: int, entry_id: int | None) -> list[tuple[Any, str]]:
    """(when, role) for every time staff opened this child's request or register entry."""
    from portal.data.staff import StaffUser

    subjects = [("request", str(request_id))]
    if entry_id is not None:
        subjects.append(("register_entry", str(entry_id)))
    from sqlalchemy import Integer, and_, cast, or_

    rows = db.session.execute(
        select(AuditEvent.occurred_at, StaffUser.role)
        .join(StaffUser, StaffUser.id == cast(AuditEvent.actor_id, Integer))
        .where(AuditEvent.actor_type == "staff",
               AuditEvent.action.in_(["request.viewed", "register.viewed"]),
               or_(*(and_(AuditEvent.subject_type == t, AuditEvent.subject_id == i)
                     for t, i in subjects)))
        .order_by(AuditEvent.occurred_at.desc()))
    return [(at, role) for at, role in rows]
