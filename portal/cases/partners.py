"""Partner agencies: admins create them and put partner accounts in one; partners tell
the register what their agency knows or has done, bring contributions to the monthly
meeting, and accept, update and close the actions assigned to their agency.

A partner changes nothing else: every operation here checks the role and, for an action,
that it is assigned to the partner's own agency. Everything they add is audited with
their agency's name."""

from __future__ import annotations

from portal.cases import audit
from portal.cases.operation import Actor, NotAllowed, operation, require_role
from portal.data.base import utcnow
from portal.data.partners import (
    KINDS,
    Agency,
    MeetingContribution,
    PartnerUpdate,
    find_agency,
    find_agency_by_name,
)
from portal.data.register import RegisterAction, RegisterEntry
from portal.data.staff import Role, StaffUser, find_staff, find_staff_by_email
from portal.extensions import db

CASEWORK = (Role.TRIAGE, Role.MANAGER)
DEMO_AGENCIES = [("Northshire Children's Social Care", "social_care"),
                 ("Northshire SEND and Inclusion", "education")]


class EntryClosed(Exception):
    """The entry is closed or archived: nothing more is added to it."""


class ActionClosed(Exception):
    """The action is already closed."""


def _admin_or_system(actor: Actor) -> None:
    if actor.is_staff and not actor.has_role(Role.ADMIN):
        raise NotAllowed("only admins manage agencies")
    if not actor.is_staff and actor.kind != "system":
        raise NotAllowed("only admins manage agencies")


def agency_of_actor(actor: Actor) -> Agency:
    """The partner's own agency; NotAllowed for anyone else, or a partner in none."""
    require_role(actor, Role.PARTNER)
    user = find_staff(int(actor.id or 0))
    agency = find_agency(user.agency_id) if user is not None and user.agency_id else None
    if agency is None:
        raise NotAllowed("this partner account is not in an agency")
    return agency


def _open(entry: RegisterEntry) -> None:
    if entry.closed_at is not None or entry.archived_at is not None:
        raise EntryClosed(str(entry.id))


def _own_action(action: RegisterAction, actor: Actor) -> Agency:
    agency = agency_of_actor(actor)
    if action.agency_id != agency.id:
        raise NotAllowed("this action is assigned to another agency")
    return agency


def _tell_keyworker(entry: RegisterEntry) -> None:
    try:
        from portal.cases.keyworkers import tell_keyworker
    except ImportError:  # pragma: no cover - keyworkers arrive with their own migration
        return
    tell_keyworker(entry, "partner_update")


def _detail(actor: Actor, agency: Agency, **more: object) -> dict[str, object]:
    return {"agency": agency.name, "agency_id": agency.id, "by": actor.name, **more}


# Agencies and their accounts (admins) -----------------------------------------------------

@operation
def create_agency(actor: Actor, *, name: str, kind: str) -> Agency:
    _admin_or_system(actor)
    if kind not in KINDS:
        raise ValueError(kind)
    agency = Agency(name=" ".join(name.split()), kind=kind)
    db.session.add(agency)
    db.session.flush()
    audit.record(actor, "agency.created", "agency", agency.id, name=agency.name, kind=kind)
    return agency


@operation
def place_in_agency(actor: Actor, user: StaffUser, agency: Agency | None) -> None:
    """A partner account joins an agency (or leaves it, with None)."""
    _admin_or_system(actor)
    if agency is not None and user.role != Role.PARTNER:
        raise NotAllowed("only partner accounts belong to an agency")
    before = user.agency_id
    after = agency.id if agency is not None else None
    if before == after:
        return
    user.agency_id = after
    user.session_version += 1  # what the account may act on changed: sign in again
    audit.record(actor, "staff.agency", "staff", user.id, before=before, after=after,
                 agency=agency.name if agency is not None else None)


# What partners add -----------------------------------------------------------------------

@operation
def add_update(entry: RegisterEntry, actor: Actor, body: str) -> PartnerUpdate:
    """What the partner's agency knows or has done; the keyworker hears of it."""
    agency = agency_of_actor(actor)
    _open(entry)
    update = PartnerUpdate(entry_id=entry.id, agency_id=agency.id, author_id=int(actor.id or 0),
                           body=body)
    db.session.add(update)
    db.session.flush()
    audit.record(actor, "partner.update", "register_entry", entry.id,
                 **_detail(actor, agency, update=update.id))
    _tell_keyworker(entry)
    return update


@operation
def add_contribution(entry: RegisterEntry, actor: Actor, body: str) -> MeetingContribution:
    """For the monthly meeting: shown next to the entry there."""
    agency = agency_of_actor(actor)
    _open(entry)
    contribution = MeetingContribution(entry_id=entry.id, agency_id=agency.id,
                                       author_id=int(actor.id or 0), body=body)
    db.session.add(contribution)
    db.session.flush()
    audit.record(actor, "partner.contribution", "register_entry", entry.id,
                 **_detail(actor, agency, contribution=contribution.id))
    return contribution


@operation
def accept_action(entry: RegisterEntry, action: RegisterAction, actor: Actor) -> None:
    agency = _own_action(action, actor)
    _open(entry)
    if action.done_at is not None:
        raise ActionClosed(str(action.id))
    if action.accepted_at is not None:
        return
    action.accepted_at = utcnow()
    action.accepted_by = actor.name
    audit.record(actor, "partner.action_accepted", "register_entry", entry.id,
                 **_detail(actor, agency, action=action.id))


@operation
def action_progress(entry: RegisterEntry, action: RegisterAction, actor: Actor,
                    body: str) -> PartnerUpdate:
    """A progress note on the agency's action (an update on the entry too)."""
    agency = _own_action(action, actor)
    _open(entry)
    if action.done_at is not None:
        raise ActionClosed(str(action.id))
    note = PartnerUpdate(entry_id=entry.id, agency_id=agency.id, author_id=int(actor.id or 0),
                         action_id=action.id, body=body)
    db.session.add(note)
    db.session.flush()
    audit.record(actor, "partner.action_progress", "register_entry", entry.id,
                 **_detail(actor, agency, action=action.id, update=note.id))
    _tell_keyworker(entry)
    return note


@operation
def close_action(entry: RegisterEntry, action: RegisterAction, actor: Actor,
                 note: str) -> None:
    """Done: closed by the agency, with what was done."""
    agency = _own_action(action, actor)
    _open(entry)
    if action.done_at is not None:
        raise ActionClosed(str(action.id))
    now = utcnow()
    if action.accepted_at is None:
        action.accepted_at, action.accepted_by = now, actor.name
    action.done_at = now
    action.closed_by = actor.name
    action.closing_note = note
    audit.record(actor, "partner.action_closed", "register_entry", entry.id,
                 **_detail(actor, agency, action=action.id))
    _tell_keyworker(entry)


@operation
def update_read(entry: RegisterEntry, update: PartnerUpdate, actor: Actor) -> None:
    """Casework staff (the keyworker) have read a partner's update."""
    require_role(actor, *CASEWORK)
    if update.entry_id != entry.id:
        raise NotAllowed("not this entry's update")
    if update.read_by_keyworker_at is None:
        update.read_by_keyworker_at = utcnow()
        audit.record(actor, "partner.update_read", "register_entry", entry.id,
                     update=update.id)


# Demo data -------------------------------------------------------------------------------

@operation
def seed_demo_agencies() -> None:
    """Two made-up agencies, with the demo partner account in the first."""
    actor = Actor.system("seed-demo")
    made = [find_agency_by_name(name) or create_agency(actor, name=name, kind=kind)
            for name, kind in DEMO_AGENCIES]
    partner = find_staff_by_email("partner@demo.example")
    if partner is not None and partner.agency_id is None and partner.role == Role.PARTNER:
        place_in_agency(actor, partner, made[0])
