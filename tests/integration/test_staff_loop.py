"""Staff who hear and a register that stays in step: every dated form saves, urgent
requests waiting for consent are in the default queue, families' messages are noticed,
two children never share one record, the history reads in plain words, suggestions
follow the guidance, and meetings, next reviews and discharges follow the rating."""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from portal.data.audit import AuditEvent
from portal.data.outbox import OutboxMessage
from portal.data.register import RegisterEntry
from portal.data.requests import SupportRequest, TimelineStep
from tests.integration.staff_support import (
    make_staff,
    position,
    post_form,
    queue_rows,
    row_for,
    sign_in,
    version_on,
)
from tests.integration.test_family import family_signs_in
from tests.integration.test_staff_casework import _accept, ready_request
from tests.support import csrf_token, error_summary, unique_nhs_number, years_ago


def _db(app):
    return app.extensions["sqlalchemy"]


def staff(app, role: str = "triage_officer", name: str | None = None):
    client = app.test_client()
    user = make_staff(app, role, name=name)
    sign_in(client, user)
    return client, user


def stored(app, model, ident):
    with app.app_context():
        row = _db(app).session.get(model, ident)
        _db(app).session.expunge(row)
        return row


def sent_without_consent(app, **answers) -> str:
    """A family sends a request and has not given consent yet. Returns the reference."""
    family = app.test_client()
    family.answer_all(born=years_ago(11), **answers)
    page = family.get("/request/check-answers").get_data(as_text=True)
    key = re.search(r'name="submission_key" value="([^"]+)"', page).group(1)
    sent = family.post("/request/check-answers",
                       data={"csrf_token": csrf_token(page), "submission_key": key})
    return sent.headers["Location"].rsplit("/", 1)[1]


# 7. Every staff form with a date saves, with each combination of empty and filled parts --

COMBINATIONS = list(itertools.product((True, False), repeat=3))  # day, month, year filled?


def _parts(prefix: str, filled: tuple[bool, bool, bool], day: date) -> dict[str, str]:
    values = (str(day.day), str(day.month), str(day.year))
    return {f"{prefix}-{part}": value if keep else ""
            for part, value, keep in zip(("day", "month", "year"), values, filled,
                                         strict=True)}


def _expect(html: str, filled: tuple[bool, bool, bool], required: bool, field: str,
            saved: bool) -> None:
    if all(filled) or (not any(filled) and not required):
        assert saved, error_summary(html)
        return
    assert not saved
    messages = [message for _anchor, message in error_summary(html)]
    if not any(filled):
        assert any(m.startswith("Enter ") for m in messages), messages
    else:
        first_missing = ("day", "month", "year")[filled.index(False)]
        assert any(f"must include a {first_missing}" in m for m in messages), messages
        typed = [p for p, keep in zip(("day", "month", "year"), filled, strict=True) if keep]
        for part in typed:  # what was typed is still there
            assert re.search(rf'id="{field}-{part}"[^>]*value="\d+"', html), part


@pytest.fixture
def entry(app):
    """A child on the register, and a register manager at their entry."""
    client, _user = staff(app, "register_manager")
    url = _accept(client, ready_request(app))
    return client, url, int(url.rsplit("/", 1)[1])


@pytest.mark.parametrize("filled", COMBINATIONS)
@pytest.mark.parametrize("field", ["next_review_on", "cetr_last_on", "cetr_next_on"])
def test_the_keyworker_and_dates_form_saves_each_way_its_dates_can_be_typed(
        app, entry, field, filled):
    client, url, entry_id = entry
    page = client.get(url).get_data(as_text=True)
    day = date.today() + timedelta(days=40)
    data = {"csrf_token": csrf_token(page), "details-version": version_on(
        page, "details-version"), "details-keyworker": "Kim Keyworker",
        "details-keyworker_contact": "kim@example.org"}
    for other in ("next_review_on", "cetr_last_on", "cetr_next_on"):  # the rest, filled in
        data.update(_parts(f"details-{other}", (True, True, True), day + timedelta(days=1)))
    data.update(_parts(f"details-{field}", filled, day))
    response = client.post(f"/staff/register/{entry_id}/details", data=data)
    assert response.status_code in (200, 302)  # never a server error
    saved = response.status_code == 302
    _expect(response.get_data(as_text=True), filled, field == "next_review_on",
            f"details-{field}", saved)
    row = stored(app, RegisterEntry, entry_id)
    if saved:
        assert row.keyworker == "Kim Keyworker"
        assert getattr(row, field) == (day if all(filled) else None)
    else:
        assert row.keyworker is None  # nothing half-saved


@pytest.mark.parametrize("filled", COMBINATIONS)
def test_an_action_saves_only_with_a_whole_due_date(app, entry, filled):
    client, url, entry_id = entry
    page = client.get(url).get_data(as_text=True)
    day = date.today() + timedelta(days=20)
    response = client.post(f"/staff/register/{entry_id}/actions", data={
        "csrf_token": csrf_token(page), "action-version": version_on(page, "action-version"),
        "action-description": "Book a review meeting.", "action-owner": "Kim",
        **_parts("action-due_on", filled, day)})
    assert response.status_code in (200, 302)
    _expect(response.get_data(as_text=True), filled, True, "action-due_on",
            response.status_code == 302)
    shown = client.get(url).get_data(as_text=True)
    assert ("Book a review meeting." in shown) == all(filled)


@pytest.mark.parametrize("filled", COMBINATIONS)
def test_adding_to_the_register_saves_only_with_a_whole_first_review(app, filled):
    client, _user = staff(app)
    req = ready_request(app)
    page = client.get(f"/staff/requests/{req.id}/accept").get_data(as_text=True)
    day = date.today() + timedelta(days=10)
    response = client.post(f"/staff/requests/{req.id}/accept", data={
        "csrf_token": csrf_token(page), "version": version_on(page), "rating": "green",
        "reason": "Early help.", "keyworker": "", **_parts("first_review", filled, day)})
    assert response.status_code in (200, 302)
    _expect(response.get_data(as_text=True), filled, True, "first_review",
            response.status_code == 302)
    with app.app_context():
        entry_row = _db(app).session.scalars(sa.select(RegisterEntry).where(
            RegisterEntry.request_id == req.id)).first()
        assert (entry_row is not None) == all(filled)
        if entry_row is not None:
            assert entry_row.next_review_on == day


@pytest.mark.parametrize("filled", COMBINATIONS)
def test_a_consent_finding_saves_only_with_a_whole_assessment_date(app, filled):
    from tests.integration.test_consent import request_row, send_request

    reference = send_request(app.test_client(), born=years_ago(13))
    with app.app_context():
        request_id = request_row(app, reference).id
    client, _user = staff(app, "register_manager")
    url = f"/staff/requests/{request_id}/consent-finding"
    page = client.get(url).get_data(as_text=True)
    response = client.post(url, data={
        "csrf_token": csrf_token(page), "version": version_on(page),
        "finding": "gillick_competent", "assessed_by": "Dr Example",
        "note": "Understands the register and can decide.",
        **_parts("assessed_on", filled, date.today() - timedelta(days=2))})
    assert response.status_code in (200, 302)
    _expect(response.get_data(as_text=True), filled, True, "assessed_on",
            response.status_code == 302)


# 8. Urgent requests waiting for consent are in the default view ------------------------

@pytest.mark.parametrize("urgent", [{"hospital": {"in_hospital": "yes"}},
                                    {"happening-now": {"risks": ["imminent_admission"]}}])
def test_an_urgent_request_waiting_for_consent_is_at_the_top_of_the_default_queue(app, urgent):
    calm = ready_request(app)
    reference = sent_without_consent(app, **urgent)
    client, _user = staff(app)
    rows = queue_rows(client)  # the default view, every page of it
    assert position(rows, reference) < position(rows, calm.reference)
    row = row_for(rows, reference)
    assert "Consent needed" in row
    assert "Due today" in row or "overdue" in row
    # Requests waiting for consent that are not urgent stay out of the default view.
    routine = sent_without_consent(app)
    assert not any(routine in r for r in queue_rows(client))
    assert row_for(queue_rows(client, "/staff/queue?show=consent"), routine)


# 9. A family's message is noticed ------------------------------------------------------

def test_a_familys_message_is_marked_listed_and_emailed_until_someone_reads_it(app):
    req = ready_request(app)
    client, officer = staff(app, name="Tess Triage")
    post_form(client, "/staff/queue", f"/staff/requests/{req.id}/assign", {"back": "queue"})
    family = family_signs_in(app, req.contact_email)
    page = family.get(f"/account/requests/{req.reference}").get_data(as_text=True)
    family.post(f"/account/requests/{req.reference}/reply", data={
        "csrf_token": csrf_token(page), "body": "School rang: he was sent home again."})
    assert "New message" in row_for(queue_rows(client, "/staff/queue?assigned=me"),
                                    req.reference)
    queue = client.get("/staff/queue").get_data(as_text=True)
    waiting = BeautifulSoup(queue, "html.parser").select_one("#messages-waiting")
    assert waiting is not None and req.child_name in waiting.get_text()
    with app.app_context():
        mail = _db(app).session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.kind == "staff_message",
            OutboxMessage.to_address == officer.email)).one()
    assert req.reference in mail.body
    assert req.child_name not in mail.body and "sent home" not in mail.body
    # Reading it clears the mark, and says who read it.
    opened = client.get(f"/staff/requests/{req.id}").get_data(as_text=True)
    assert "read by Tess Triage" in opened
    assert "New message" not in row_for(queue_rows(client, "/staff/queue?assigned=me"),
                                        req.reference)
    queue = client.get("/staff/queue").get_data(as_text=True)
    assert BeautifulSoup(queue, "html.parser").select_one("#messages-waiting") is None or (
        req.child_name not in BeautifulSoup(queue, "html.parser").select_one(
            "#messages-waiting").get_text())


def test_a_message_about_a_child_on_the_register_reaches_their_keyworker(app):
    req = ready_request(app)
    client, _user = staff(app, "register_manager")
    url = _accept(client, req)
    entry_id = int(url.rsplit("/", 1)[1])
    page = client.get(url).get_data(as_text=True)
    day = date.today() + timedelta(days=30)
    client.post(f"/staff/register/{entry_id}/details", data={
        "csrf_token": csrf_token(page), "details-version": version_on(page, "details-version"),
        "details-keyworker": "Kim Keyworker", "details-keyworker_contact": "kim@example.org",
        **_parts("details-next_review_on", (True, True, True), day)})
    family = family_signs_in(app, req.contact_email)
    mine = family.get(f"/account/requests/{req.reference}").get_data(as_text=True)
    family.post(f"/account/requests/{req.reference}/reply",
                data={"csrf_token": csrf_token(mine), "body": "Can we talk?"})
    assert "1 new message" in client.get(url).get_data(as_text=True)
    with app.app_context():
        assert _db(app).session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.kind == "staff_message",
            OutboxMessage.to_address == "kim@example.org")).one()


# 10. Two children, one NHS number; one child, two requests ------------------------------

def test_a_shared_nhs_number_warns_and_never_merges_two_children(app):
    number = unique_nhs_number()
    first = ready_request(app, **{"nhs-number": {"nhs_number": number},
                                  "child-name": {"child_name": "Ann One Example"}})
    second = ready_request(app, **{"nhs-number": {"nhs_number": number},
                                   "child-name": {"child_name": "Bea Two Example"}})
    client, _user = staff(app, "register_manager")
    first_entry = _accept(client, first)
    assert "NHS number clash" in row_for(queue_rows(client), second.reference)
    page = client.get(f"/staff/requests/{second.id}").get_data(as_text=True)
    assert 'id="nhs-conflict"' in page and first.reference in page
    form = client.get(f"/staff/requests/{second.id}/accept").get_data(as_text=True)
    refused = client.post(f"/staff/requests/{second.id}/accept", data={
        "csrf_token": csrf_token(form), "version": version_on(form), "rating": "amber",
        "reason": "x", "first_review-day": "1", "first_review-month": "1",
        "first_review-year": "2099"})
    assert refused.status_code == 200 and 'id="nhs-clash"' in refused.get_data(as_text=True)
    assert "Ann One Example" in client.get(first_entry).get_data(as_text=True)
    # Staff correct the number (audited, before and after), then both are on the register.
    fixed = unique_nhs_number()
    url = f"/staff/requests/{second.id}/nhs-number"
    saved = client.submit(url, {"version": version_on(client.get(url).get_data(as_text=True)),
                                "nhs_number": fixed})
    assert saved.status_code == 302
    with app.app_context():
        event = _db(app).session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "request.nhs_number",
            AuditEvent.subject_id == str(second.id))).one()
        assert event.detail == {"from": number, "to": fixed}
    second_entry = _accept(client, second)
    assert second_entry != first_entry
    assert "Bea Two Example" in client.get(second_entry).get_data(as_text=True)


def test_the_same_child_asked_for_twice_is_marked_and_can_be_closed(app):
    same = {"child-name": {"child_name": "Cal Twice Example"}}
    first = ready_request(app, **same)
    again = ready_request(app, **same)
    client, _user = staff(app)
    assert "Possible duplicate" in row_for(queue_rows(client), again.reference)
    page = client.get(f"/staff/requests/{again.id}").get_data(as_text=True)
    assert 'id="possible-duplicate"' in page and first.reference in page
    url = f"/staff/requests/{again.id}/same-child"
    form = client.get(url).get_data(as_text=True)
    assert f'value="{first.reference}"' in form  # the suggested request, filled in
    closed = client.submit(url, {"version": version_on(form), "other": first.reference,
                                 "how": "close", "note": ""})
    assert closed.status_code == 302
    row = stored(app, SupportRequest, again.id)
    assert (row.state, row.family_status, row.duplicate_of_id) == ("duplicate", "duplicate",
                                                                   first.id)
    family = family_signs_in(app, again.contact_email)
    mine = family.get(f"/account/requests/{again.reference}").get_data(as_text=True)
    assert "we already have a request for this child" in mine


# 11. The family's timeline is stored; the staff history reads in plain words ------------

def test_the_timeline_is_written_as_things_happen_and_the_history_names_who(app):
    req = ready_request(app)
    client, _user = staff(app, name="Tess Triage")
    client.get(f"/staff/requests/{req.id}")
    client.get(f"/staff/requests/{req.id}")
    post_form(client, f"/staff/requests/{req.id}", f"/staff/requests/{req.id}/assign", {})
    page = client.get(f"/staff/requests/{req.id}").get_data(as_text=True)
    history = BeautifulSoup(page, "html.parser").select_one("#history").get_text(" ")
    assert "request.viewed" not in history and "consent.given" not in history
    assert "Tess Triage" in history and "Assigned to Tess Triage" in history
    assert len(re.findall("Opened the record", history)) == 1  # folded: one line a day
    assert "Opened the record 4 times that day" in history  # this look included
    assert "A parent or carer" in history and "Consent answer given: yes" in history
    _accept(client, req)
    with app.app_context():
        steps = [s.step for s in _db(app).session.scalars(sa.select(TimelineStep).where(
            TimelineStep.request_id == req.id).order_by(TimelineStep.id))]
    assert steps == ["sent", "consent_complete", "being_looked_at", "accepted"]
    family = family_signs_in(app, req.contact_email)
    timeline = BeautifulSoup(family.get(f"/account/requests/{req.reference}").get_data(
        as_text=True), "html.parser").select_one("#timeline").get_text(" ")
    for step in ("Request sent", "Consent complete", "The team started looking at it",
                 "Added to the register"):
        assert step in timeline


# 12. Suggestions follow the guidance, and every reason is shown ------------------------

def test_staff_see_every_reason_and_four_lesser_signals_stay_amber(app):
    client, _user = staff(app)
    many = ready_request(app, **{"happening-now": {"risks": [
        "placement_unstable", "behaviour_concern", "family_strain", "support_changes"]}})
    assert (many.suggested_rating, many.priority) == ("amber", 1)
    assert "working days left" in row_for(queue_rows(client), many.reference)
    red = ready_request(app, **{"happening-now": {"risks": [
        "imminent_admission", "family_strain", "previous_admission"]}})
    suggestion = BeautifulSoup(client.get(f"/staff/requests/{red.id}").get_data(
        as_text=True), "html.parser").select_one("#suggestion").get_text(" ")
    for words in ("may need to go into a mental-health hospital soon",
                  "The family is finding it very hard to cope",
                  "They have been in a mental-health hospital before"):
        assert words in suggestion


def test_the_request_asks_about_the_signals_the_guidance_names(app, client):
    client.answer_all()
    page = client.get("/request/happening-now").get_data(as_text=True)
    for words in ("behaviour that challenges is severe", "place has broken down",
                  "significant needs that nobody is meeting",
                  "Several services need to work together"):
        assert words in page
    hospital = client.get("/request/hospital").get_data(as_text=True)
    assert "another inpatient unit" in hospital and "autism units" in hospital


# 13. Meetings, next reviews and discharges follow the rating ---------------------------

def test_the_meeting_has_its_own_date_and_the_next_review_follows_the_rating(app):
    client, _user = staff(app, "register_manager")
    url = _accept(client, ready_request(app))
    entry_id = int(url.rsplit("/", 1)[1])
    page = client.get(url).get_data(as_text=True)  # a review long overdue: due by 2020
    client.post(f"/staff/register/{entry_id}/details", data={
        "csrf_token": csrf_token(page), "details-version": version_on(page, "details-version"),
        **_parts("details-next_review_on", (True, True, True), date(2020, 1, 1))})
    meeting = "/staff/meeting?meeting=2026-12-01&due=2020-01-01"
    page = client.get(meeting).get_data(as_text=True)
    assert f'id="entry-{entry_id}"' in page and 'value="2026-12-01"' in page
    version = re.search(rf'name="e{entry_id}-version" value="(\d+)"', page).group(1)
    saved = post_form(client, meeting, meeting, {
        "entry": str(entry_id), f"e{entry_id}-version": version, f"e{entry_id}-rating": "red",
        f"e{entry_id}-outcome": "Escalate.", f"e{entry_id}-next_review": "usual"})
    assert saved.status_code == 302
    row = stored(app, RegisterEntry, entry_id)
    red_days = app.config["REVIEW_DAYS"]["red"]
    assert row.rating == "red"
    assert row.next_review_on == date(2026, 12, 1) + timedelta(days=red_days)
    # A rating changed on the entry moves the next review to that rating's usual time.
    page = client.get(url).get_data(as_text=True)
    client.post(f"/staff/register/{entry_id}/rating", data={
        "csrf_token": csrf_token(page), "rating-version": version_on(page, "rating-version"),
        "rating-rating": "green", "rating-reason": "Much calmer since the new support."})
    green_days = app.config["REVIEW_DAYS"]["green"]
    assert stored(app, RegisterEntry, entry_id).next_review_on == (
        date.today() + timedelta(days=green_days))


def _change_rating(client, url: str, entry_id: int, rating: str, confirm: bool = False):
    page = client.get(url).get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "rating-version": version_on(page, "rating-version"),
            "rating-rating": rating, "rating-reason": f"Now {rating}."}
    if confirm:
        data["rating-below_red"] = "y"
    return client.post(f"/staff/register/{entry_id}/rating", data=data)


def test_leaving_hospital_prompts_red_for_at_least_two_weeks(app):
    client, _user = staff(app, "register_manager")
    url = _accept(client, ready_request(app))
    entry_id = int(url.rsplit("/", 1)[1])
    assert _change_rating(client, url, entry_id, "blue").status_code == 302
    prompted = _change_rating(client, url, entry_id, "amber")
    html = prompted.get_data(as_text=True)
    assert prompted.status_code == 200 and "they stay Red until" in html
    assert stored(app, RegisterEntry, entry_id).rating == "blue"
    assert _change_rating(client, url, entry_id, "red").status_code == 302
    row = stored(app, RegisterEntry, entry_id)
    assert row.rating == "red" and row.discharged_on == date.today()
    assert "they stay Red until" in client.get(url).get_data(as_text=True)
    assert _change_rating(client, url, entry_id, "amber").status_code == 200
    assert _change_rating(client, url, entry_id, "amber", confirm=True).status_code == 302
    assert stored(app, RegisterEntry, entry_id).rating == "amber"


def test_answers_that_show_danger_now_are_urgent_and_flagged_for_staff(app):
    words = {"happening-now": {"risks": ["family_strain"], "risks_in_own_words":
                               "He tried to jump out of the window tonight. I can't keep "
                               "him safe."}}
    calm = ready_request(app)
    reference = sent_without_consent(app, **words)
    client, _user = staff(app)
    rows = queue_rows(client)  # the default view: urgent, though only Amber is suggested
    assert position(rows, reference) < position(rows, calm.reference)
    row = row_for(rows, reference)
    assert "Danger now" in row and "Consent needed" in row
    assert "Due today" in row or "overdue" in row
    with app.app_context():
        req = _db(app).session.scalars(sa.select(SupportRequest).where(
            SupportRequest.reference == reference)).one()
        assert (req.suggested_rating, req.priority, req.danger_now) == ("amber", 0, True)
    page = client.get(f"/staff/requests/{req.id}").get_data(as_text=True)
    assert 'id="danger-now"' in page
