"""Finding a child from the box on every staff page (by a name however it is spelt, a
reference, an NHS number or a date of birth), only what the role may see, each search on
the record; and urgent alerts: one email per recipient per urgent request or reported
admission, to the triage team's inbox and to staff on duty, with no child's details."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from portal.data.audit import AuditEvent
from portal.data.outbox import OutboxMessage
from portal.data.staff import StaffUser
from portal.domain.nhs_number import formatted
from tests.integration.staff_support import make_staff, post_form, sign_in, version_on
from tests.integration.test_family import family_signs_in
from tests.integration.test_staff_casework import _accept, ready_request
from tests.support import by_hand, error_summary, unique_nhs_number

URGENT = {"happening-now": {"risks": ["imminent_admission"],
                            "risks_in_own_words": "He is very distressed."}}
GREEN = {"happening-now": {"risks": ["needs_increasing"],
                           "risks_in_own_words": "Things are getting harder."}}


def _db(app):
    return app.extensions["sqlalchemy"]


@pytest.fixture
def team_inbox(request, monkeypatch):
    """The triage team's inbox set; nobody left on duty afterwards (the app is shared)."""
    app = request.getfixturevalue(
        "sqlite_app" if "sqlite_app" in request.fixturenames else "app")
    address = f"triage-team-{uuid.uuid4().hex[:6]}@example.org"
    monkeypatch.setitem(app.config, "TRIAGE_TEAM_EMAIL", address)
    yield address
    with app.app_context(), by_hand():
        _db(app).session.execute(sa.update(StaffUser).values(on_duty=False))
        _db(app).session.commit()


def named(name: str, nhs: str | None = None, **more) -> dict:
    return {"child-name": {"child_name": name, "child_preferred_name": ""},
            "nhs-number": {"nhs_number": nhs or unique_nhs_number()}, **more}


def alerts_to(app, address: str, kind: str | None = None) -> list[OutboxMessage]:
    with app.app_context():
        where = [OutboxMessage.to_address == address,
                 OutboxMessage.kind.in_([kind] if kind else ["alert_urgent_request",
                                                             "alert_admission"])]
        rows = list(_db(app).session.scalars(sa.select(OutboxMessage).where(*where)
                                             .order_by(OutboxMessage.id)))
        _db(app).session.expunge_all()
        return rows


def set_duty(client, on: bool):
    done = post_form(client, "/staff/on-duty", "/staff/on-duty",
                     {"on_duty": "yes" if on else "no"})
    assert done.status_code == 302, error_summary(done.get_data(as_text=True))
    return done


def found_rows(html: str, table: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    return [" ".join(row.get_text(" ").split())
            for row in soup.select(f"#{table} tbody tr")]


def searches(app, actor_id: int) -> list[AuditEvent]:
    with app.app_context():
        rows = list(_db(app).session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "staff.searched", AuditEvent.actor_id == str(actor_id))
            .order_by(AuditEvent.id)))
        _db(app).session.expunge_all()
        return rows


def test_an_urgent_request_alerts_each_person_once_and_staff_find_the_child(
        app, client, team_inbox):
    officer = make_staff(app, "triage_officer", name="Olu Officer")
    sign_in(client, officer)
    page = client.get("/staff/on-duty").get_data(as_text=True)
    assert "You are not on duty now." in page
    set_duty(client, True)
    assert "You are on duty now." in client.get("/staff/on-duty").get_data(as_text=True)
    manager_client = app.test_client()
    manager = make_staff(app, "register_manager", name="Mo Manager")
    sign_in(manager_client, manager)
    set_duty(manager_client, True)
    off_duty = make_staff(app, "triage_officer", name="Fen Offduty")

    # An urgent request: sent, then ready for triage once a parent consents. One email
    # each (the team's inbox, both on duty), none to anyone off duty, no details in it.
    nhs = unique_nhs_number()
    urgent = ready_request(app, **named("Johnathan Smithfield", nhs, **URGENT))
    for address in (team_inbox, officer.email, manager.email):
        sent = alerts_to(app, address)
        assert len(sent) == 1, address
        assert sent[0].kind == "alert_urgent_request"
        assert sent[0].subject == "An urgent request has arrived"
        assert f"/staff/requests/{urgent.id}" in sent[0].body
        for detail in ("Johnathan", "Smithfield", urgent.reference, nhs):
            assert detail not in sent[0].subject + sent[0].body
    assert alerts_to(app, off_duty.email) == []
    manager_page = manager_client.get("/staff/on-duty").get_data(as_text=True)
    listed = BeautifulSoup(manager_page, "html.parser").select_one("#on-duty-list").get_text()
    assert "Olu Officer" in listed and "Mo Manager" in listed and "Fen Offduty" not in listed

    # A Green request: no alert to anyone.
    ready_request(app, **named("Calm Greenwood", **GREEN))
    assert len(alerts_to(app, team_inbox)) == 1 and len(alerts_to(app, officer.email)) == 1

    # Off duty: the next urgent request reaches the team's inbox and the manager only.
    set_duty(client, False)
    ready_request(app, **named("Another Urgentchild", **URGENT))
    assert len(alerts_to(app, team_inbox)) == 2 and len(alerts_to(app, manager.email)) == 2
    assert len(alerts_to(app, officer.email)) == 1

    # The officer finds the child from the box: a misspelt name in another order, and the
    # NHS number with spaces. It is a request, not on the register yet.
    home = client.get("/staff/queue").get_data(as_text=True)
    assert BeautifulSoup(home, "html.parser").select_one("label[for=find-child]").get_text(
        strip=True) == "Find a child"
    page = client.get("/staff/find", query_string={"q": "Smithfeild, Jonathan"})
    assert page.status_code == 200
    rows = found_rows(page.get_data(as_text=True), "found-requests")
    assert rows and "Johnathan Smithfield" in rows[0] and urgent.reference in rows[0]
    assert "Calm Greenwood" not in page.get_data(as_text=True)
    by_number = client.get("/staff/find", query_string={"q": formatted(nhs)}).get_data(
        as_text=True)
    assert found_rows(by_number, "found-requests")[0].startswith("Johnathan Smithfield")

    # Each search is on the record: its kind, what it found, never the name typed.
    done = searches(app, officer.id)
    assert [e.detail["kind"] for e in done] == ["name", "nhs_number"]
    assert urgent.id in done[0].detail["requests"] and done[0].detail["count"] >= 1
    assert "Smithfeild" not in str(done[0].detail) and nhs not in str(done[1].detail)
    assert done[0].detail["fingerprint"] != done[1].detail["fingerprint"]
    # Someone investigating can tell whether a given name was searched for.
    printed = app.test_cli_runner().invoke(args=["search-fingerprint", "jonathan SMITHFEILD"])
    assert printed.output.split() == ["name", done[0].detail["fingerprint"]]


def test_partners_find_register_entries_only_and_admins_have_no_search(
        sqlite_app, sqlite_client):
    app = sqlite_app
    born = date(2013, 3, 9)
    dob = {"date-of-birth": {"child_dob-day": "9", "child_dob-month": "3",
                             "child_dob-year": "2013"}}
    on_register = ready_request(app, **named("Priya Ramaswamy", **dob))
    waiting = ready_request(app, **named("Priya Ramasamy", **dob))
    manager = app.test_client()
    sign_in(manager, make_staff(app, "register_manager"))
    entry_id = int(_accept(manager, on_register).rsplit("/", 1)[1])

    partner = make_staff(app, "partner_viewer")
    sign_in(sqlite_client, partner)
    html = sqlite_client.get("/staff/find?q=priya+ramaswami").get_data(as_text=True)
    assert 'id="find-child"' in html  # the box is on the partner's pages too
    entries = found_rows(html, "found-entries")
    assert len(entries) == 1 and "Priya Ramaswamy" in entries[0] and "Open" in entries[0]
    assert 'id="found-requests"' not in html and waiting.reference not in html
    assert f"/staff/register/{entry_id}" in html and "/staff/requests/" not in html
    by_day = sqlite_client.get(f"/staff/find?q={born:%d/%m/%Y}").get_data(as_text=True)
    assert on_register.reference in by_day and waiting.reference not in by_day
    nothing = sqlite_client.get(f"/staff/find?q={waiting.reference}").get_data(as_text=True)
    assert "No record has the reference" in nothing and "register only" in nothing
    assert sqlite_client.get("/staff/on-duty").status_code == 403

    # Triage sees both, by date of birth typed three ways, and by reference typed loosely.
    triage = app.test_client()
    sign_in(triage, make_staff(app, "triage_officer"))
    for typed in ("9 3 2013", "2013-03-09", "09/03/2013"):
        html = triage.get("/staff/find", query_string={"q": typed}).get_data(as_text=True)
        assert on_register.reference in html and waiting.reference in html, typed
    loose = waiting.reference.lower().replace("-", " ")
    html = triage.get("/staff/find", query_string={"q": loose}).get_data(as_text=True)
    assert [r for r in found_rows(html, "found-requests") if waiting.reference in r]

    admin = app.test_client()
    sign_in(admin, make_staff(app, "admin"))
    assert admin.get("/staff/find?q=priya").status_code == 403
    assert 'id="find-child"' not in admin.get("/staff/admin/staff").get_data(as_text=True)


def test_a_closed_entry_is_found_and_said_to_be_closed(sqlite_app, sqlite_client):
    app = sqlite_app
    req = ready_request(app, **named("Tobias Winterbourne"))
    sign_in(sqlite_client, make_staff(app, "register_manager"))
    entry_id = int(_accept(sqlite_client, req).rsplit("/", 1)[1])
    page = sqlite_client.get(f"/staff/register/{entry_id}").get_data(as_text=True)
    closed = post_form(sqlite_client, f"/staff/register/{entry_id}",
                       f"/staff/register/{entry_id}/close", {
                           "close-version": version_on(page, "close-version"),
                           "close-reason": "risk_reduced"})
    assert closed.status_code == 302, error_summary(closed.get_data(as_text=True))
    html = sqlite_client.get("/staff/find?q=winterborne").get_data(as_text=True)
    rows = found_rows(html, "found-entries")
    assert len(rows) == 1 and "Closed" in rows[0]
    unclear = sqlite_client.get("/staff/find?q=12345").get_data(as_text=True)
    assert "We could not tell what" in unclear
    empty = sqlite_client.get("/staff/find").get_data(as_text=True)
    assert "You can type" in empty


def test_a_reported_admission_alerts_once_and_a_rating_to_blue_alerts(
        sqlite_app, sqlite_client, team_inbox):
    app = sqlite_app
    req = ready_request(app, **named("Imogen Fairweather"))
    officer = make_staff(app, "triage_officer")
    sign_in(sqlite_client, officer)
    set_duty(sqlite_client, True)
    entry_id = int(_accept(sqlite_client, req).rsplit("/", 1)[1])
    family = family_signs_in(app, req.contact_email)
    for _ in range(2):  # the same admission told twice: one alert
        family.submit(f"/account/requests/{req.reference}/something-has-changed",
                      {"events": ["admitted"], "details": "Admitted last night."})
    for address in (team_inbox, officer.email):
        sent = alerts_to(app, address, "alert_admission")
        assert len(sent) == 1
        assert f"/staff/register/{entry_id}" in sent[0].body
        assert "Imogen" not in sent[0].body + sent[0].subject
        assert "Admitted last night" not in sent[0].body

    # Staff rate the child Blue after the family's report: already alerted, nothing more.
    def rate(entry: int, rating: str) -> None:
        page = sqlite_client.get(f"/staff/register/{entry}").get_data(as_text=True)
        done = post_form(sqlite_client, f"/staff/register/{entry}",
                         f"/staff/register/{entry}/rating", {
                             "rating-version": version_on(page, "rating-version"),
                             "rating-rating": rating, "rating-reason": "In hospital."})
        assert done.status_code == 302, error_summary(done.get_data(as_text=True))

    rate(entry_id, "blue")
    assert len(alerts_to(app, officer.email, "alert_admission")) == 1
    # Another child rated Blue by staff with no report from the family: an alert.
    other = ready_request(app, **named("Rufus Hawthorne"))
    other_entry = int(_accept(sqlite_client, other).rsplit("/", 1)[1])
    rate(other_entry, "blue")
    sent = alerts_to(app, officer.email, "alert_admission")
    assert len(sent) == 2 and f"/staff/register/{other_entry}" in sent[1].body


def test_no_inbox_and_nobody_on_duty_sends_nothing(sqlite_app, monkeypatch):
    app = sqlite_app
    monkeypatch.setitem(app.config, "TRIAGE_TEAM_EMAIL", "")
    with app.app_context(), by_hand():
        _db(app).session.execute(sa.update(StaffUser).values(on_duty=False))
        _db(app).session.commit()
    with app.app_context():
        before = _db(app).session.scalar(sa.select(sa.func.count()).select_from(
            OutboxMessage).where(OutboxMessage.kind == "alert_urgent_request"))
    ready_request(app, **named("Quiet Urgentchild", **URGENT))
    with app.app_context():
        after = _db(app).session.scalar(sa.select(sa.func.count()).select_from(
            OutboxMessage).where(OutboxMessage.kind == "alert_urgent_request"))
    assert after == before


def test_the_on_duty_form_asks_for_an_answer(sqlite_app, sqlite_client):
    sign_in(sqlite_client, make_staff(sqlite_app, "triage_officer"))
    shown = post_form(sqlite_client, "/staff/on-duty", "/staff/on-duty", {})
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200
    assert error_summary(html) == [("#on_duty", "Select whether you are on duty")]
    assert "<title>Error:" in html
