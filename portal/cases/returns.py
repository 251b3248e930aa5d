"""The monthly return to NHS England: the keyworker history it is worked out from, the
details it breaks the figures down by, the figures kept at each month's end, and the
register manager's sign-off.

`keyworker_changed(entry, actor)` is called from inside every operation that changes an
entry's keyworker (accept, the entry's details, linking a keyworker's account)."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app

from portal.cases import audit
from portal.cases.operation import Actor, NotAllowed, operation, require_role
from portal.data import returns as store
from portal.data.base import utcnow
from portal.data.register import RegisterEntry
from portal.data.staff import Role
from portal.domain import returns as rules
from portal.extensions import db

CASEWORK = (Role.TRIAGE, Role.MANAGER)


def keyworker_changed(entry: RegisterEntry, actor: Actor) -> None:
    """Keep the entry's keyworker from now on in the history (nothing if it is the same as
    the last one kept). Call inside the operation that changed it."""
    latest = store.keyworker_now(entry.id)
    now = (entry.keyworker, entry.keyworker_staff_id)
    if latest is not None and (latest.keyworker, latest.keyworker_staff_id) == now:
        return
    if latest is None and now == (None, None):
        return
    db.session.add(store.KeyworkerChange(
        entry_id=entry.id, keyworker=entry.keyworker,
        keyworker_staff_id=entry.keyworker_staff_id, changed_at=utcnow(),
        changed_by=actor.name or actor.kind))


@operation
def change_return_details(entry: RegisterEntry, actor: Actor, *, sex: str | None,
                          ethnicity: str | None, local_authority: str | None) -> None:
    """The child's sex, ethnic category and local authority, for the return's breakdowns.
    Triage officers and register managers."""
    require_role(actor, *CASEWORK)
    if sex is not None and sex not in rules.SEXES:
        raise ValueError(sex)
    if ethnicity is not None and ethnicity not in rules.ETHNICITIES:
        raise ValueError(ethnicity)
    changed = [name for name, value in (("sex", sex), ("ethnicity", ethnicity),
                                        ("local_authority", local_authority))
               if getattr(entry, name) != value]
    entry.sex = sex
    entry.ethnicity = ethnicity
    entry.local_authority = local_authority
    entry.updated_at = utcnow()  # a new version: a save from an older page is refused
    audit.record(actor, "register.return_details", "register_entry", entry.id,
                 changed=changed)


def _zone() -> ZoneInfo:
    return ZoneInfo(str(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Europe/London"))


def figures_for(month: str) -> dict[str, Any]:
    """The month's figures, worked out now from history (reads only)."""
    return rules.figures(store.history_until(rules.last_day(month), _zone()), month)


def figures_for_months(months: list[str]) -> dict[str, dict[str, Any]]:
    """Several months' figures from one read of the history (each month counts only what
    happened up to its own end, so the later events read for the newest change nothing)."""
    if not months:
        return {}
    history = store.history_until(rules.last_day(max(months)), _zone())
    return {month: rules.figures(history, month) for month in months}


@operation
def keep_month(month: str, actor: Actor) -> bool:
    """Keep the month's figures as they are now (the daily job, on the 1st, for the month
    just ended). Kept once: False if they were kept already."""
    if actor.kind != "system" and not actor.has_role(Role.MANAGER):
        raise NotAllowed("only the daily job or a register manager keeps a month's figures")
    if store.snapshot_for(month) is not None:
        return False
    found = figures_for(month)
    db.session.add(store.ReturnSnapshot(month=month, figures=rules.canonical(found),
                                        figures_hash=rules.fingerprint(found),
                                        kept_at=utcnow()))
    audit.record(actor, "return.kept", "return", month)
    return True


def keep_last_month(today: date | None = None) -> tuple[str, bool]:
    """The daily job: on the 1st (or any later day the month's figures are still missing,
    so a stopped worker catches up), keep the month just ended."""
    month = rules.previous_month(today or date.today())
    return month, keep_month(month, Actor.system("daily job"))


@operation
def sign_off(month: str, actor: Actor, figures_hash: str) -> store.ReturnSignOff:
    """A register manager signs the month's return off, as the figures they were shown
    (`figures_hash`): refused if the figures changed meanwhile. Audited."""
    require_role(actor, Role.MANAGER)
    found = figures_for(month)
    if rules.fingerprint(found) != figures_hash:
        raise FiguresMoved(month)
    row = store.ReturnSignOff(month=month, signed_by=actor.name,
                              signed_by_id=int(actor.id) if actor.id else None,
                              signed_at=utcnow(), figures=rules.canonical(found),
                              figures_hash=figures_hash)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "return.signed_off", "return", month, figures_hash=figures_hash)
    return row


class FiguresMoved(Exception):
    """The figures changed between showing them and signing them off."""


@operation
def downloaded(month: str, actor: Actor) -> None:
    require_role(actor, Role.MANAGER, Role.TRIAGE)
    audit.record(actor, "return.downloaded", "return", month)


@operation
def fill_for_migration_test(entry: RegisterEntry, manager: Actor) -> None:
    """A row in each of the return's tables (tests/integration/test_migrations.py)."""
    change_return_details(entry, manager, sex="female", ethnicity="Z", local_authority=None)
    entry.keyworker = entry.keyworker or "A keyworker"
    keyworker_changed(entry, manager)
    month = rules.previous_month(date.today())
    keep_month(month, manager)
    sign_off(month, manager, rules.fingerprint(figures_for(month)))
