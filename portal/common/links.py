"""Links sent by email: signed, expiring, single use and bound to one purpose.

The link carries a random 256-bit nonce; the database keeps only its SHA-256 and marks
it used. Opening a link shows a page whose button POSTs, so a mail scanner that follows
links never uses one up. Issuing and using a link are writes: the application layer
does them (portal.cases.links); this module signs, checks and follows.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from flask import current_app, render_template, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from portal.common.logs import LINK_REFUSED, security_event
from portal.data.base import utcnow
from portal.data.drafts import EmailLink, find_email_link


class LinkProblem(enum.StrEnum):
    INVALID = "invalid"
    EXPIRED = "expired"
    USED = "used"


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"dsr-link:{purpose}")


def nonce_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def new_token(purpose: str) -> tuple[str, str]:
    """(token for the link, hash of its nonce to store)."""
    nonce = secrets.token_urlsafe(32)
    return _serializer(purpose).dumps({"n": nonce}), nonce_hash(nonce)


def check(token: str, purpose: str, *, ttl: timedelta) -> EmailLink | LinkProblem:
    """The link's record if it can still be used, else what is wrong with it."""
    try:
        payload = _serializer(purpose).loads(token, max_age=int(ttl.total_seconds()))
    except SignatureExpired:
        return LinkProblem.EXPIRED
    except BadSignature:
        return LinkProblem.INVALID
    nonce = payload.get("n") if isinstance(payload, dict) else None
    if not isinstance(nonce, str):
        return LinkProblem.INVALID
    link = find_email_link(nonce_hash(nonce), purpose)
    if link is None:
        return LinkProblem.INVALID
    if link.used_at is not None:
        return LinkProblem.USED
    if link.expires_at <= utcnow():
        return LinkProblem.EXPIRED
    return link


T = TypeVar("T")
Step = Callable[[EmailLink, T], Any]


def follow(token: str, purpose: str, *, ttl: timedelta, problem_template: str,
           find: Callable[[EmailLink], T | None], on_get: Step[T], on_post: Step[T],
           use: Callable[[EmailLink], bool],
           refuse: Callable[[EmailLink, T], Any] | None = None,
           gone: LinkProblem = LinkProblem.INVALID) -> Any:
    """Every emailed link: the GET shows a page with a button (a mail scanner fetching
    the link changes nothing), the POST uses the link up (`use`, from the application
    layer) and acts. A link that cannot be used, or whose subject is gone, gets a clear
    page (404 or 410) and changes nothing; so does one opened where it must not be used
    (`refuse` returns the page to show), and the link still works where it belongs."""

    def problem(kind: LinkProblem) -> tuple[str, int]:
        status = 404 if kind is LinkProblem.INVALID else 410
        # Which purpose and what was wrong; never the token.
        security_event(LINK_REFUSED, subject=purpose,
                       detail={"problem": kind.value, "method": request.method})
        return render_template(problem_template, problem=kind.value), status

    result = check(token, purpose, ttl=ttl)
    if isinstance(result, LinkProblem):
        return problem(result)
    subject = find(result)
    if subject is None:
        return problem(gone)
    if refuse is not None and (refused := refuse(result, subject)) is not None:
        return refused
    if request.method == "POST":
        if not use(result):
            return problem(LinkProblem.USED)
        return on_post(result, subject)
    return on_get(result, subject)
