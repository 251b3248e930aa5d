"""Links sent by email: issuing one (a row keeping only its nonce's hash) and using it up."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from portal.cases.operation import operation
from portal.common.links import new_token
from portal.common.urls import external_url
from portal.data.base import utcnow
from portal.data.consent import Consent
from portal.data.drafts import EmailLink
from portal.data.requests import SupportRequest
from portal.extensions import db

# What a link is for: one purpose each, so a link for one thing never works for another.
WITHDRAW = "withdraw"
PARENT_LINK = "parent-consent"
YOUNG_PERSON_LINK = "young-person-consent"


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


def _days(setting: str) -> timedelta:
    return timedelta(days=int(current_app.config[setting]))


def withdraw_link(consent: Consent) -> str:
    token = issue(WITHDRAW, ttl=_days("WITHDRAW_LINK_TTL_DAYS"),
                        request_id=consent.request_id, subject=consent.id)
    return external_url("public.withdraw_link", token=token)


def parent_consent_link(req: SupportRequest, email: str | None = None) -> str:
    """A link to give a parent's consent. With an email, whoever uses it may follow the
    request from that address afterwards, and gets their receipt there."""
    token = issue(PARENT_LINK, ttl=_days("CONSENT_LINK_TTL_DAYS"), request_id=req.id,
                        subject=email)
    return external_url("public.consent_link", token=token)


def young_person_link(req: SupportRequest, email: str | None = None) -> str:
    token = issue(YOUNG_PERSON_LINK, ttl=_days("CONSENT_LINK_TTL_DAYS"),
                        request_id=req.id, subject=email)
    return external_url("public.young_person_link", token=token)
