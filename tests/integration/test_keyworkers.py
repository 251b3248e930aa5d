"""Named keyworkers: a member of staff chosen as a child's keyworker (on accept or on the
entry's details) sees the child on "My children" with what is new, and is told by email,
with no personal details, once per kind of news until they open the entry. Someone who is
not the keyworker sees nothing of it; a disabled keyworker gets nothing."""

from __future__ import annotations

import sys
import types
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from portal.data.audit import AuditEvent
from portal.data.base import utcnow
from portal.data.outbox import OutboxMessage
from portal.data.register import RegisterEntry
from portal.data.staff import StaffUser
from tests.integration.staff_support import make_staff, post_form, sign_in, version_on
from tests.integration.test_family import family_signs_in
from tests.integration.test_staff_casework import ready_request
from tests.support import by_hand, error_summary


def _db(app):
    return app.extensions["sqlalchemy"]


def accept_with_keyworker(client, req, keyworker_id: int | str, rating: str = "amber",
                          review: date | None = None):
    review = review or date(2099, 1, 1)
    page = client.get(f"/staff/requests/{req.id}/accept").get_data(as_text=True)
    moved = client.submit(f"/staff/requests/{req.id}/accept", {
        "version": version_on(page), "rating": rating, "reason": "Coordination needed.",
        "keyworker_staff": str(keyworker_id), "keyworker": "",
        "first_review-day": str(review.day), "first_review-month": str(review.month),
        "first_review-year": str(review.year)})
    assert moved.status_code == 302, error_summary(moved.get_data(as_text=True))
    return int(moved.headers["Location"].rsplit("/", 1)[1])


def notices(app, to: str, kind: str = "keyworker_notice") -> list[OutboxMessage]:
    with app.app_context():
        rows = list(_db(app).session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.to_address == to, OutboxMessage.kind == kind)
            .order_by(OutboxMessage.id)))
        _db(app).session.expunge_all()
        return rows


def row_text(html: str, entry_id: int) -> str:
    row = BeautifulSoup(html, "html.parser").select_one(f"#child-{entry_id}")
    return " ".join(row.get_text(" ").split()) if row else ""


def family_message(app, family, req, body: str) -> None:
    sent = post_form(family, f"/account/requests/{req.reference}",
                     f"/account/requests/{req.reference}/reply", {"body": body})
    assert sent.status_code == 302


def test_the_keyworker_hears_once_sees_it_on_my_children_and_reading_clears_it(app, client):
    req = ready_request(app)
    sign_in(client, make_staff(app, "register_manager"))
    keyworker = make_staff(app, "triage_officer", name="Kim Keyworker")
    entry_id = accept_with_keyworker(client, req, keyworker.id)
    entry_page = client.get(f"/staff/register/{entry_id}").get_data(as_text=True)
    assert "Kim Keyworker" in entry_page and keyworker.email in entry_page
    with app.app_context():
        entry = _db(app).session.get(RegisterEntry, entry_id)
        assert entry.keyworker_staff_id == keyworker.id and entry.keyworker == "Kim Keyworker"
        assert _db(app).session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                                       .where(AuditEvent.action == "register.keyworker_linked",
                                              AuditEvent.subject_id == str(entry_id))) == 1

    # The family writes twice and says something has changed: two emails, not three.
    family = family_signs_in(app, req.contact_email)
    family_message(app, family, req, "He has stopped sleeping.")
    family_message(app, family, req, "And school rang today.")
    family.submit(f"/account/requests/{req.reference}/something-has-changed",
                  {"events": ["police"], "details": "Police came round."})
    sent = notices(app, keyworker.email)
    assert len(sent) == 2
    for mail in sent:
        assert req.reference in mail.subject and req.reference in mail.body
        assert req.child_name not in mail.subject + mail.body
        assert "Robin" not in mail.subject + mail.body and "school" not in mail.body
        assert f"/staff/register/{entry_id}" in mail.body
    assert "The family has sent a message." in sent[0].body
    assert "something has changed" in sent[1].body
    # The staff notice of the message no longer doubles up on the linked keyworker.
    assert notices(app, keyworker.email, "staff_message") == []

    mine = app.test_client()
    sign_in(mine, keyworker)
    listing = mine.get("/staff/my-children").get_data(as_text=True)
    assert 'href="/staff/my-children" aria-current="page"' in listing  # in the menu
    row = row_text(listing, entry_id)
    assert req.child_name in row and req.reference in row and "Amber" in row
    assert "2 new messages from the family" in row
    assert "1 new update from the family" in row

    # Someone who is not the keyworker sees nothing of it.
    other = app.test_client()
    sign_in(other, make_staff(app, "triage_officer"))
    theirs = other.get("/staff/my-children").get_data(as_text=True)
    assert req.child_name not in theirs and req.reference not in theirs
    assert "You are not the named keyworker for any child" in theirs
    other.get(f"/staff/register/{entry_id}")  # their look marks nothing read for Kim
    assert "2 new messages" in row_text(mine.get("/staff/my-children").get_data(
        as_text=True), entry_id)

    # Opening the entry marks it all read (not a change to the entry: nobody's save is
    # made stale by it); the next message is news again.
    with app.app_context():
        version = _db(app).session.get(RegisterEntry, entry_id).version_id
    assert mine.get(f"/staff/register/{entry_id}").status_code == 200
    with app.app_context():
        assert _db(app).session.get(RegisterEntry, entry_id).version_id == version
    assert "Nothing new" in row_text(mine.get("/staff/my-children").get_data(as_text=True),
                                     entry_id)
    family_message(app, family, req, "One more thing.")
    assert len(notices(app, keyworker.email)) == 3
    assert "1 new message from the family" in row_text(
        mine.get("/staff/my-children").get_data(as_text=True), entry_id)


def test_a_disabled_keyworker_gets_nothing(sqlite_app, sqlite_client):
    app, client = sqlite_app, sqlite_client
    req = ready_request(app)
    sign_in(client, make_staff(app, "register_manager"))
    keyworker = make_staff(app, "triage_officer")
    accept_with_keyworker(client, req, keyworker.id)
    with app.app_context(), by_hand():
        _db(app).session.get(StaffUser, keyworker.id).disabled_at = utcnow()
        _db(app).session.commit()
    family = family_signs_in(app, req.contact_email)
    family_message(app, family, req, "Can someone call?")
    assert notices(app, keyworker.email) == []
    assert notices(app, keyworker.email, "staff_message") == []
    # A disabled account is not offered as a keyworker any more.
    page = client.get(f"/staff/requests/{ready_request(app).id}/accept").get_data(
        as_text=True)
    assert keyworker.name not in page


def test_the_details_form_changes_the_keyworker_and_the_return_hears(
        sqlite_app, sqlite_client, monkeypatch):
    app, client = sqlite_app, sqlite_client
    calls: list[tuple[int, str]] = []
    fake = types.ModuleType("portal.cases.returns")
    fake.keyworker_changed = lambda entry, actor: calls.append((entry.id, actor.name))
    monkeypatch.setitem(sys.modules, "portal.cases.returns", fake)

    req = ready_request(app)
    manager = make_staff(app, "register_manager", name="Morgan Manager")
    sign_in(client, manager)
    partner = make_staff(app, "partner_viewer", name="Pat Partner")
    admin = make_staff(app, "admin", name="Ada Admin")
    entry_id = accept_with_keyworker(client, req, "")
    assert calls == []  # no keyworker yet: nothing changed
    url = f"/staff/register/{entry_id}"
    page = client.get(url).get_data(as_text=True)
    choices = [o.get_text() for o in BeautifulSoup(page, "html.parser").select(
        "#details-keyworker_staff option")]
    assert "Pat Partner" in choices and "Ada Admin" not in choices  # partners, not admins

    def save(**fields):
        page = client.get(url).get_data(as_text=True)
        return client.post(f"{url}/details", data={
            "csrf_token": BeautifulSoup(page, "html.parser").select_one(
                'input[name="csrf_token"]')["value"],
            "details-version": version_on(page, "details-version"),
            "details-next_review_on-day": "1", "details-next_review_on-month": "2",
            "details-next_review_on-year": "2099", **fields})

    assert save(**{"details-keyworker_staff": str(partner.id)}).status_code == 302
    with app.app_context():
        entry = _db(app).session.get(RegisterEntry, entry_id)
        assert (entry.keyworker, entry.keyworker_staff_id) == ("Pat Partner", partner.id)
        assert entry.keyworker_contact == partner.email
    assert calls == [(entry_id, "Morgan Manager")]

    # Back to someone without an account, typed in.
    assert save(**{"details-keyworker_staff": "", "details-keyworker": "Sam Outside",
                   "details-keyworker_contact": "0113 496 0000"}).status_code == 302
    with app.app_context():
        entry = _db(app).session.get(RegisterEntry, entry_id)
        assert (entry.keyworker, entry.keyworker_staff_id) == ("Sam Outside", None)
        actions = list(_db(app).session.scalars(sa.select(AuditEvent.action).where(
            AuditEvent.subject_id == str(entry_id),
            AuditEvent.action == "register.keyworker_linked")))
    assert len(actions) == 2 and len(calls) == 2
    # Saving again with nothing changed tells nobody.
    assert save(**{"details-keyworker": "Sam Outside",
                   "details-keyworker_contact": "0113 496 0000"}).status_code == 302
    assert len(calls) == 2

    # An account that cannot be chosen (an admin): refused, and what was typed is kept.
    refused = save(**{"details-keyworker_staff": str(admin.id),
                      "details-keyworker": "Typed Name Kept"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "govuk-error-summary" in html
    assert 'value="Typed Name Kept"' in html
    with app.app_context():
        assert _db(app).session.get(RegisterEntry, entry_id).keyworker == "Sam Outside"

    # A save made from an older version is refused, keeping the keyworker chosen.
    page = client.get(url).get_data(as_text=True)
    old_version = version_on(page, "details-version")
    assert save(**{"details-keyworker": "Sam Outside"}).status_code == 302  # someone saves
    late = client.post(f"{url}/details", data={
        "csrf_token": BeautifulSoup(page, "html.parser").select_one(
            'input[name="csrf_token"]')["value"],
        "details-version": old_version, "details-keyworker_staff": str(partner.id),
        "details-next_review_on-day": "1", "details-next_review_on-month": "2",
        "details-next_review_on-year": "2099"})
    html = late.get_data(as_text=True)
    assert late.status_code == 200 and "changed this entry while you were working" in html
    chosen = BeautifulSoup(html, "html.parser").select_one(
        "#details-keyworker_staff option[selected]")
    assert chosen is not None and chosen.get_text() == "Pat Partner"
    with app.app_context():
        assert _db(app).session.get(RegisterEntry, entry_id).keyworker_staff_id is None


def test_my_children_puts_urgent_first_then_the_soonest_review(sqlite_app, sqlite_client):
    app, client = sqlite_app, sqlite_client
    sign_in(client, make_staff(app, "register_manager"))
    keyworker = make_staff(app, "triage_officer")
    soon = date.today() + timedelta(days=3)
    later = date.today() + timedelta(days=40)
    green_soon = accept_with_keyworker(client, ready_request(app), keyworker.id, "green", soon)
    red_later = accept_with_keyworker(client, ready_request(app), keyworker.id, "red", later)
    amber_later = accept_with_keyworker(client, ready_request(app), keyworker.id, "amber",
                                        later + timedelta(days=1))
    blue_later = accept_with_keyworker(client, ready_request(app), keyworker.id, "blue",
                                       later + timedelta(days=2))
    with app.app_context(), by_hand():  # one overdue
        _db(app).session.get(RegisterEntry, amber_later).next_review_on = (
            date.today() - timedelta(days=1))
        _db(app).session.commit()
    mine = app.test_client()
    sign_in(mine, keyworker)
    html = mine.get("/staff/my-children").get_data(as_text=True)
    rows = [r["id"] for r in BeautifulSoup(html, "html.parser").select("#my-children tbody tr")]
    assert rows == [f"child-{red_later}", f"child-{blue_later}", f"child-{amber_later}",
                    f"child-{green_soon}"]
    assert "Overdue" in row_text(html, amber_later)
    assert "Overdue" not in row_text(html, green_soon)


def test_the_daily_email_counts_reviews_due_within_a_week_once_a_day(
        sqlite_app, sqlite_client):
    from portal.cases.keyworkers import tell_of_reviews_due
    from portal.jobs import daily

    app, client = sqlite_app, sqlite_client
    sign_in(client, make_staff(app, "register_manager"))
    keyworker = make_staff(app, "triage_officer")
    gone = make_staff(app, "triage_officer")
    soon = date.today() + timedelta(days=3)
    first = ready_request(app)
    accept_with_keyworker(client, first, keyworker.id, "amber", soon)
    accept_with_keyworker(client, ready_request(app), keyworker.id, "amber",
                          date.today() + timedelta(days=6))
    accept_with_keyworker(client, ready_request(app), keyworker.id, "green",
                          date.today() + timedelta(days=30))
    accept_with_keyworker(client, ready_request(app), gone.id, "amber", soon)
    with app.app_context(), by_hand():
        _db(app).session.get(StaffUser, gone.id).disabled_at = utcnow()
        _db(app).session.commit()

    with app.app_context():
        outcome = daily.run_job("keyworker_reviews", "test " + utcnow().isoformat(),
                                worker="test")
        assert outcome.outcome == "done"
        tell_of_reviews_due()  # the same day again: nothing more
        _db(app).session.commit()
    sent = notices(app, keyworker.email, "keyworker_reviews_due")
    assert len(sent) == 1
    assert "2 children you key-work have a review due in the next 7 days" in sent[0].body
    assert first.child_name not in sent[0].body and first.reference not in sent[0].body
    assert "/staff/my-children" in sent[0].body
    assert notices(app, gone.email, "keyworker_reviews_due") == []


def test_partner_updates_show_as_new_for_the_keyworker(sqlite_app, sqlite_client):
    pytest.importorskip("portal.data.partners")
    app, client = sqlite_app, sqlite_client
    req = ready_request(app)
    sign_in(client, make_staff(app, "register_manager"))
    keyworker = make_staff(app, "register_manager")
    entry_id = accept_with_keyworker(client, req, keyworker.id)
    from tests.integration.test_partners import make_agency, make_partner

    agency_id, _ = make_agency(app)
    partner = app.test_client()
    sign_in(partner, make_partner(app, agency_id))
    assert partner.submit(f"/staff/register/{entry_id}/partner-update",
                          {"body": "School says mornings are hard."}).status_code == 302
    mail = notices(app, keyworker.email)
    assert len(mail) == 1 and "A partner agency has written an update." in mail[0].body
    assert "mornings" not in mail[0].body
    mine = app.test_client()
    sign_in(mine, keyworker)
    assert "1 new partner update" in row_text(mine.get("/staff/my-children").get_data(
        as_text=True), entry_id)


@pytest.mark.parametrize("role, status", [("admin", 403), ("partner_viewer", 200),
                                          ("register_manager", 200)])
def test_who_can_open_my_children(sqlite_app, sqlite_client, role, status):
    sign_in(sqlite_client, make_staff(sqlite_app, role))
    assert sqlite_client.get("/staff/my-children").status_code == status


def test_my_children_needs_signing_in(sqlite_client):
    assert sqlite_client.get("/staff/my-children").status_code == 302


def test_the_demo_triage_officer_keyworks_two_demo_children(sqlite_app):
    from portal.data.keyworkers import entries_of
    from portal.data.staff import find_staff_by_email
    from portal.demo import seed, seed_staff

    with sqlite_app.app_context():
        seed()
        seed_staff()
        seed_staff()  # again: nothing more
        _db(sqlite_app).session.commit()
        officer = find_staff_by_email("triage@demo.example")
        mine = entries_of(officer.id)
        assert len(mine) == 2
        assert {e.keyworker for e in mine} == {officer.name}


def test_the_reviews_email_can_be_run_by_cron_once_a_day(sqlite_app):
    runner = sqlite_app.test_cli_runner()
    day = ["keyworker-reviews", "--daily", "--today", "2030-06-14"]
    first = runner.invoke(args=day)
    again = runner.invoke(args=day)
    assert first.exit_code == 0 and "keyworker(s) of reviews due within a week" in first.output
    assert again.exit_code == 0 and "Already run for 2030-06-14: skipped." in again.output


def test_accepting_without_a_reason_keeps_the_keyworker_chosen(sqlite_app, sqlite_client):
    app, client = sqlite_app, sqlite_client
    req = ready_request(app)
    sign_in(client, make_staff(app, "triage_officer"))
    keyworker = make_staff(app, "register_manager", name="Kai Keyworker")
    page = client.get(f"/staff/requests/{req.id}/accept").get_data(as_text=True)
    refused = client.submit(f"/staff/requests/{req.id}/accept", {
        "version": version_on(page), "rating": "amber", "reason": "",
        "keyworker_staff": str(keyworker.id), "first_review-day": "1",
        "first_review-month": "1", "first_review-year": "2099"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "Enter why you chose this rating" in html
    chosen = BeautifulSoup(html, "html.parser").select_one("#keyworker_staff option[selected]")
    assert chosen is not None and chosen.get_text() == "Kai Keyworker"
    with app.app_context():
        assert _db(app).session.scalar(sa.select(sa.func.count()).select_from(RegisterEntry)
                                       .where(RegisterEntry.request_id == req.id)) == 0
