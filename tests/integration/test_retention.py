"""Retention does what the privacy notice says: kept for RETENTION_ACTIVE_MONTHS after
support ends, then archived (out of every working list, opened only by register managers),
then deleted for good RETENTION_ARCHIVE_YEARS after archiving, audit events kept. Sent
emails lose their bodies (and the links in them) after a grace; old sign-in attempts go.

These tests have a database of their own on each backend: the schedule acts on every
record in a database, so no other test's records may be in it. Each test builds its own
records at known ages and runs the schedule for today, which leaves them settled: the
next test's run finds only its own records (a second run on one day does nothing more).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from portal.cases import consent as consent_cases
from portal.cases import decisions, drafts, register, requests, retention
from portal.cases import family as family_cases
from portal.cases.operation import Actor
from portal.data.audit import AuditEvent
from portal.data.base import Base
from portal.data.consent import Consent, ConsentWithdrawal
from portal.data.family import FamilyAccount, email_fingerprint
from portal.data.outbox import OutboxMessage
from portal.data.register import RegisterEntry
from portal.data.requests import SupportRequest, TimelineStep
from portal.data.staff import SignInAttempt, email_key
from portal.domain.consent import Decision, Signer, add_months
from portal.domain.dates import age_on
from portal.domain.ratings import Rating
from portal.questions.catalogue import QUESTIONS
from tests.conftest import _postgres_database, make_app
from tests.integration.staff_support import (
    make_staff,
    post_form,
    queue_rows,
    sign_in,
    version_on,
)
from tests.support import by_hand, unique_nhs_number, years_ago

MANAGER = Actor("staff", "0", "Rhea Manager", "rhea.manager@example.org", "register_manager")
SYSTEM = Actor.system("retention")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def app(request, tmp_path_factory):
    """The app on a database of its own (this module's `app`, not the shared one)."""
    if request.param == "sqlite":
        yield make_app(f"sqlite:///{tmp_path_factory.mktemp('retention') / 'portal.sqlite3'}")
        return
    databases = _postgres_database()
    made = make_app(next(databases))
    try:
        yield made
    finally:
        with made.app_context():
            made.extensions["sqlalchemy"].engine.dispose()
        databases.close()


def _db(app):
    return app.extensions["sqlalchemy"]


# Building records ---------------------------------------------------------------------------

class Child:
    """One record built for a test: its request, entry (if any) and the family's address."""

    def __init__(self, request_id: int, reference: str, email: str) -> None:
        self.id = request_id
        self.reference = reference
        self.email = email
        self.entry_id: int | None = None


def answers(name: str, born: date, email: str, nhs_number: str) -> dict[str, Any]:
    return {
        "who": "parent", "child_name": name, "child_preferred_name": None,
        "child_dob": {"day": str(born.day), "month": str(born.month), "year": str(born.year)},
        "nhs_number": nhs_number, "postcode": "LS1 4AP", "living_situation": "family_home",
        "education_setting": "Example Academy", "autism": "diagnosed",
        "learning_disability": "suspected", "in_hospital": "no",
        "risks": ["family_strain"], "risks_in_own_words": "", "services": ["school"],
        "tried": "", "would_help": "", "communication_needs": "",
        "preferred_language": "English", "needs_interpreter": False,
        "requester_name": "Alex Example", "contact_email": email, "contact_phone": "",
        "contact_method": "email", "_done": [q.slug for q in QUESTIONS],
    }


def sent(app, *, email: str | None = None, name: str | None = None, born: date | None = None,
         nhs_number: str | None = None, consent: bool = True) -> Child:
    """A request sent by a parent (through the application layer), with their consent."""
    tag = uuid.uuid4().hex[:8]
    email = email or f"family.{tag}@example.com"
    with app.app_context():
        draft = drafts.start("en")
        drafts.save_answers(draft, answers(name or f"Robin {tag} Example",
                                           born or years_ago(12), email,
                                           unique_nhs_number() if nhs_number is None
                                           else nhs_number))
        req, _ = requests.send(draft, f"retention-{tag}")
        if consent:
            consent_cases.sign(req, Actor.parent(email, via="request"), signer=Signer.PARENT,
                               name="Alex Example", relationship="Mother",
                               parental_responsibility=True, decision=Decision.YES,
                               own_words=None)
            if age_on(req.child_date_of_birth, date.today()) >= 16:  # they decide
                consent_cases.sign(req, Actor.young_person(None, via="request"),
                                   signer=Signer.YOUNG_PERSON, name=req.child_name,
                                   relationship="young_person",
                                   parental_responsibility=False, decision=Decision.YES,
                                   own_words=None)
        _db(app).session.commit()
        return Child(req.id, req.reference, email)


def on_register(app, **kwargs: Any) -> Child:
    child = sent(app, **kwargs)
    with app.app_context():
        req = _db(app).session.get(SupportRequest, child.id)
        entry = decisions.accept(req, MANAGER, rating=Rating.AMBER, keyworker="Kim Worker",
                                 first_review=date.today() + timedelta(days=28),
                                 reason="Agreed at triage")
        _db(app).session.commit()
        child.entry_id = entry.id
    return child


def closed(app, reason: str = "risk_reduced", **kwargs: Any) -> Child:
    child = on_register(app, **kwargs)
    with app.app_context():
        register.close(_db(app).session.get(RegisterEntry, child.entry_id), MANAGER, reason)
        _db(app).session.commit()
    return child


def declined(app) -> Child:
    child = sent(app)
    with app.app_context():
        decisions.decline(_db(app).session.get(SupportRequest, child.id), MANAGER,
                          "Not the register's work", "Ask the school nurse")
        _db(app).session.commit()
    return child


def withdrawn(app, child: Child | None = None) -> Child:
    """The parent takes their consent back (before or after the child joined)."""
    child = child or sent(app)
    with app.app_context():
        answer = _db(app).session.scalars(sa.select(Consent).where(
            Consent.request_id == child.id)).first()
        consent_cases.withdraw(answer, Actor.parent(child.email, via="link"),
                               name="Alex Example", reason="We have moved")
        _db(app).session.commit()
    return child


def duplicate(app, of: Child) -> Child:
    child = sent(app)
    with app.app_context():
        session = _db(app).session
        decisions.close_as_duplicate(session.get(SupportRequest, child.id), MANAGER,
                                     session.get(SupportRequest, of.id), join=False,
                                     note="Sent twice")
        session.commit()
    return child


def aged(app, child: Child, *, ended: datetime | None = None,
         archived: datetime | None = None) -> None:
    """Set a record's dates back, by hand: support ended (its timeline, decision and entry
    closing) at `ended`; archived at `archived`."""
    session = _db(app).session
    with app.app_context(), by_hand():
        if ended is not None:
            session.execute(sa.update(TimelineStep).where(TimelineStep.request_id == child.id)
                            .values(occurred_at=ended))
            session.execute(sa.update(SupportRequest).where(
                SupportRequest.id == child.id, SupportRequest.decided_at.is_not(None))
                .values(decided_at=ended))
            session.execute(sa.update(RegisterEntry).where(
                RegisterEntry.request_id == child.id, RegisterEntry.closed_at.is_not(None))
                .values(closed_at=ended))
        if archived is not None:
            for model in (SupportRequest, RegisterEntry):
                key = model.id if model is SupportRequest else model.request_id
                session.execute(sa.update(model).where(key == child.id)
                                .values(archived_at=archived))
        session.commit()


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def ages(app) -> dict[str, datetime]:
    """Just past, and just short of, each of the schedule's times, from the settings."""
    today = date.today()
    months = app.config["RETENTION_ACTIVE_MONTHS"]
    years = app.config["RETENTION_ARCHIVE_YEARS"]
    return {
        "kept_long_enough": noon(add_months(today, -months) - timedelta(days=1)),
        "not_kept_long_enough": noon(add_months(today, -months) + timedelta(days=1)),
        "archived_long_enough": noon(add_months(today, -12 * years) - timedelta(days=1)),
        "not_archived_long_enough": noon(add_months(today, -12 * years) + timedelta(days=1)),
    }


# Looking at the database --------------------------------------------------------------------

def snapshot(app) -> dict[str, Any]:
    """Every table's rows (but the audit log's), as plain values: any change shows."""
    with app.app_context():
        session = _db(app).session
        found = {}
        for table in Base.metadata.sorted_tables:
            if table.name == "audit_events":
                continue
            key = list(table.primary_key.columns)
            found[table.name] = [tuple(row) for row in session.execute(
                sa.select(table).order_by(*key))]
        return found


def archived_at(app, child: Child) -> tuple[datetime | None, datetime | None]:
    with app.app_context():
        session = _db(app).session
        req = session.get(SupportRequest, child.id)
        entry = session.scalars(sa.select(RegisterEntry).where(
            RegisterEntry.request_id == child.id)).first()
        return (req.archived_at if req else None, entry.archived_at if entry else None)


def events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        found = list(_db(app).session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == action, AuditEvent.subject_type == "retention",
            AuditEvent.subject_id == date.today().isoformat()).order_by(AuditEvent.id)))
        _db(app).session.expunge_all()
        return found


def dry_run(app) -> retention.Outcome:
    with app.app_context():
        return retention.dry_run(SYSTEM)


def run(app) -> retention.Outcome:
    with app.app_context():
        return retention.run(SYSTEM)


# The schedule -------------------------------------------------------------------------------

def test_a_dry_run_reports_the_schedule_changing_nothing_then_a_run_does_exactly_that(app):
    at = ages(app)
    left = closed(app)  # left the register (risk reduced) long enough ago
    left_recently = closed(app)
    consent_ended = withdrawn(app, on_register(app))  # consent withdrawn on the register
    live = on_register(app)  # on the register for years: never touched
    not_added = declined(app)
    not_added_recently = declined(app)
    took_back = withdrawn(app)  # withdrawn before a decision
    twice = duplicate(app, of=live)
    still_open = sent(app)  # waiting for triage for years: support has not ended
    old_archive = declined(app)
    recent_archive = declined(app)
    for child in (left, consent_ended, not_added, took_back, twice):
        aged(app, child, ended=at["kept_long_enough"])
    for child in (left_recently, not_added_recently):
        aged(app, child, ended=at["not_kept_long_enough"])
    aged(app, live, ended=noon(date.today() - timedelta(days=3 * 365)))
    aged(app, still_open, ended=noon(date.today() - timedelta(days=3 * 365)))
    aged(app, old_archive, ended=noon(date(2015, 1, 1)), archived=at["archived_long_enough"])
    aged(app, recent_archive, ended=noon(date(2015, 1, 1)),
         archived=at["not_archived_long_enough"])
    expected = {"archived_closed": {left.reference, consent_ended.reference},
                "archived_ended": {not_added.reference, took_back.reference,
                                   twice.reference},
                "deleted": {old_archive.reference}}
    before = snapshot(app)

    looked = dry_run(app)
    assert {k: set(v) for k, v in looked.plan.references().items()} == expected
    assert snapshot(app) == before, "a dry run changed the database"
    [event] = events(app, "retention.dry_run")
    assert event.actor_type == "system" and event.actor_id == "retention"
    assert event.detail == looked.plan.counts()
    assert event.detail["archived_closed"] == 2 and event.detail["deleted"] == 1
    report = "\n".join(looked.report())
    assert "dry run" in report and all(ref in report for refs in expected.values()
                                       for ref in refs)

    done = run(app)
    assert {k: set(v) for k, v in done.plan.references().items()} == expected
    assert {k: v for k, v in done.done.items() if k in expected} == {
        "archived_closed": 2, "archived_ended": 3, "deleted": 1}
    for child in (left, consent_ended):
        request_archived, entry_archived = archived_at(app, child)
        assert request_archived is not None and entry_archived == request_archived
    for child in (not_added, took_back, twice):
        assert archived_at(app, child) == (archived_at(app, child)[0], None)
        assert archived_at(app, child)[0] is not None
    for child in (left_recently, live, not_added_recently, still_open):
        assert archived_at(app, child) in {(None, None)}, child.reference
    assert archived_at(app, old_archive) == (None, None)  # gone
    assert archived_at(app, recent_archive)[0] == at["not_archived_long_enough"]
    [event] = events(app, "retention.run")
    assert event.detail == done.done

    settled = snapshot(app)
    with app.app_context():
        summary = retention.run_scheduled(SYSTEM)
    assert summary.startswith(f"Retention {date.today().isoformat()}: ")
    assert "archived closed 0" in summary and "deleted 0" in summary
    assert snapshot(app) == settled, "a second run on the same day changed something"
    assert [e.detail["archived_ended"] for e in events(app, "retention.run")] == [3, 0]


def test_archived_records_leave_every_working_list_and_only_register_managers_open_them(
        app, client):
    at = ages(app)
    # On the register, a message from the family nobody has read, then consent withdrawn:
    # a notice for staff that nobody has handled either.
    child = on_register(app)
    with app.app_context():
        req = _db(app).session.get(SupportRequest, child.id)
        requests.message_from_family(req, Actor.family(child.email), "We are moving away.")
        evidence = family_cases.evidence_issued(req, Actor.family(child.email), "amber").code
        _db(app).session.commit()
    withdrawn(app, child)
    # Left the register, 17 and a half: a reminder about the adult register is due.
    nearly_adult = years_ago(17, days=200)
    leaver = closed(app, born=nearly_adult)
    for record in (child, leaver):
        aged(app, record, ended=at["kept_long_enough"])
    triage = make_staff(app, "triage_officer")
    sign_in(client, triage)
    assert _on_queue_page(client, child), (
        "the unread message and the notice should be on the queue before archiving")

    run(app)

    assert not _on_queue_page(client, child)
    assert client.get(f"/staff/requests/{child.id}").status_code == 403
    assert client.get(f"/staff/register/{child.entry_id}").status_code == 403
    name = _child_name(app, child)
    checked = client.get(f"/staff/verify?code={evidence}").get_data(as_text=True)
    assert "now archived" in checked and name not in checked
    # A new request for the same child is not pointed at the archived record.
    again = sent(app, name=_child_name(app, leaver), born=nearly_adult,
                 nhs_number=_nhs_number(app, leaver), consent=False)
    with app.app_context():
        assert _db(app).session.get(SupportRequest, again.id).possible_duplicate_of_id is None
    # Nor can it be joined to it by its reference.
    page = f"/staff/requests/{again.id}/same-child"
    joined = post_form(client, page, page, {
        "other": leaver.reference, "how": "join", "note": "",
        "version": version_on(client.get(page).get_data(as_text=True))})
    assert joined.status_code == 200
    assert "There is no open request or register entry with this reference" in (
        joined.get_data(as_text=True))
    with app.app_context():
        # Nobody is reminded about an archived record.
        consent_cases.send_reminders()
        _db(app).session.commit()
        reminded = _db(app).session.scalars(sa.select(OutboxMessage.kind).where(
            OutboxMessage.dedupe_key.contains(leaver.reference),
            OutboxMessage.kind.like("reminder_%"))).all()
    assert reminded == []

    manager_client = app.test_client()
    sign_in(manager_client, make_staff(app, "register_manager"))
    page = manager_client.get(f"/staff/requests/{child.id}")
    assert page.status_code == 200
    assert 'id="archived"' in page.get_data(as_text=True)
    entry_page = manager_client.get(f"/staff/register/{child.entry_id}")
    assert name in manager_client.get(f"/staff/verify?code={evidence}").get_data(as_text=True)
    assert "Archived on" in entry_page.get_data(as_text=True)
    refused = post_form(manager_client, f"/staff/requests/{child.id}/message",
                        f"/staff/requests/{child.id}/message", {"body": "Hello again"})
    assert refused.status_code == 409
    export = manager_client.get("/staff/register/export.csv").get_data(as_text=True)
    assert name not in export
    partner_client = app.test_client()
    sign_in(partner_client, make_staff(app, "partner_viewer"))
    assert partner_client.get(f"/staff/register/{leaver.entry_id}").status_code == 403


def _on_queue_page(client, child: Child) -> bool:
    """A link to the request anywhere on the queue's first page (the notices and messages
    at the top), or a row for it on any page of the open requests."""
    html = client.get("/staff/queue").get_data(as_text=True)
    return (re.search(rf'/staff/requests/{child.id}\b', html) is not None
            or any(child.reference in row for row in queue_rows(client, "/staff/queue?show=all")))


def _child_name(app, child: Child) -> str:
    with app.app_context():
        return _db(app).session.get(SupportRequest, child.id).child_name


def _nhs_number(app, child: Child) -> str:
    with app.app_context():
        return _db(app).session.get(SupportRequest, child.id).nhs_number


def test_a_deleted_record_leaves_no_rows_but_its_audit_events(app):
    at = ages(app)
    shared = f"shared.{uuid.uuid4().hex[:8]}@example.com"
    child = on_register(app, email=shared)
    sibling = on_register(app, email=shared)  # the same family, another child: kept
    alone = declined(app)  # an address nobody else uses: everything about it goes
    with app.app_context():
        session = _db(app).session
        req = session.get(SupportRequest, child.id)
        entry = session.get(RegisterEntry, child.entry_id)
        family = Actor.family(shared)
        register.change_rating(entry, MANAGER, Rating.RED, "School placement broke down")
        register.add_action(entry, MANAGER, "Book a C(E)TR", "Kim Worker",
                            date.today() + timedelta(days=14))
        register.add_note(entry, MANAGER, "Spoke to the family")
        requests.message_from_staff(req, MANAGER, "How are things?")
        requests.message_from_family(req, family, "Better, thank you.")
        family_cases.report_change(req, family, ["school"], "New school")
        family_cases.evidence_issued(req, family, "red")
        family_cases.signed_in(shared)
        family_cases.signed_in(alone.email)
        family_cases.send_sign_in_link(alone.email, "en")
        session.commit()
    withdrawn(app, child)  # consent withdrawn: the entry closes
    aged(app, child, ended=at["kept_long_enough"])
    aged(app, alone, ended=at["kept_long_enough"])
    run(app)
    aged(app, child, archived=at["archived_long_enough"])
    aged(app, alone, archived=at["archived_long_enough"])
    with app.app_context():
        session = _db(app).session
        consent_ids = list(session.scalars(sa.select(Consent.id).where(
            Consent.request_id == child.id)))
        trail = _trail(session, child)
        sibling_mail = _mail_about(session, sibling.reference)
        assert _mail_about(session, child.reference) and sibling_mail
        assert session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.to_address == alone.email)).all()

    done = run(app)

    assert set(done.plan.references()["deleted"]) == {child.reference, alone.reference}
    with app.app_context():
        session = _db(app).session
        left = {table.name: session.scalar(sa.select(sa.func.count()).select_from(table)
                                           .where(condition))
                for table, condition in _rows_of(child, consent_ids)}
        assert left == dict.fromkeys(left, 0), left
        assert len(left) >= 11  # every table that hangs off a request or an entry
        assert _mail_about(session, child.reference) == []
        assert _mail_about(session, sibling.reference) == sibling_mail
        assert session.get(SupportRequest, sibling.id) is not None
        # The address the sibling still uses keeps its account; the other one goes,
        # with every email sent to it.
        accounts = set(session.scalars(sa.select(FamilyAccount.email).where(
            FamilyAccount.email.in_([shared, alone.email]))))
        assert accounts == {shared}
        assert session.scalars(sa.select(OutboxMessage.id).where(sa.or_(
            OutboxMessage.to_address == alone.email,
            OutboxMessage.to_address == retention.masked_address(alone.email)))).all() == []
        # The audit trail stays, one event more, which names the reference only.
        after = _trail(session, child)
        assert after[:-1] == trail
        assert after[-1][1:] == ("record.deleted", {"reference": child.reference})
        # And what stays holds none of the child's or family's details.
        name, email = "Robin", shared
        for _, _, detail in after:
            assert name not in str(detail) and email not in str(detail)


def _trail(session, child: Child) -> list[tuple[int, str, dict]]:
    return [(e.id, e.action, e.detail) for e in session.scalars(
        sa.select(AuditEvent).where(sa.or_(
            sa.and_(AuditEvent.subject_type == "request",
                    AuditEvent.subject_id == str(child.id)),
            sa.and_(AuditEvent.subject_type == "register_entry",
                    AuditEvent.subject_id == str(child.entry_id))))
        .order_by(AuditEvent.id))]


def _mail_about(session, reference: str) -> list[int]:
    return list(session.scalars(sa.select(OutboxMessage.id).where(sa.or_(
        OutboxMessage.subject.contains(reference),
        OutboxMessage.dedupe_key.contains(reference))).order_by(OutboxMessage.id)))


def _rows_of(child: Child, consent_ids: list[str]) -> list[tuple[sa.Table, Any]]:
    """(table, condition) for every row that belonged to the record: each table with a
    request_id or an entry_id column, withdrawals by their consent, the request itself."""
    found = []
    for table in Base.metadata.sorted_tables:
        if "request_id" in table.c:
            found.append((table, table.c.request_id == child.id))
        if "entry_id" in table.c:
            found.append((table, table.c.entry_id == child.entry_id))
    found.append((ConsentWithdrawal.__table__, ConsentWithdrawal.consent_id.in_(consent_ids)))
    found.append((SupportRequest.__table__, SupportRequest.id == child.id))
    return found


def test_the_database_refuses_to_delete_consent_records_until_they_are_archived(app):
    child = withdrawn(app, sent(app))
    session = _db(app).session
    with app.app_context(), by_hand():
        for model, key in ((ConsentWithdrawal, ConsentWithdrawal.consent_id.in_(
                sa.select(Consent.id).where(Consent.request_id == child.id))),
                (Consent, Consent.request_id == child.id)):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                with session.begin_nested():
                    session.execute(sa.delete(model).where(key))
        session.rollback()
        session.execute(sa.update(SupportRequest).where(SupportRequest.id == child.id)
                        .values(archived_at=datetime.now(UTC)))
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with session.begin_nested():
                session.execute(sa.update(Consent).where(Consent.request_id == child.id)
                                .values(own_words="changed"))
        session.rollback()


def test_sent_email_bodies_are_cleared_after_the_grace_and_given_up_ones_are_kept(app):
    days = app.config["RETENTION_EMAIL_BODY_DAYS"]
    child = sent(app)
    other = sent(app)
    with app.app_context():
        session = _db(app).session
        mail = {m.kind: m for m in session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.to_address == child.email))}
        receipt, received = mail["consent_receipt"], mail["request_received"]
        assert "/withdraw/" in receipt.body  # a live link to withdraw consent
        given_up = session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.to_address == other.email,
            OutboxMessage.kind == "request_received")).one()
        ids = {"receipt": receipt.id, "received": received.id, "given_up": given_up.id}
        kept = {"received": (received.to_address, received.body),
                "given_up": (given_up.to_address, given_up.body)}
        subject = receipt.subject
    now = datetime.now(UTC)
    with app.app_context(), by_hand():
        session = _db(app).session
        for key, values in (
                ("receipt", {"sent_at": now - timedelta(days=days + 1)}),
                ("received", {"sent_at": now - timedelta(days=days - 1)}),
                ("given_up", {"given_up_at": now - timedelta(days=60), "attempts": 5})):
            session.execute(sa.update(OutboxMessage).where(OutboxMessage.id == ids[key])
                            .values(**values))
        session.commit()

    done = run(app)

    assert done.done["email_bodies"] == 1
    with app.app_context():
        session = _db(app).session
        cleared = session.get(OutboxMessage, ids["receipt"])
        assert cleared.body == "" and cleared.body_removed_at is not None
        assert cleared.to_address == "fingerprint:" + email_fingerprint(child.email)
        assert cleared.subject == subject and cleared.sent_at is not None
        for key in ("received", "given_up"):
            message = session.get(OutboxMessage, ids[key])
            assert (message.to_address, message.body) == kept[key]
            assert message.body_removed_at is None


def test_staff_sign_in_attempts_are_deleted_after_their_time(app):
    days = app.config["RETENTION_SIGN_IN_DAYS"]
    key = email_key(f"someone.{uuid.uuid4().hex[:8]}@example.org")
    now = datetime.now(UTC)
    with app.app_context(), by_hand():
        session = _db(app).session
        for age in (days + 30, days + 1, days - 1, 0):
            session.add(SignInAttempt(key=key, succeeded=False, at=now - timedelta(days=age)))
        session.commit()

    done = run(app)

    assert done.done["sign_in_attempts"] == 2
    with app.app_context():
        left = _db(app).session.scalars(sa.select(SignInAttempt.at).where(
            SignInAttempt.key == key)).all()
    assert sorted(now - at < timedelta(days=days) for at in left) == [True, True]


def test_the_retention_command_reports_then_runs(app):
    child = declined(app)
    aged(app, child, ended=ages(app)["kept_long_enough"] - timedelta(days=7))
    runner = app.test_cli_runner()

    looked = runner.invoke(args=["retention", "--dry-run"])
    assert looked.exit_code == 0, looked.output
    assert "dry run: nothing was changed" in looked.output
    assert child.reference in looked.output
    assert archived_at(app, child) == (None, None)

    ahead = (date.today() + timedelta(days=400)).isoformat()
    refused = runner.invoke(args=["retention", "--today", ahead])
    assert refused.exit_code != 0 and "--dry-run" in refused.output
    assert archived_at(app, child) == (None, None)
    assert runner.invoke(args=["retention", "--dry-run", "--today", ahead]).exit_code == 0

    yesterday = (date.today() - timedelta(days=1)).isoformat()
    done = runner.invoke(args=["retention", "--today", yesterday])
    assert done.exit_code == 0, done.output
    assert "Archived: declined, withdrawn or a duplicate, never on the register: 1" in (
        done.output)
    assert child.reference in done.output
    assert archived_at(app, child)[0] is not None
    again = runner.invoke(args=["retention"])
    assert "never on the register: 0" in again.output
