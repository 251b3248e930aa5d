"""Finding a child: requests and register entries (open and closed) by name, reference, NHS
number or date of birth. Queries only. Archived records are out of it, as they are out of
every working list.

A register entry is made from its request and keeps the request's name, date of birth and
NHS number (portal.cases.requests corrects both together), so every search runs on the
requests and brings each one's register entry with it: one indexed look-up for a
reference, an NHS number or a date of birth; for a name, one pass over the names' sound
codes (`support_requests.name_sounds`) picks the few that share a sound with a word typed,
and portal.domain.names ranks them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Integer, and_, case, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement

from portal.data.register import RegisterEntry
from portal.data.requests import SupportRequest
from portal.domain import names
from portal.domain.names import Query
from portal.extensions import db

SHOWN = 50  # results shown at most, best first
CANDIDATES = 400  # names looked at closely, those sharing most sounds with what was typed
EXACT_LIMIT = 200  # rows read for one reference, NHS number or date of birth


OPEN_REQUEST_STATES = ("submitted", "awaiting_consent", "ready_for_triage",
                       "more_info_requested")


@dataclass(frozen=True)
class Found:
    """One child's record found: the request and, if there is one, its register entry.
    Plain values, read once (the page's look at them is audited in a write of its own)."""

    request_id: int
    reference: str
    child_name: str
    preferred_name: str | None
    born: date
    state: str  # the request's
    suggested_rating: str
    entry_id: int | None
    rating: str | None  # the entry's
    closed: bool  # the entry is closed, or the request was decided without one
    score: float = 1.0

    @property
    def on_register(self) -> bool:
        return self.entry_id is not None


def _found(req: SupportRequest, entry: RegisterEntry | None, score: float = 1.0) -> Found:
    closed = (entry.closed_at is not None) if entry is not None else (
        req.state not in OPEN_REQUEST_STATES)
    return Found(request_id=req.id, reference=req.reference, child_name=req.child_name,
                 preferred_name=req.child_preferred_name, born=req.child_date_of_birth,
                 state=req.state, suggested_rating=req.suggested_rating,
                 entry_id=entry.id if entry else None,
                 rating=entry.rating if entry else None, closed=closed, score=score)


@dataclass(frozen=True)
class Results:
    found: list[Found]
    total: int  # how many matched, of which `found` holds the best SHOWN
    capped: bool = False  # more may match: only the CANDIDATES closest names were looked at


def _base(entries_only: bool) -> ColumnElement[bool]:
    where = [SupportRequest.archived_at.is_(None)]
    if entries_only:
        where += [RegisterEntry.id.is_not(None), RegisterEntry.archived_at.is_(None)]
    else:
        where += [or_(RegisterEntry.id.is_(None), RegisterEntry.archived_at.is_(None))]
    return and_(*where)


def _rows(condition: ColumnElement[bool], entries_only: bool, limit: int
          ) -> list[tuple[SupportRequest, RegisterEntry | None]]:
    statement = (select(SupportRequest, RegisterEntry)
                 .outerjoin(RegisterEntry, RegisterEntry.request_id == SupportRequest.id)
                 .where(condition, _base(entries_only))
                 .order_by(SupportRequest.submitted_at.desc(), SupportRequest.id.desc())
                 .limit(limit))
    return [(row[0], row[1]) for row in db.session.execute(statement)]


def search(query: Query, *, entries_only: bool) -> Results:
    """What the query finds. `entries_only`: only children on the register (open or
    closed), never a request that did not become an entry (partner agencies)."""
    if query.kind == "reference":
        rows = _rows(SupportRequest.reference == query.value, entries_only, EXACT_LIMIT)
    elif query.kind == "nhs_number":
        rows = _rows(SupportRequest.nhs_number == query.value, entries_only, EXACT_LIMIT)
    elif query.kind == "date_of_birth" and query.born is not None:
        rows = _rows(SupportRequest.child_date_of_birth == query.born, entries_only,
                     EXACT_LIMIT)
    elif query.kind == "name":
        return _by_name(query.value, entries_only)
    else:
        return Results([], 0)
    found = [_found(req, entry) for req, entry in rows]
    # Open records before closed ones, then the newest first.
    found.sort(key=lambda f: f.closed)
    return Results(found[:SHOWN], len(found))


def _by_name(typed: str, entries_only: bool) -> Results:
    sounds = names.query_sounds(typed)
    starts = [w for w in names.words(typed) if len(w) >= 3]
    hits = [SupportRequest.name_sounds.like(f"% {code} %") for code in sounds]
    hits += [SupportRequest.name_key.like(f"%{word}%") for word in starts]
    if not hits:
        return Results([], 0)
    shared = sum((case((hit, 1), else_=0) for hit in hits), literal(0, Integer))
    # Only the narrow index on (name_sounds, name_key, archived_at) is read for this: the
    # ids sharing most with what was typed, newest first among equals.
    where = [or_(*hits), SupportRequest.archived_at.is_(None)]
    if entries_only:
        where.append(SupportRequest.id.in_(select(RegisterEntry.request_id).where(
            RegisterEntry.archived_at.is_(None))))
    ids = list(db.session.scalars(select(SupportRequest.id).where(*where)
                                  .order_by(shared.desc(), SupportRequest.id.desc())
                                  .limit(CANDIDATES)))
    if not ids:
        return Results([], 0)
    held = {row.id: (row.child_name, row.child_preferred_name)
            for row in db.session.execute(select(
                SupportRequest.id, SupportRequest.child_name,
                SupportRequest.child_preferred_name).where(SupportRequest.id.in_(ids)))}
    candidates = [(i, held[i]) for i in ids if i in held]
    ranked = names.rank(typed, candidates)
    best = ranked[:SHOWN]
    shown = [request_id for request_id, _ in best]
    loaded = {req.id: (req, entry) for req, entry in _rows(
        SupportRequest.id.in_(shown), entries_only, len(shown) or 1)} if shown else {}
    found = [_found(*loaded[i], score=s) for i, s in best if i in loaded]
    return Results(found, len(ranked), capped=len(ids) >= CANDIDATES)

