"""Schema migrations go down as well as up, on SQLite and PostgreSQL, with rows in every
table; the commands an operator runs for it say where the database is and ask first.

Each test has a database of its own (not the shared one the `app` fixture migrates)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from portal import create_app
from portal.data.base import utcnow
from portal.data.health import current_revision, head_revision, scripts
from portal.data.migrate import downgrade, upgrade
from portal.extensions import db
from tests.conftest import _postgres_database
from tests.support import by_hand


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """A new, empty database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    else:
        yield from _postgres_database()


def new_app(url: str) -> Flask:
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "t" * 40,
                       "MAIL_BACKEND": "smtp", "MAIL_PORT": 1, "SERVER_NAME": None})


@pytest.fixture
def fresh(database_url: str) -> Iterator[Flask]:
    app = new_app(database_url)
    with app.app_context():
        yield app
        db.session.rollback()
        db.engine.dispose()


def revisions_newest_first() -> list[tuple[str, str | None]]:
    """(revision, the one before it) from the newest to the first."""
    found, revision = [], head_revision()
    while revision is not None:
        down = scripts().get_revision(revision).down_revision
        assert down is None or isinstance(down, str), "one line of revisions expected"
        found.append((revision, down))
        revision = down
    return found


def tables() -> list[str]:
    db.session.rollback()
    return sorted(set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"})


def row_counts() -> dict[str, int]:
    names = tables()
    with db.engine.connect() as connection:
        return {name: connection.execute(
            sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()
            for name in names}


def revision_now() -> str | None:
    db.session.rollback()
    found = current_revision()
    db.session.rollback()
    return found


# Rows in every table, put there by the application ---------------------------------------

def fill_every_table() -> None:
    """The demo requests and staff, a register at small scale, and what families and
    staff add; by hand only where the service's rules need a long story first."""
    from portal.cases import drafts, register, volume
    from portal.cases import family as family_cases
    from portal.cases import requests as request_cases
    from portal.cases import staff as staff_cases
    from portal.cases.consent import publish_bundled_texts
    from portal.cases.operation import Actor
    from portal.data.consent import Consent, ConsentWithdrawal, StaffFindingRecord
    from portal.data.jobs import JobRun
    from portal.data.register import RegisterEntry
    from portal.data.requests import SupportRequest
    from portal.data.staff import Role, find_staff_by_email
    from portal.demo import seed, seed_staff

    publish_bundled_texts()
    seed()
    seed_staff()
    volume.seed(12, 6)
    db.session.commit()

    triage_user = find_staff_by_email("triage@demo.example")
    triage = Actor.for_staff(triage_user)
    assert triage.has_role(Role.TRIAGE)
    entry = db.session.scalars(sa.select(RegisterEntry).order_by(RegisterEntry.id)).first()
    req = db.session.get(SupportRequest, entry.request_id)
    demo = db.session.scalars(sa.select(SupportRequest).where(
        SupportRequest.contact_email.is_not(None)).order_by(SupportRequest.id)).first()
    family = Actor.family(demo.contact_email)
    register.add_action(entry, triage, "Book a meeting", "Keyworker", date.today())
    register.add_action(entry, triage, "Visit at home", "Social worker", date.today(),
                        agency_id=find_staff_by_email("partner@demo.example").agency_id)
    register.add_note(entry, triage, "Spoke to the school.")
    from portal.cases import cetr
    live = db.session.scalars(sa.select(RegisterEntry).where(
        RegisterEntry.closed_at.is_(None)).order_by(RegisterEntry.id)).first()
    review = cetr.request_review(live, triage, kind="community", reason="At risk",
                                 due_by=date.today())
    cetr.record_outcome(review, live, triage, held_on=date.today(), outcome="A plan.",
                        panel_notes=None, recommendations=[("Assess", "CAMHS", date.today())])
    from portal.cases import partners
    partner = Actor.for_staff(find_staff_by_email("partner@demo.example"))
    partners.add_update(live, partner, "We visited at home.")
    partners.add_contribution(live, partner, "School has a plan ready.")
    from portal.cases import handover
    handover.fill_for_migration_test(live, triage)
    from portal.cases import returns
    returns.fill_for_migration_test(live, Actor.for_staff(
        find_staff_by_email("manager@demo.example")))
    request_cases.message_from_staff(demo, triage, "Can we call you on Tuesday?")
    family_cases.ask(demo, family, "cetr", None)
    family_cases.evidence_issued(req, triage, entry.rating)
    family_cases.signed_in(demo.contact_email)
    staff_cases.sign_in_failed("someone@example.org")
    drafts.start("en")
    db.session.commit()

    consent = db.session.scalars(sa.select(Consent).order_by(Consent.signed_at)).first()
    with by_hand():
        db.session.add(ConsentWithdrawal(consent_id=consent.id, withdrawn_by_name="Parent",
                                         reason=None))
        db.session.add(StaffFindingRecord(request_id=req.id, finding="gillick_competent",
                                          recorded_by="Manager", note="Seen at school."))
        from portal.data.referrals import CouncilConsent, EntryContact
        db.session.add(CouncilConsent(consent_id=consent.id, council="Northshire Council",
                                      job_title="Social worker",
                                      legal_basis="care order (Children Act 1989 s.31)"))
        db.session.add(EntryContact(entry_id=entry.id, name="Jo Carter", kind="referrer",
                                    job="Social worker", organisation="Northshire Council"))
        from portal.data.keyworkers import KeyworkerRead
        db.session.add(KeyworkerRead(entry_id=entry.id, staff_id=triage_user.id,
                                     seen_at=utcnow()))
        db.session.add(JobRun(job="purge", period="2026-11-23", started_at=utcnow(),
                              finished_at=utcnow(), worker="test", outcome="done"))
        db.session.commit()


# The schema, as the database describes it ------------------------------------------------

def schema() -> dict[str, Any]:
    """Tables, columns, keys, indexes (with their WHERE) and triggers, comparable between
    two databases of the same kind."""
    db.session.rollback()
    inspector = sa.inspect(db.engine)
    sqlite = db.engine.dialect.name == "sqlite"
    found: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        found[table] = {
            "columns": sorted((c["name"], str(c["type"]), c["nullable"],
                               str(c.get("default")).strip("'\""))
                              for c in inspector.get_columns(table)),
            "primary key": sorted(inspector.get_pk_constraint(table)["constrained_columns"]),
            "foreign keys": sorted(
                (tuple(fk["constrained_columns"]), fk["referred_table"],
                 tuple(fk["referred_columns"]), str(fk.get("options", {}).get("ondelete")))
                for fk in inspector.get_foreign_keys(table)),
            "unique": sorted(tuple(u["column_names"])
                             for u in inspector.get_unique_constraints(table)),
            "indexes": sorted(
                (ix["name"], tuple(ix["column_names"]), bool(ix["unique"]),
                 " ".join(str(ix.get("dialect_options", {}).get(
                     "sqlite_where" if sqlite else "postgresql_where", "")).split()))
                for ix in inspector.get_indexes(table)),
        }
    with db.engine.connect() as connection:
        if sqlite:
            triggers = connection.exec_driver_sql(
                "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'").all()
        else:
            triggers = connection.exec_driver_sql(
                "SELECT t.tgname, c.relname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal").all()
    found["(triggers)"] = sorted((name, table, " ".join(sql.split()))
                                 for name, table, sql in triggers)
    return found


# Tests -------------------------------------------------------------------------------------

def test_every_migration_goes_down_and_up_again_with_rows_in_every_table(fresh):
    upgrade()
    fill_every_table()
    empty = [name for name, count in row_counts().items() if count == 0]
    assert empty == [], f"give these tables rows in fill_every_table(): {empty}"
    at_head = schema()

    for revision, before in revisions_newest_first():
        kept = row_counts()
        downgrade(before or "base")
        assert revision_now() == before, f"{revision} did not go down to {before}"
        after = row_counts()
        assert {name: kept[name] for name in after} == after, (
            f"going down from {revision} lost rows in tables it keeps")
        # ...and up again over the rows that are left, then down once more.
        upgrade(revision)
        assert revision_now() == revision, f"{before} did not come back up to {revision}"
        downgrade(before or "base")
        assert revision_now() == before

    assert tables() == [], "base still has tables"
    upgrade()
    assert revision_now() == head_revision()
    assert schema() == at_head


def test_a_database_taken_down_part_way_comes_back_to_exactly_the_same_schema(
        fresh, database_url):
    """Down to the first revision and up again, with the data kept at each step: the
    same tables, columns, keys, partial indexes and append-only triggers as a database
    that was only ever upgraded."""
    upgrade()
    fill_every_table()
    at_head = schema()
    requests_before = row_counts()["support_requests"]
    downgrade("0001")
    assert revision_now() == "0001"
    assert row_counts()["support_requests"] == requests_before
    upgrade()
    assert schema() == at_head
    assert row_counts()["support_requests"] == requests_before


def test_a_migration_that_would_leave_rows_pointing_at_nothing_is_undone(tmp_path):
    """SQLite: foreign keys are off while batch mode rebuilds tables, so every reference
    is checked before the migration commits; a broken one stops it."""
    url = f"sqlite:///{tmp_path / 'broken.sqlite3'}"
    app = new_app(url)
    with app.app_context():
        upgrade("0006")
        db.engine.dispose()
    # A message for a request that is not there (foreign keys off: only the check sees it).
    with sqlite3.connect(tmp_path / "broken.sqlite3") as raw:
        raw.execute("PRAGMA foreign_keys = OFF")
        raw.execute("INSERT INTO request_messages (request_id, from_staff, author, body, "
                    "sent_at) VALUES (4242, 1, 'Staff', 'Hello', '2026-11-23 10:00:00')")
    raw.close()
    with app.app_context():
        with pytest.raises(Exception, match="point at nothing: request_messages"):
            upgrade()
        assert revision_now() == "0006"
        assert "job_runs" not in tables()  # 0007 was rolled back with it
        db.engine.dispose()


def test_foreign_keys_are_on_again_after_a_migration(fresh):
    upgrade("0006")
    upgrade()
    from portal.data.requests import RequestMessage

    with pytest.raises(sa.exc.IntegrityError), by_hand():
        db.session.add(RequestMessage(request_id=4242, from_staff=True, author="Staff",
                                      body="Hello"))
        db.session.flush()
    db.session.rollback()


# The commands ------------------------------------------------------------------------------

def run(app: Flask, *args: str, answer: str | None = None) -> Any:
    return app.test_cli_runner().invoke(args=list(args), input=answer)


def test_db_revision_says_where_the_database_is_and_what_is_left(fresh):
    head = head_revision()
    first_missing = revisions_newest_first()[0]
    upgrade(first_missing[1])
    db.session.rollback()
    shown = run(fresh, "db-revision")
    assert shown.exit_code == 0, shown.output
    assert f"Database: {first_missing[1]}:" in shown.output
    assert f"Code:     {head}:" in shown.output
    assert "1 migration(s) to run with flask upgrade-db" in shown.output
    assert run(fresh, "db-revision", "--check").exit_code == 1

    upgrade()
    shown = run(fresh, "db-revision", "--check")
    assert shown.exit_code == 0 and "Up to date." in shown.output


def test_downgrade_db_asks_first_and_says_from_where_to_where(fresh):
    upgrade()
    fill_every_table()
    head, (_, before) = head_revision(), revisions_newest_first()[0]

    refused = run(fresh, "downgrade-db", before, answer="n\n")
    assert refused.exit_code != 0
    assert f"From: {head}:" in refused.output and f"To:   {before}:" in refused.output
    assert "Have you backed up the database" in refused.output
    assert revision_now() == head  # nothing changed

    done = run(fresh, "downgrade-db", "-1", answer="y\n")
    assert done.exit_code == 0, done.output
    assert f"The database is now at {before}:" in done.output
    assert revision_now() == before

    upgrade()
    requests_before = row_counts()["support_requests"]
    done = run(fresh, "downgrade-db", "0005", "--yes")
    assert done.exit_code == 0, done.output
    assert "Have you backed up" not in done.output
    assert revision_now() == "0005"
    assert row_counts()["support_requests"] == requests_before


def test_downgrade_db_refuses_what_it_cannot_do(fresh):
    upgrade("0004")
    db.session.rollback()
    for args, says in [(("nonsense",), "No revision 'nonsense'"),
                       ((head_revision(),), "only goes back"),
                       (("-5",), "only 4 revision(s) above the base")]:
        result = run(fresh, "downgrade-db", *args, "--yes")
        assert result.exit_code != 0 and says in result.output, (args, result.output)
    assert revision_now() == "0004"
    result = run(fresh, "downgrade-db", "0004", "--yes")
    assert result.exit_code == 0 and "nothing to do" in result.output
