"""C(E)TRs from request to outcome: asked for, booked (the family told), papers sent only
with consent (late allowed, marked), held with recommendations that become actions, or
cancelled; the entry's C(E)TR dates in step; who may do it; what the family sees."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from portal.data.audit import AuditEvent
from portal.data.cetr import CetrReview
from portal.data.outbox import OutboxMessage
from portal.data.register import RegisterAction, RegisterEntry
from tests.integration.staff_support import make_staff, sign_in, version_on
from tests.integration.test_family import family_signs_in
from tests.integration.test_staff_casework import _accept, ready_request
from tests.support import by_hand, csrf_token, error_summary

UK = ZoneInfo("Europe/London")


def _db(app):
    return app.extensions["sqlalchemy"]


def _day(name: str, day: date) -> dict[str, str]:
    return {f"{name}-day": str(day.day), f"{name}-month": str(day.month),
            f"{name}-year": str(day.year)}


def on_register(app, client):
    """A child on the register (Amber) with a parent's consent, and a signed-in manager."""
    req = ready_request(app)
    sign_in(client, make_staff(app, "register_manager", name="Morgan Manager"))
    entry_id = int(_accept(client, req).rsplit("/", 1)[1])
    return req, entry_id


def review_of(app, review_id: int) -> CetrReview:
    with app.app_context():
        review = _db(app).session.get(CetrReview, review_id)
        _db(app).session.expunge(review)
    return review


def entry_of(app, entry_id: int) -> RegisterEntry:
    with app.app_context():
        entry = _db(app).session.get(RegisterEntry, entry_id)
        _db(app).session.expunge(entry)
    return entry


def ask(client, entry_id: int, **data) -> int:
    sent = client.submit(f"/staff/register/{entry_id}/cetrs/new", data)
    assert sent.status_code == 302, error_summary(sent.get_data(as_text=True))
    return int(sent.headers["Location"].rsplit("/", 1)[1])


def submit_versioned(client, url: str, data: dict) -> object:
    page = client.get(url).get_data(as_text=True)
    return client.submit(url, {"version": version_on(page), **data})


def book(client, review_id: int, day: date, time: str = "14:30") -> object:
    return submit_versioned(client, f"/staff/cetrs/{review_id}/book", {
        **_day("day", day), "time": time, "panel": "Dr Rao, psychiatrist\nJo Lee, SENCO",
        "chair": "Pat Chair"})


def mails(app, kind: str, address: str) -> list[OutboxMessage]:
    with app.app_context():
        return list(_db(app).session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.kind == kind, OutboxMessage.to_address == address)))


def actions(app, entry_id: int) -> list[str]:
    with app.app_context():
        return [a.description for a in _db(app).session.scalars(sa.select(RegisterAction)
                .where(RegisterAction.entry_id == entry_id).order_by(RegisterAction.id))]


def audit_actions(app, entry_id: int) -> list[str]:
    with app.app_context():
        return list(_db(app).session.scalars(sa.select(AuditEvent.action).where(
            AuditEvent.subject_type == "register_entry",
            AuditEvent.subject_id == str(entry_id),
            AuditEvent.action.like("cetr.%")).order_by(AuditEvent.id)))


def test_a_cetr_from_request_to_outcome(app, client):
    req, entry_id = on_register(app, client)
    page = client.get(f"/staff/register/{entry_id}").get_data(as_text=True)
    assert "No C(E)TRs asked for yet." in page

    due = date.today() + timedelta(days=20)
    review_id = ask(client, entry_id, kind="community", reason="School place breaking down.",
                    **_day("due_by", due))
    assert entry_of(app, entry_id).cetr_next_on == due
    assert "School place breaking down." in client.get(
        f"/staff/cetrs/{review_id}").get_data(as_text=True)
    assert req.child_name in client.get("/staff/cetrs").get_data(as_text=True)

    # Booked: papers due 24 hours before, in UK time; the family is told.
    on = date.today() + timedelta(days=10)
    assert book(client, review_id, on).status_code == 302
    review = review_of(app, review_id)
    assert review.booked_for == datetime(on.year, on.month, on.day, 14, 30, tzinfo=UK)
    assert review.papers_due_at == review.booked_for - timedelta(hours=24)
    assert entry_of(app, entry_id).cetr_next_on == on
    booked = mails(app, "cetr_booked", req.contact_email)
    assert len(booked) == 1 and req.child_name not in booked[0].subject
    assert "14:30" in booked[0].body and "Robin" not in booked[0].body
    papers = client.get(f"/staff/cetrs/{review_id}/papers").get_data(as_text=True)
    assert "Valid now" in papers and "14:30" in papers

    # Papers sent in time.
    assert submit_versioned(client, f"/staff/cetrs/{review_id}/papers", {}).status_code == 302
    review = review_of(app, review_id)
    assert review.papers_sent_at is not None and review.papers_late is False

    # Held: two recommendations become actions; the entry's dates move on.
    held = submit_versioned(client, f"/staff/cetrs/{review_id}/outcome", {
        **_day("held_on", date.today()), "outcome": "Stay at home with more support.",
        "panel_notes": "PANEL ONLY: sensitive discussion.",
        "rec1_what": "Speech and language assessment", "rec1_who": "CAMHS",
        **_day("rec1_by", date.today() + timedelta(days=30)),
        "rec2_what": "Short breaks twice a month", "rec2_who": "Social care",
        **_day("rec2_by", date.today() + timedelta(days=14))})
    assert held.status_code == 302, error_summary(held.get_data(as_text=True))
    assert actions(app, entry_id) == ["Speech and language assessment",
                                      "Short breaks twice a month"]
    entry = entry_of(app, entry_id)
    assert entry.cetr_last_on == date.today() and entry.cetr_next_on is None
    shown = client.get(f"/staff/register/{entry_id}").get_data(as_text=True)
    assert "Speech and language assessment" in shown and "Held" in shown
    assert len(mails(app, "cetr_outcome", req.contact_email)) == 1
    assert audit_actions(app, entry_id) == ["cetr.requested", "cetr.booked",
                                            "cetr.papers_sent", "cetr.held"]
    assert req.child_name not in client.get("/staff/cetrs").get_data(as_text=True)

    # The family sees the date and what was agreed, never the panel's notes.
    family = family_signs_in(app, req.contact_email)
    mine = family.get(f"/account/requests/{req.reference}").get_data(as_text=True)
    assert "Review held on" in mine and "Stay at home with more support." in mine
    assert "Short breaks twice a month" in mine and "Social care" in mine
    assert "PANEL ONLY" not in mine and "Dr Rao" not in mine


def test_papers_are_refused_once_consent_is_withdrawn(app, client):
    from portal.cases import consent as consent_cases
    from portal.cases.operation import Actor
    from portal.data.consent import Consent

    req, entry_id = on_register(app, client)
    review_id = ask(client, entry_id, kind="community", reason="Crisis at home.",
                    **_day("due_by", date.today() + timedelta(days=20)))
    assert book(client, review_id, date.today() + timedelta(days=7)).status_code == 302
    page = client.get(f"/staff/cetrs/{review_id}/papers").get_data(as_text=True)
    with app.app_context():
        consent = _db(app).session.scalars(sa.select(Consent).where(
            Consent.request_id == req.id)).one()
        consent_cases.withdraw(consent, Actor.parent(req.contact_email, via="link"),
                               name="Alex Example", reason=None)
        _db(app).session.commit()
    refused = client.post(f"/staff/cetrs/{review_id}/papers", data={
        "csrf_token": csrf_token(page),
        "version": version_on(page)})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert "no valid consent" in html and "Not valid now" in html
    assert review_of(app, review_id).papers_sent_at is None
    assert audit_actions(app, entry_id)[-1] == "cetr.papers_refused"


# Details (SQLite) ------------------------------------------------------------------------

def test_late_papers_are_allowed_and_marked_late(sqlite_app, sqlite_client):
    app, client = sqlite_app, sqlite_client
    _req, entry_id = on_register(app, client)
    review_id = ask(client, entry_id, kind="community", reason="Needs review.",
                    **_day("due_by", date.today()))
    assert book(client, review_id, date.today(), "00:00").status_code == 302
    page = client.get(f"/staff/cetrs/{review_id}/papers").get_data(as_text=True)
    assert "Deadline passed" in page and "marked late" in page
    assert submit_versioned(client, f"/staff/cetrs/{review_id}/papers", {}).status_code == 302
    assert review_of(app, review_id).papers_late is True
    assert "Papers late" in client.get(f"/staff/register/{entry_id}").get_data(as_text=True)


def test_due_dates_inpatient_and_after_an_admission(sqlite_app, sqlite_client):
    from portal.data.register import RatingChange

    app, client = sqlite_app, sqlite_client
    _req, entry_id = on_register(app, client)
    admitted = date.today() - timedelta(days=3)
    with app.app_context(), by_hand():
        entry = _db(app).session.get(RegisterEntry, entry_id)
        entry.rating, entry.severity = "blue", 0
        entry.cetr_last_on = date(2026, 8, 31)
        _db(app).session.add(RatingChange(
            entry_id=entry_id, rating="blue", reason="Admitted", changed_by="Test",
            changed_at=datetime.combine(admitted, datetime.min.time().replace(hour=12),
                                        tzinfo=UTC)))
        _db(app).session.commit()
    after = ask(client, entry_id, kind="post_admission", reason="Admitted last week.")
    assert review_of(app, after).due_by == admitted + timedelta(days=14)
    assert review_of(app, after).admitted_on == admitted
    inpatient = ask(client, entry_id, kind="inpatient", reason="Every 3 months.")
    assert review_of(app, inpatient).due_by == date(2026, 11, 30)  # 31 August + 3 months
    # The soonest open one is the entry's next C(E)TR; Blue keeps one after it is held.
    assert entry_of(app, entry_id).cetr_next_on == date(2026, 11, 30)
    in_list = client.get("/staff/cetrs").get_data(as_text=True)
    assert "After an admission" in in_list and "Overdue" in in_list


def test_community_needs_a_date_and_bad_input_keeps_what_was_typed(sqlite_app, sqlite_client):
    app, client = sqlite_app, sqlite_client
    _req, entry_id = on_register(app, client)
    missing = client.submit(f"/staff/register/{entry_id}/cetrs/new", {
        "kind": "community", "reason": "Family under severe strain."})
    html = missing.get_data(as_text=True)
    assert missing.status_code == 200 and "Family under severe strain." in html
    assert any("no earlier C(E)TR" in m for _a, m in error_summary(html))
    review_id = ask(client, entry_id, kind="community", reason="Strain.",
                    **_day("due_by", date.today() + timedelta(days=9)))
    bad = book(client, review_id, date.today() + timedelta(days=5), "25:99")
    html = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "Dr Rao, psychiatrist" in html and "25:99" in html
    assert ("#time", "Enter the time on the 24-hour clock, like 14:30") in error_summary(html)
    half = submit_versioned(client, f"/staff/cetrs/{review_id}/outcome", {
        **_day("held_on", date.today()), "outcome": "Agreed a plan.",
        "rec1_what": "Transition planning"})
    html = half.get_data(as_text=True)
    assert half.status_code == 200 and "Transition planning" in html
    assert "Enter who will do it" in html
    assert review_of(app, review_id).held_on is None and actions(app, entry_id) == []


def test_a_stale_save_is_refused_with_what_was_typed(sqlite_app, sqlite_client):
    app, client = sqlite_app, sqlite_client
    _req, entry_id = on_register(app, client)
    review_id = ask(client, entry_id, kind="community", reason="Strain.",
                    **_day("due_by", date.today() + timedelta(days=9)))
    old = client.get(f"/staff/cetrs/{review_id}/book").get_data(as_text=True)
    assert book(client, review_id, date.today() + timedelta(days=5)).status_code == 302
    again = client.submit(f"/staff/cetrs/{review_id}/book", {
        "version": version_on(old), **_day("day", date.today() + timedelta(days=6)),
        "time": "09:15", "panel": "Someone new", "chair": "Another chair"})
    html = again.get_data(as_text=True)
    assert again.status_code == 200 and "changed this C(E)TR" in html
    assert "Someone new" in html
    assert review_of(app, review_id).chair == "Pat Chair"


def test_cancel_with_a_reason_tells_a_family_told_of_a_date(sqlite_app, sqlite_client):
    app, client = sqlite_app, sqlite_client
    req, entry_id = on_register(app, client)
    review_id = ask(client, entry_id, kind="community", reason="Strain.",
                    **_day("due_by", date.today() + timedelta(days=9)))
    assert book(client, review_id, date.today() + timedelta(days=5)).status_code == 302
    empty = submit_versioned(client, f"/staff/cetrs/{review_id}/cancel", {"reason": ""})
    assert ("#reason", "Enter why the C(E)TR is cancelled") in error_summary(
        empty.get_data(as_text=True))
    done = submit_versioned(client, f"/staff/cetrs/{review_id}/cancel",
                            {"reason": "Support at home is working."})
    assert done.status_code == 302
    assert review_of(app, review_id).cancel_reason == "Support at home is working."
    assert entry_of(app, entry_id).cetr_next_on is None
    assert len(mails(app, "family_status", req.contact_email)) >= 1
    assert client.get(f"/staff/cetrs/{review_id}/book").status_code == 409


@pytest.mark.parametrize("role", ["partner_viewer", "admin"])
def test_only_casework_staff_see_and_change_cetrs(sqlite_app, sqlite_client, role):
    app, client = sqlite_app, sqlite_client
    _req, entry_id = on_register(app, client)
    review_id = ask(client, entry_id, kind="community", reason="Strain.",
                    **_day("due_by", date.today() + timedelta(days=9)))
    other = app.test_client()
    sign_in(other, make_staff(app, role))
    for path in (f"/staff/cetrs/{review_id}", "/staff/cetrs",
                 f"/staff/cetrs/{review_id}/book", f"/staff/register/{entry_id}/cetrs/new"):
        assert other.get(path).status_code == 403, path
    if role == "partner_viewer":
        entry = other.get(f"/staff/register/{entry_id}").get_data(as_text=True)
        assert "Ask for a C(E)TR" not in entry and f"/staff/cetrs/{review_id}" not in entry
    assert client.get("/staff/cetrs/2000000000").status_code == 404


def test_every_cetr_form_takes_anything(sqlite_app, sqlite_client):
    """The review's forms, fuzzed as tests/integration/test_fuzz_forms.py fuzzes the rest
    (its crawl has no review to open). Outcome and cancel end a review: each has its own."""
    from tests.integration.test_fuzz_forms import forms_on, fuzz

    app, client = sqlite_app, sqlite_client
    _req, entry_id = on_register(app, client)
    pages = []
    for form in ("book", "papers", "outcome", "cancel"):
        review_id = ask(client, entry_id, kind="community", reason="Strain.",
                        **_day("due_by", date.today() + timedelta(days=9)))
        assert book(client, review_id, date.today() + timedelta(days=5)).status_code == 302
        pages.append(f"/staff/cetrs/{review_id}/{form}")
    pages.append(f"/staff/register/{entry_id}/cetrs/new")
    for path in pages:
        found = [f for f in forms_on(path, client.get(path).get_data(as_text=True))
                 if f.action.endswith(path)]
        assert len(found) == 1, path
        fuzz(client, found[0])
