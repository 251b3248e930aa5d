"""Staff at work when the database is busy, and two people saving one entry at once.

A look at a record never fails the page and is never lost (SQLite locked past the app's
busy timeout by another connection, or kept busy by short writes); two saves of one
register entry at the same moment leave one standing and tell the other, on SQLite and
on PostgreSQL (where both saves are made to queue on the entry's row, held by the test).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from portal.data.audit import AuditEvent
from portal.data.register import RatingChange, RegisterEntry
from tests.conftest import make_app
from tests.integration.staff_support import make_staff, sign_in, version_on
from tests.integration.test_resilience import Faulty, _settings, sqlite_locked
from tests.integration.test_staff_casework import _accept, ready_request
from tests.support import csrf_token


def _db(app: Flask) -> Any:
    return app.extensions["sqlalchemy"]


@pytest.fixture(scope="module")
def busy_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Faulty:
    folder = tmp_path_factory.mktemp("busy-sqlite-staff")
    path = folder / "portal.sqlite3"
    return Faulty("sqlite_locked", make_app(f"sqlite:///{path}", **_settings(folder)),
                  lambda: sqlite_locked(path))


# Staff looking at records -------------------------------------------------------------

def _looks(app: Flask, subject_type: str, subject_id: int) -> list[AuditEvent]:
    with app.app_context():
        return list(_db(app).session.scalars(sa.select(AuditEvent).where(
            AuditEvent.subject_type == subject_type,
            AuditEvent.subject_id == str(subject_id),
            AuditEvent.action.like("%.viewed")).order_by(AuditEvent.occurred_at)))


def test_opening_records_while_sqlite_is_locked_works_and_every_look_is_kept(busy_sqlite):
    from portal.cases.looks import kept_files

    app = busy_sqlite.app
    client = app.test_client()
    user = make_staff(app, "triage_officer")
    sign_in(client, user)
    req = ready_request(app)
    entry_url = _accept(client, req)
    entry_id = int(entry_url.rsplit("/", 1)[1])
    before = len(_looks(app, "register_entry", entry_id))
    with app.app_context():
        kept_before = len(kept_files())
    with busy_sqlite.fault():
        entry_page = client.get(entry_url)
        request_page = client.get(f"/staff/requests/{req.id}")
    assert entry_page.status_code == 200 and request_page.status_code == 200
    assert "Robin" in entry_page.get_data(as_text=True)
    with app.app_context():
        assert len(kept_files()) == kept_before + 2  # kept on this server, for later
    assert len(_looks(app, "register_entry", entry_id)) == before
    # The next look, once the lock is gone, writes the kept ones too.
    assert client.get(entry_url).status_code == 200
    entry_looks = _looks(app, "register_entry", entry_id)
    assert len(entry_looks) == before + 2
    assert {e.actor_id for e in entry_looks[before:]} == {str(user.id)}
    assert entry_looks[-2].occurred_at < entry_looks[-1].occurred_at  # when it happened
    assert len([e for e in _looks(app, "request", req.id)
                if e.occurred_at >= entry_looks[-2].occurred_at]) == 1
    with app.app_context():
        assert kept_files() == []


def test_a_look_is_written_after_the_page_and_not_lost_on_a_busy_server(busy_sqlite):
    """Short writes by others (shorter than the wait) do not stop a look being written."""
    app = busy_sqlite.app
    client = app.test_client()
    sign_in(client, make_staff(app, "register_manager"))
    entry_url = _accept(client, ready_request(app))
    entry_id = int(entry_url.rsplit("/", 1)[1])
    before = len(_looks(app, "register_entry", entry_id))
    path = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    stop = threading.Event()

    def writer() -> None:
        other = sqlite3.connect(path, isolation_level=None, timeout=30)
        try:
            while not stop.is_set():
                other.execute("BEGIN IMMEDIATE")
                time.sleep(0.02)
                other.execute("ROLLBACK")
        finally:
            other.close()

    busy = threading.Thread(target=writer)
    busy.start()
    try:
        statuses = [client.get(entry_url).status_code for _ in range(10)]
    finally:
        stop.set()
        busy.join()
    assert statuses == [200] * 10
    client.get(entry_url)  # anything kept is written with this look
    assert len(_looks(app, "register_entry", entry_id)) == before + 11


# Two people saving the same entry ----------------------------------------------------

def _two_staff_on_one_entry(app: Flask) -> tuple[Any, Any, int, str, str]:
    mine, theirs = app.test_client(), app.test_client()
    sign_in(mine, make_staff(app, "triage_officer", name="Tess Triage"))
    sign_in(theirs, make_staff(app, "register_manager", name="Morgan Manager"))
    entry_url = _accept(mine, ready_request(app))
    entry_id = int(entry_url.rsplit("/", 1)[1])
    return (mine, theirs, entry_id, mine.get(entry_url).get_data(as_text=True),
            theirs.get(entry_url).get_data(as_text=True))


def _rating(page: str, rating: str, reason: str) -> dict[str, str]:
    return {"csrf_token": csrf_token(page),
            "rating-version": version_on(page, "rating-version"),
            "rating-rating": rating, "rating-reason": reason}


@contextmanager
def _entry_row_held(app: Flask, entry_id: int) -> Iterator[Callable[[int], None]]:
    """PostgreSQL: hold the entry's row so both saves queue behind it; yields a function
    that waits until that many sessions are waiting on a lock."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    engine = sa.create_engine(url)
    try:
        with engine.connect() as holder:
            transaction = holder.begin()
            holder.execute(sa.text("SELECT id FROM register_entries WHERE id = :id "
                                   "FOR NO KEY UPDATE"), {"id": entry_id})

            def until_waiting(count: int, threads: list[threading.Thread]) -> None:
                """Waits (for a minute at most: a busy machine is slow to start threads)
                until `count` sessions wait on a lock, or a save has already finished
                without waiting (then the test's own assertions say what it got)."""
                with engine.connect() as watcher:
                    for _ in range(1200):
                        waiting = watcher.execute(sa.text(
                            "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                            "current_database() AND wait_event_type = 'Lock'")).scalar()
                        # A transaction sees one snapshot of pg_stat_activity: end it so
                        # the next look sees the sessions as they are then.
                        watcher.rollback()
                        if waiting >= count or not all(t.is_alive() for t in threads):
                            return
                        time.sleep(0.05)
                raise AssertionError(f"{count} saves never queued for the entry")

            try:
                yield until_waiting
            finally:
                transaction.rollback()
    finally:
        engine.dispose()


def test_two_saves_at_the_same_moment_one_stands_the_other_is_told(app, backend):
    mine, theirs, entry_id, my_page, their_page = _two_staff_on_one_entry(app)
    mine_typed, theirs_typed = "Settled at home this week.", "Admitted last night."
    answers: dict[str, Any] = {}
    start = threading.Barrier(2)

    def save(name: str, client: Any, data: dict[str, str]) -> None:
        start.wait()
        answers[name] = client.post(f"/staff/register/{entry_id}/rating", data=data)

    saves = [threading.Thread(target=save, args=("mine", mine, _rating(
                 my_page, "green", mine_typed))),
             threading.Thread(target=save, args=("theirs", theirs, _rating(
                 their_page, "blue", theirs_typed)))]
    if backend == "postgresql":  # both pass the version check, then queue on the row
        with _entry_row_held(app, entry_id) as until_waiting:
            for thread in saves:
                thread.start()
            until_waiting(2, saves)
    else:  # SQLite writes one at a time: the second reads the first's version
        for thread in saves:
            thread.start()
    for thread in saves:
        thread.join()

    statuses = sorted((r.status_code, name) for name, r in answers.items())
    assert [status for status, _ in statuses] == [200, 302], statuses
    loser = statuses[0][1]
    html = answers[loser].get_data(as_text=True)
    winner_name = "Morgan Manager" if loser == "mine" else "Tess Triage"
    assert f"{winner_name} changed this entry while you were working on it" in html
    assert (mine_typed if loser == "mine" else theirs_typed) in html  # kept
    with app.app_context():
        entry = _db(app).session.get(RegisterEntry, entry_id)
        assert entry.rating == ("blue" if loser == "mine" else "green")
        reasons = _db(app).session.scalars(sa.select(RatingChange.reason).where(
            RatingChange.entry_id == entry_id)).all()
        assert (mine_typed in reasons) != (theirs_typed in reasons)  # one save, not two
    # The loser's page is made from the saved version: saving again now works.
    retry = (mine if loser == "mine" else theirs).post(
        f"/staff/register/{entry_id}/rating",
        data=_rating(html, "red", "Agreed together."))
    assert retry.status_code == 302


def test_confirming_the_same_rating_again_makes_an_older_page_stale(app):
    mine, theirs, entry_id, _, their_page = _two_staff_on_one_entry(app)
    entry_url = f"/staff/register/{entry_id}"
    # After this save the next review follows the rating: confirming the same rating
    # again the same day changes nothing on the entry but its history.
    assert theirs.post(f"{entry_url}/rating", data=_rating(
        their_page, "amber", "Reviewed: still amber.")).status_code == 302
    my_page = mine.get(entry_url).get_data(as_text=True)
    their_page = theirs.get(entry_url).get_data(as_text=True)
    confirmed = theirs.post(f"{entry_url}/rating", data=_rating(
        their_page, "amber", "Still amber after the review meeting."))
    assert confirmed.status_code == 302
    stale = mine.post(f"/staff/register/{entry_id}/rating",
                      data=_rating(my_page, "green", "Things have settled."))
    html = stale.get_data(as_text=True)
    assert stale.status_code == 200
    assert "Morgan Manager changed this entry while you were working on it" in html
    assert "Things have settled." in html
    with app.app_context():
        assert _db(app).session.get(RegisterEntry, entry_id).rating == "amber"


def test_every_save_of_an_entry_changes_its_version(app):
    mine, _, entry_id, page, _ = _two_staff_on_one_entry(app)
    versions = [version_on(page, "rating-version")]
    for rating in ("amber", "amber"):  # the same rating twice
        assert mine.post(f"/staff/register/{entry_id}/rating", data=_rating(
            page, rating, "Reviewed.")).status_code == 302
        page = mine.get(f"/staff/register/{entry_id}").get_data(as_text=True)
        versions.append(version_on(page, "rating-version"))
    assert len(set(versions)) == 3, versions
