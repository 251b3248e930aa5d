"""Links sent by email: issuing one (a row keeping only its nonce's hash) and using it up."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from portal.cases.operation import operation
from portal.common.links import new_token
from portal.data.base import utcnow
from portal.data.drafts import EmailLink
from portal.extensions import db


@operation
def issue(purpose: str, *, ttl: timedelta, draft_id: str | None = None,
          request_id: int | None = None, subject: str | None = None) -> str:
    """A new single-use link; returns the token to put in it."""
    token, digest = new_token(purpose)
    now = utcnow()
    db.session.add(EmailLink(purpose=purpose, nonce_hash=digest, draft_id=draft_id,
                             request_id=request_id, subject=subject, created_at=now,
                             expires_at=now + ttl))
    return token


@operation
def use(link: EmailLink) -> bool:
    """Use a link up; False when another request used it first (two taps at once)."""
    moment = utcnow()
    result = db.session.execute(
        update(EmailLink).where(EmailLink.id == link.id, EmailLink.used_at.is_(None))
        .values(used_at=moment).execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    set_committed_value(link, "used_at", moment)
    return True
