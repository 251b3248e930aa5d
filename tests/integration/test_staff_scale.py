"""The staff pages do the same work at 100 rows as at 10,000: paged, indexed, no N+1."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from portal.data.audit import AuditEvent
from tests.conftest import _postgres_database, make_app
from tests.integration.staff_support import make_staff, post_form, sign_in, version_on
from tests.support import by_hand, csrf_token

PAGES = ("/staff/queue?show=all", "/staff/queue?show=ready&rating=red", "/staff/register",
         "/staff/register?rating=amber&page=2", "/staff/dashboard", "/staff/attention",
         "/staff/meeting")


@pytest.fixture
def empty_app(backend: str, tmp_path) -> Iterator:
    """An app on a database of its own, so the row counts are the test's own."""
    database = None if backend == "sqlite" else _postgres_database()
    url = f"sqlite:///{tmp_path / 'scale.sqlite3'}" if database is None else next(database)
    app = make_app(url)
    try:
        yield app
    finally:
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()  # before the database goes
        if database is not None:
            next(database, None)


def queries_for(app, client, path: str) -> int:
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
    seen: list[str] = []

    def count(conn, cursor, statement, *args):  # noqa: ANN001
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200, path
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def grow(app, requests: int, entries: int) -> None:
    from portal.cases.volume import seed

    with app.app_context():
        seed(requests, entries)
        app.extensions["sqlalchemy"].session.commit()


def add_family_updates(app, count: int) -> None:
    """Families telling us something changed: shown at the top of the queue."""
    from portal.data.family import FamilyUpdate
    from portal.data.requests import SupportRequest

    with app.app_context(), by_hand():
        db = app.extensions["sqlalchemy"]
        ids = db.session.scalars(sa.select(SupportRequest.id).limit(count)).all()
        for request_id in ids:
            db.session.add(FamilyUpdate(request_id=request_id, kind="changed",
                                        events=["police"], details=None, admitted=False,
                                        sent_by="family@example.com"))
        db.session.commit()


def test_the_same_number_of_queries_at_100_and_10000_rows(empty_app):
    app = empty_app
    client = app.test_client()
    sign_in(client, make_staff(app, "register_manager"))
    grow(app, 100, 40)
    add_family_updates(app, 1)
    small = {path: queries_for(app, client, path) for path in PAGES}
    grow(app, 9_900, 3_960)
    add_family_updates(app, 15)
    large = {path: queries_for(app, client, path) for path in PAGES}
    assert large == small
    register = client.get("/staff/register").get_data(as_text=True)
    assert "Page 1 of" in register  # paged, not 4,000 rows at once


def test_the_dashboard_figures_match_the_register(empty_app):
    app = empty_app
    client = app.test_client()
    sign_in(client, make_staff(app, "register_manager"))
    grow(app, 600, 300)
    from portal.data.register import RegisterEntry

    with app.app_context():
        db = app.extensions["sqlalchemy"]
        live = dict(db.session.execute(
            sa.select(RegisterEntry.rating, sa.func.count()).where(
                RegisterEntry.closed_at.is_(None)).group_by(RegisterEntry.rating)).all())
    html = client.get("/staff/dashboard").get_data(as_text=True)
    for rating, count in live.items():
        assert f'id="live-{rating}">{count}<' in html, rating
    assert "<svg" in html and "<table" in html  # a chart, and the same figures as a table


def test_the_export_is_safe_to_open_in_a_spreadsheet_and_audited(app, client):
    manager = make_staff(app, "register_manager")
    sign_in(client, manager)
    from tests.integration.test_staff_casework import _accept, ready_request

    req = ready_request(app, **{"child-name": {"child_name": "=HYPERLINK(\"http://x\")",
                                               "child_preferred_name": ""}})
    _accept(client, req)
    response = client.get("/staff/register/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    names = [row[1] for row in rows[1:]]
    assert "'=HYPERLINK(\"http://x\")" in names
    assert not any(name.startswith(("=", "+", "-", "@")) for name in names)
    with app.app_context():
        assert app.extensions["sqlalchemy"].session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "register.exported",
            AuditEvent.actor_id == str(manager.id))).first() is not None
    triage_client = app.test_client()
    sign_in(triage_client, make_staff(app, "triage_officer"))
    assert triage_client.get("/staff/register/export.csv").status_code == 403


def test_a_meeting_outcome_in_a_few_keystrokes_tells_the_family(app, client):
    from tests.integration.test_staff_casework import _accept, ready_request

    sign_in(client, make_staff(app, "register_manager"))
    req = ready_request(app)
    entry_url = _accept(client, req)
    entry_id = entry_url.rsplit("/", 1)[1]
    page = client.get(entry_url).get_data(as_text=True)  # a review long overdue
    client.post(f"/staff/register/{entry_id}/details", data={
        "csrf_token": csrf_token(page), "details-version": version_on(page, "details-version"),
        "details-next_review_on-day": "2", "details-next_review_on-month": "1",
        "details-next_review_on-year": "2020"})
    on = "2099-01-02"
    meeting = f"/staff/meeting?meeting={on}&due=2020-01-02"
    page = client.get(meeting).get_data(as_text=True)
    assert f'id="entry-{entry_id}"' in page
    version = __import__("re").search(
        rf'name="e{entry_id}-version" value="(\d+)"', page).group(1)
    saved = post_form(client, meeting, meeting, {
        "entry": entry_id, f"e{entry_id}-version": version, f"e{entry_id}-rating": "red",
        f"e{entry_id}-outcome": "Escalate: placement at risk.", f"e{entry_id}-next_review": "14"})
    assert saved.status_code == 302
    from portal.data.outbox import OutboxMessage
    from portal.data.register import RegisterEntry

    with app.app_context():
        db = app.extensions["sqlalchemy"]
        entry = db.session.get(RegisterEntry, int(entry_id))
        assert entry.rating == "red" and str(entry.next_review_on) == "2099-01-16"
        mails = db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.dedupe_key == f"meeting:{entry_id}:{on}")).all()
        assert len(mails) == 1 and "Escalate" not in mails[0].body
