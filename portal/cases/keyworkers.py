"""Named keyworkers: a member of staff linked to the children they key-work, told (with no
personal details) when there is something new, and shown it on "my children".

`tell_keyworker(entry, what)` is called from inside other operations (a family's message
or update, a partner's update, a C(E)TR, the adult hand-over). It queues one email to the
entry's keyworker; while they have not opened the entry since, more of the same kind of
news for the same child sends nothing more (the email says "something new": one is enough
until they have read it). A keyworker without an account, or whose account is disabled,
gets nothing."""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app

from portal.cases import audit, emails
from portal.cases.operation import Actor, NotAllowed, operation
from portal.common.urls import external_url
from portal.data import keyworkers as store
from portal.data.base import utcnow
from portal.data.register import RegisterEntry, entry_for_request
from portal.data.requests import find_request
from portal.data.staff import Role, StaffUser, find_staff
from portal.extensions import db

# What happened, as other operations name it.
EVENTS = ("family_message", "family_update", "partner_update", "review_due", "cetr",
          "handover")
# Reviews "due soon" for the daily email: within this many days (overdue ones too).
REVIEW_DAYS = 7


def _locale() -> str:
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def tell_keyworker(entry: RegisterEntry, what: str) -> None:
    """Queue an email to the entry's keyworker (if they have a working account) saying
    there is something new for a child they key-work: the reference and a link, nothing
    else. Call inside an operation."""
    if what not in EVENTS:
        raise ValueError(f"unknown keyworker event: {what}")
    keyworker = store.keyworker_of(entry)
    if keyworker is None:
        return
    req = find_request(entry.request_id)
    if req is None:
        return
    read = store.find_read(entry.id, keyworker.id)
    since = int(read.seen_at.timestamp()) if read else 0
    # One email per kind of news until the keyworker opens the entry (then a new one).
    dedupe = f"keyworker:{entry.id}:{keyworker.id}:{what}:{since}"
    if what == "review_due":
        dedupe += f":{date.today().isoformat()}"
    emails.send("keyworker_notice", keyworker.email, locale=_locale(),
                reference=req.reference, what=what,
                link=external_url("staff.register_entry", entry_id=entry.id),
                dedupe=dedupe)


def mark_read(entry_id: int, staff_id: int) -> None:
    """The keyworker opened the entry: what came before now is no longer new. Done as part
    of the look at the entry (portal.cases.looks), inside its transaction."""
    read = store.find_read(entry_id, staff_id)
    if read is None:
        db.session.add(store.KeyworkerRead(entry_id=entry_id, staff_id=staff_id,
                                           seen_at=utcnow()))
    else:
        read.seen_at = utcnow()
    try:
        from portal.data.partners import PartnerUpdate
    except ImportError:  # pragma: no cover - partner agencies not in this version
        return
    from sqlalchemy import update
    db.session.execute(update(PartnerUpdate).where(
        PartnerUpdate.entry_id == entry_id, PartnerUpdate.read_by_keyworker_at.is_(None))
        .values(read_by_keyworker_at=utcnow()))


def is_keyworker(entry: RegisterEntry, actor: Actor) -> bool:
    return (actor.kind == "staff" and actor.id is not None
            and entry.keyworker_staff_id is not None
            and str(entry.keyworker_staff_id) == actor.id)


def check_keyworker(staff_id: int | None) -> StaffUser | None:
    """The member of staff chosen as keyworker: active and not an administrator."""
    if staff_id is None:
        return None
    user = find_staff(staff_id)
    if user is None or not user.active or user.role == Role.ADMIN.value:
        raise NotAllowed("not someone who can be a keyworker")
    return user


def link(entry: RegisterEntry, actor: Actor, staff_id: int | None) -> bool:
    """Set (or clear) the entry's keyworker with an account, inside the operation that
    changes the keyworker (accept, the entry's details). Their name becomes the entry's
    keyworker, and their email its contact unless one was typed. Audited when it changes
    (the caller tells the monthly return). Returns whether it changed."""
    user = check_keyworker(staff_id)
    if user is not None:
        entry.keyworker = user.name
        entry.keyworker_contact = entry.keyworker_contact or user.email
    before = entry.keyworker_staff_id
    if before == (user.id if user else None):
        return False
    entry.keyworker_staff_id = user.id if user else None
    audit.record(actor, "register.keyworker_linked", "register_entry", entry.id,
                 before=before, to=entry.keyworker_staff_id)
    return True


def keyworker_changed(entry: RegisterEntry, actor: Actor) -> None:
    """Tell the monthly return's history (portal.cases.returns) the keyworker changed."""
    try:
        from portal.cases.returns import keyworker_changed as record
    except ImportError:
        return
    record(entry, actor)


@operation
def tell_of_reviews_due(today: date | None = None) -> int:
    """The daily email: to each keyworker with a working account, how many of their
    children have a review due within a week (or overdue). No names. Once a day each:
    the job is claimed once a day, and the dedupe key holds the date. Returns how many
    emails were queued."""
    today = today or date.today()
    counts = store.reviews_due_by(today + timedelta(days=REVIEW_DAYS))
    sent = 0
    for staff_id, count in sorted(counts.items()):
        user = find_staff(staff_id)
        if user is None or not user.active or user.role == Role.ADMIN.value:
            continue
        queued = emails.send("keyworker_reviews_due", user.email, locale=_locale(),
                             count=count, days=REVIEW_DAYS,
                             link=external_url("staff.my_children"),
                             dedupe=f"keyworker_reviews:{staff_id}:{today.isoformat()}")
        sent += queued is not None
    audit.record(Actor.system("keyworker_reviews"), "keyworker.reviews_due", "job",
                 today.isoformat(), emails=sent)
    return sent


DEMO_KEYWORKER = "triage@demo.example"


@operation
def seed_demo(how_many: int = 2) -> int:
    """Demo data: the demo triage officer is the keyworker of two register entries (the
    demo requests with consent are added to the register if none is there yet). Returns
    how many entries were linked now."""
    from portal.cases import decisions
    from portal.data.consent import status_for
    from portal.data.requests import find_request_by_idempotency_key
    from portal.data.staff import find_staff_by_email
    from portal.domain.ratings import Rating
    from portal.domain.request_states import State

    officer = find_staff_by_email(DEMO_KEYWORKER)
    if officer is None or store.entries_of(officer.id):
        return 0
    actor = Actor.for_staff(officer)
    linked = 0
    for index in range(1, 7):
        if linked >= how_many:
            break
        req = find_request_by_idempotency_key(f"demo-request-{index}")
        if req is None:
            continue
        entry = entry_for_request(req.id)
        if entry is not None and entry.closed_at is not None:
            continue
        if entry is None:
            status = status_for(req)
            if (req.state != State.READY_FOR_TRIAGE or not status.valid
                    or status.needs_staff_decision):
                continue
            entry = decisions.accept(
                req, actor, rating=Rating(req.suggested_rating), keyworker=None,
                first_review=date.today() + timedelta(days=5 * index),
                reason="Demo: added to try the register.", keyworker_staff_id=officer.id)
        elif entry.keyworker_staff_id is None:
            link(entry, actor, officer.id)
            keyworker_changed(entry, actor)
        else:
            continue
        linked += 1
    return linked
