"""Retention: the privacy notice's schedule, made true.

What the notice and the consent texts promise, and what this does about it:

- While a child is on the register, or a request is still open, nothing is touched.
- When support ends, the record is kept RETENTION_ACTIVE_MONTHS, then archived: out of
  every working list, opened only by register managers. Support ends when the register
  entry closes (turned 18, consent withdrawn, risk reduced, moved area, the child's
  view); for a request that never joined the register, when it was declined, withdrawn
  or closed as the same child as another request (the step on the family's timeline
  that ended it). The request and its entry are one record and are archived together.
- RETENTION_ARCHIVE_YEARS after archiving, the record is deleted for good with every row
  that hangs off it (answers, messages, timeline, consents and withdrawals, findings, the
  register entry with its ratings, actions and notes, family access and updates, evidence
  documents, email links, the emails about it). Audit events stay: the database keeps
  them append-only, and one more, "record.deleted", says which reference went.
- Unfinished requests and links are deleted when they expire (as `flask purge` does).
- A sent email's body, links included, is cleared RETENTION_EMAIL_BODY_DAYS after it was
  sent, and its address kept only as a fingerprint (the same one the audit log uses), so
  "did we email this address, and when" can still be answered. Emails given up on keep
  everything: staff send them again.
- Staff sign-in attempts are deleted after RETENTION_SIGN_IN_DAYS.

The schedule counts whole days in UTC: a record is archived by the first run on or after
the day it has been kept the full time, never before. Every run, dry or real, is an audit
event with its counts. Work is committed in small batches, so a long first run never
holds the database for long, and a run stopped half way is finished by the next one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Table, delete, func, update

from portal.cases import audit
from portal.cases.drafts import purge_expired
from portal.cases.operation import Actor, operation
from portal.data import retention as found
from portal.data.base import utcnow
from portal.data.family import FamilyAccount, email_fingerprint
from portal.data.outbox import OutboxMessage
from portal.data.register import RegisterEntry
from portal.data.requests import SupportRequest
from portal.data.staff import SignInAttempt
from portal.domain.consent import add_months
from portal.extensions import db

Record = found.Record
BATCH = 500  # rows changed per transaction
DELETE_BATCH = 50  # records deleted per transaction

# Each kind of work, in the order it is done and reported.
KINDS = {
    "archived_closed": "Archived: left the register",
    "archived_ended": "Archived: declined, withdrawn or a duplicate, never on the register",
    "deleted": "Deleted for good: archived records",
    "drafts": "Deleted: unfinished requests past their time",
    "links": "Deleted: expired links",
    "email_bodies": "Cleared: bodies of sent emails",
    "sign_in_attempts": "Deleted: staff sign-in attempts",
}


@dataclass(frozen=True)
class Cutoffs:
    """The moments the schedule counts from, for one day."""

    today: date
    moment: datetime  # now, on that day: what expiry is measured against
    archive_before: datetime  # support ended before this: archive
    delete_before: datetime  # archived before this: delete
    bodies_before: datetime  # sent before this: clear the body
    sign_ins_before: datetime  # attempted before this: delete

    @classmethod
    def for_day(cls, today: date | None = None) -> Cutoffs:
        now = utcnow()
        today = today or now.date()
        config = current_app.config
        months = int(config["RETENTION_ACTIVE_MONTHS"])
        years = int(config["RETENTION_ARCHIVE_YEARS"])
        return cls(
            today=today,
            moment=datetime.combine(today, now.time(), tzinfo=UTC),
            archive_before=_start_of(add_months(today, -months)),
            delete_before=_start_of(add_months(today, -12 * years)),
            bodies_before=_start_of(today - timedelta(
                days=int(config["RETENTION_EMAIL_BODY_DAYS"]))),
            sign_ins_before=_start_of(today - timedelta(
                days=int(config["RETENTION_SIGN_IN_DAYS"]))))


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


@dataclass(frozen=True)
class Plan:
    """What the schedule requires on one day: the records by reference, the rest counted."""

    cutoffs: Cutoffs
    archive_closed: list[Record]
    archive_ended: list[Record]
    delete: list[Record]
    drafts: int
    links: int
    email_bodies: int
    sign_in_attempts: int

    @property
    def today(self) -> date:
        return self.cutoffs.today

    def counts(self) -> dict[str, int]:
        return {"archived_closed": len(self.archive_closed),
                "archived_ended": len(self.archive_ended), "deleted": len(self.delete),
                "drafts": self.drafts, "links": self.links,
                "email_bodies": self.email_bodies, "sign_in_attempts": self.sign_in_attempts}

    def references(self) -> dict[str, list[str]]:
        return {"archived_closed": [r.reference for r in self.archive_closed],
                "archived_ended": [r.reference for r in self.archive_ended],
                "deleted": [r.reference for r in self.delete]}

    @property
    def empty(self) -> bool:
        return not any(self.counts().values())


@dataclass
class Outcome:
    """What a run did (or, for a dry run, would do)."""

    plan: Plan
    dry_run: bool
    done: dict[str, int] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        return self.plan.counts() if self.dry_run else self.done

    def summary(self) -> str:
        """One line, for the job log."""
        words = ", ".join(f"{kind.replace('_', ' ')} {count}"
                          for kind, count in self.counts.items())
        return (f"Retention {self.plan.today.isoformat()}"
                f"{' (dry run)' if self.dry_run else ''}: {words}")

    def report(self) -> list[str]:
        """Lines for the operator: each kind, its count, and the references affected."""
        cut = self.plan.cutoffs
        lines = [f"Retention schedule for {cut.today.isoformat()}"
                 + (" (dry run: nothing was changed)" if self.dry_run else ""),
                 f"  Archive records whose support ended before {_day(cut.archive_before)}; "
                 f"delete for good those archived before {_day(cut.delete_before)}.",
                 f"  Clear emails sent before {_day(cut.bodies_before)}; delete sign-in "
                 f"attempts from before {_day(cut.sign_ins_before)}."]
        references = self.plan.references()
        for kind, label in KINDS.items():
            count = self.counts.get(kind, 0)
            lines.append(f"{label}: {count}")
            refs = references.get(kind) or []
            for start in range(0, len(refs), 6):
                lines.append("    " + " ".join(refs[start:start + 6]))
        return lines


# Working it out --------------------------------------------------------------------------

def plan(today: date | None = None) -> Plan:
    """What the schedule requires on this day (default: today). Changes nothing."""
    cut = Cutoffs.for_day(today)
    closed = found.closed_entries_to_archive(cut.archive_before)
    ended = found.ended_requests_to_archive(cut.archive_before)
    drafts, links = found.expired_counts(cut.moment)
    return Plan(cutoffs=cut, archive_closed=closed, archive_ended=ended,
                delete=found.archived_before(cut.delete_before), drafts=drafts, links=links,
                email_bodies=found.sent_bodies_count(cut.bodies_before),
                sign_in_attempts=found.sign_in_attempts_count(cut.sign_ins_before))


# Doing it --------------------------------------------------------------------------------

def dry_run(actor: Actor, today: date | None = None) -> Outcome:
    """Work out what the schedule requires and say so in the audit log. Commits."""
    outcome = Outcome(plan(today), dry_run=True)
    _recorded(actor, outcome)
    db.session.commit()
    return outcome


def run(actor: Actor, today: date | None = None) -> Outcome:
    """Do what the schedule requires on this day (default: today). Commits as it goes."""
    return apply(plan(today), actor)


def run_scheduled(actor: Actor) -> str:
    """The daily job: today's schedule, done. Returns a one-line summary. Commits."""
    return run(actor).summary()


def apply(planned: Plan, actor: Actor) -> Outcome:
    """Do what the plan says. Each step checks again before it changes a row (nothing is
    archived twice, nothing deleted unless still archived long enough), and each batch
    is committed on its own. Ends with an audit event of what was done."""
    cut = planned.cutoffs
    outcome = Outcome(planned, dry_run=False, done=dict.fromkeys(KINDS, 0))
    done = outcome.done
    for kind, records in (("archived_closed", planned.archive_closed),
                          ("archived_ended", planned.archive_ended)):
        for batch in _batches(records, BATCH):
            done[kind] += _archive(batch, actor, cut.moment)
            db.session.commit()
    for batch in _batches(planned.delete, DELETE_BATCH):
        done["deleted"] += _delete(batch, actor, cut.delete_before)
        db.session.commit()
    done["links"] = found.expired_counts(cut.moment)[1]
    done["drafts"] = purge_expired(cut.moment)
    db.session.commit()
    done["email_bodies"] = _until_none_left(lambda: _clear_bodies(cut.bodies_before,
                                                                  cut.moment))
    done["sign_in_attempts"] = _until_none_left(lambda: _forget_sign_ins(cut.sign_ins_before))
    _recorded(actor, outcome)
    db.session.commit()
    return outcome


def _batches(records: list[Record], size: int) -> list[list[Record]]:
    return [records[start:start + size] for start in range(0, len(records), size)]


def _until_none_left(step: Callable[[], int]) -> int:
    total = 0
    while True:
        changed = step()
        db.session.commit()
        total += changed
        if changed < BATCH:
            return total


@operation
def _recorded(actor: Actor, outcome: Outcome) -> None:
    audit.record(actor, "retention.dry_run" if outcome.dry_run else "retention.run",
                 "retention", outcome.plan.today.isoformat(), **outcome.counts)


@operation
def _archive(records: list[Record], actor: Actor, moment: datetime) -> int:
    """Archive these records (request and entry together), unless already archived."""
    ids = [r.request_id for r in records]
    fresh = found.not_archived(ids)
    db.session.execute(update(SupportRequest).where(SupportRequest.id.in_(sorted(fresh)))
                       .values(archived_at=moment).execution_options(synchronize_session=False))
    db.session.execute(update(RegisterEntry).where(
        RegisterEntry.request_id.in_(ids), RegisterEntry.archived_at.is_(None))
        .values(archived_at=moment).execution_options(synchronize_session=False))
    for record in records:
        if record.request_id in fresh:
            audit.record(actor, "record.archived", "request", record.request_id)
    db.session.expire_all()
    return len(fresh)


@operation
def _delete(records: list[Record], actor: Actor, before: datetime) -> int:
    """Delete these archived records for good, with every row that hangs off them."""
    ids = found.still_archived_before([r.request_id for r in records], before)
    if not ids:
        return 0
    going = [r for r in records if r.request_id in ids]
    addresses = found.addresses_of(ids)
    db.session.execute(delete(OutboxMessage).where(found.mentions([r.reference for r in going]))
                       .execution_options(synchronize_session=False))
    # Other requests that pointed at these as the same child, or an NHS number clash.
    for column in (SupportRequest.possible_duplicate_of_id,
                   SupportRequest.nhs_conflict_with_id, SupportRequest.duplicate_of_id):
        db.session.execute(update(SupportRequest).where(
            column.in_(ids), SupportRequest.id.not_in(ids)).values({column: None})
            .execution_options(synchronize_session=False))
    table: Table = SupportRequest.__table__  # type: ignore[assignment]
    _delete_rows(table, table.c.id.in_(ids))
    # An address no other request holds: its remaining emails and its sign-in account go.
    unused = sorted(addresses - found.addresses_in_use(addresses))
    if unused:
        masked = [masked_address(a) for a in unused]
        db.session.execute(delete(OutboxMessage).where(
            func.lower(OutboxMessage.to_address).in_(unused)
            | OutboxMessage.to_address.in_(masked))
            .execution_options(synchronize_session=False))
        db.session.execute(delete(FamilyAccount).where(func.lower(FamilyAccount.email)
                                                       .in_(unused))
                           .execution_options(synchronize_session=False))
    for record in going:
        audit.record(actor, "record.deleted", "request", record.request_id,
                     reference=record.reference)
    db.session.expire_all()
    return len(going)


def _delete_rows(table: Table, where: Any) -> None:
    """Delete the rows of `table` that match, after every row that refers to them."""
    for child, key in found.hanging_off(table):
        _delete_rows(child, found.referring(key, where))
    db.session.execute(delete(table).where(where))


def masked_address(address: str) -> str:
    """What is kept of an email's address once its body is cleared."""
    return found.FINGERPRINT_PREFIX + email_fingerprint(address)


@operation
def _clear_bodies(before: datetime, moment: datetime) -> int:
    rows = found.sent_bodies(before, BATCH)
    if rows:
        db.session.execute(update(OutboxMessage), [
            {"id": row.id, "body": "", "body_removed_at": moment,
             "to_address": (row.to_address
                            if row.to_address.startswith(found.FINGERPRINT_PREFIX)
                            else masked_address(row.to_address))}
            for row in rows])
    return len(rows)


@operation
def _forget_sign_ins(before: datetime) -> int:
    ids = found.sign_in_attempt_ids(before, BATCH)
    if ids:
        db.session.execute(delete(SignInAttempt).where(SignInAttempt.id.in_(ids)))
    return len(ids)
