"""Unfinished requests: started, answers saved page by page, a link to carry on, purged."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete

from portal.cases import emails, links
from portal.cases.operation import operation
from portal.common.urls import external_url
from portal.data.base import utcnow
from portal.data.drafts import Draft, EmailLink, expired_draft_ids
from portal.extensions import db
from portal.questions.catalogue import kept_in_draft

SAVE_RETURN = "save-return"


def _ttl_days() -> int:
    return int(current_app.config["DRAFT_TTL_DAYS"])


@operation
def start(locale: str) -> Draft:
    now = utcnow()
    draft = Draft(id=str(uuid.uuid4()), answers={}, locale=locale,
                  idempotency_key=secrets.token_urlsafe(32), created_at=now, updated_at=now,
                  expires_at=now + timedelta(days=_ttl_days()))
    db.session.add(draft)
    return draft


@operation
def save_answers(draft: Draft, answers: dict[str, Any]) -> None:
    """Merge a page's answers into the draft and push its expiry back. Only what the
    questions ask for is kept, each answer within its limits (see kept_in_draft)."""
    merged = dict(draft.answers or {})
    merged.update(answers)
    draft.answers = kept_in_draft(merged)
    now = utcnow()
    draft.updated_at = now
    draft.expires_at = now + timedelta(days=_ttl_days())


@operation
def send_return_link(draft: Draft, address: str) -> None:
    """Email a single-use link to carry on with the request on any device."""
    hours = int(current_app.config["RETURN_LINK_TTL_HOURS"])
    token = links.issue(SAVE_RETURN, draft_id=draft.id, ttl=timedelta(hours=hours))
    emails.send("save_return", address, locale=draft.locale,
                link=external_url("public.request_return", token=token), hours=hours,
                days=_ttl_days())


@operation
def purge_expired(now: datetime | None = None) -> int:
    """Delete unfinished requests, and links, that have expired."""
    moment = now or utcnow()
    db.session.execute(delete(EmailLink).where(EmailLink.expires_at <= moment))
    db.session.execute(delete(EmailLink).where(EmailLink.draft_id.in_(expired_draft_ids(moment))))
    result = db.session.execute(delete(Draft).where(Draft.expires_at <= moment))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
