"""The audit recorder. Only the application layer calls it, inside an operation.

Looks (staff opening a record) are audited through portal.cases.looks, after the page's
reads, so that a look never fails the page and is never lost."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from portal.cases.operation import Actor
from portal.data.audit import AuditEvent
from portal.extensions import db


def record(actor: Actor, action: str, subject_type: str, subject_id: object, /,
           **detail: Any) -> AuditEvent:
    event = AuditEvent(actor_type=actor.kind, actor_id=actor.id, action=action,
                       subject_type=subject_type, subject_id=str(subject_id), detail=detail)
    db.session.add(event)
    return event


def record_kept(events: list[dict[str, Any]]) -> None:
    """Events kept outside the database until it could take them (a staff look, a security
    event), each a dict of the event's columns with `occurred_at` in ISO form. Call inside
    an operation."""
    for event in events:
        db.session.add(AuditEvent(
            occurred_at=datetime.fromisoformat(event["occurred_at"]),
            actor_type=event["actor_type"], actor_id=event["actor_id"],
            action=event["action"], subject_type=event["subject_type"],
            subject_id=event["subject_id"], detail=event["detail"]))
