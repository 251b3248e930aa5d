"""Operations and actors: how the application layer changes state, and who is acting.

An operation opens a write transaction (BEGIN IMMEDIATE on SQLite, so a page that
began by reading can still write while others write), runs, and flushes what it
changed before it returns. Anything changed outside an operation is refused by the guard
on the engine (portal.data.engine, setting WRITE_GUARD), on any INSERT, UPDATE or DELETE
at all: at the flush that starts the next operation, or at the commit of the page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import ParamSpec, TypeVar

from portal.data.engine import begin_write, current_writer, writes_allowed
from portal.data.family import email_fingerprint
from portal.data.staff import Role, StaffUser
from portal.extensions import db

P = ParamSpec("P")
R = TypeVar("R")


class NotAllowed(Exception):
    """This person may not do this (the view answers 403 or 404)."""


def operation(func: Callable[P, R]) -> Callable[P, R]:
    """Run `func` as one operation of the application layer (nested calls join it)."""

    @wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if current_writer() is not None:
            return func(*args, **kwargs)
        db.session.flush()  # anything changed outside an operation is refused here
        begin_write()
        with writes_allowed(f"{func.__module__}.{func.__qualname__}"):
            result = func(*args, **kwargs)
            db.session.flush()
        return result

    return run


@dataclass(frozen=True)
class Actor:
    """Who is acting, and how they showed it.

    kind: "staff", "parent" (a parent or carer with parental responsibility, for consent),
    "young_person", "family" (someone following a request, signed in by email), or
    "system" (a command or a scheduled job).
    """

    kind: str
    id: str | None = None
    name: str = ""
    email: str | None = None
    role: str | None = None  # a member of staff's role
    via: str | None = None  # how they showed who they are (a link, their own request...)

    @classmethod
    def for_staff(cls, user: StaffUser) -> Actor:
        return cls("staff", str(user.id), user.name, user.email, user.role)

    @classmethod
    def family(cls, email: str, via: str = "account") -> Actor:
        return cls("family", email_fingerprint(email), "", email.strip().lower(), via=via)

    @classmethod
    def parent(cls, email: str | None, via: str) -> Actor:
        return cls("parent", email_fingerprint(email) if email else None, "",
                   email.strip().lower() if email else None, via=via)

    @classmethod
    def young_person(cls, email: str | None, via: str) -> Actor:
        return cls("young_person", email_fingerprint(email) if email else None, "",
                   email.strip().lower() if email else None, via=via)

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls("system", name, name)

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"

    def has_role(self, *roles: Role) -> bool:
        return self.is_staff and self.role in {r.value for r in roles}


def require_role(actor: Actor, *roles: Role) -> None:
    if not actor.has_role(*roles):
        raise NotAllowed(f"{actor.kind} {actor.role or ''} may not do this")

