"""The audit recorder. Only the application layer calls it, inside an operation."""

from __future__ import annotations

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
