"""Triage and the register: the queue, decisions, conflicts, and who may do what."""

from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa

from portal.data.audit import AuditEvent
from portal.data.outbox import OutboxMessage
from portal.data.register import RatingChange, RegisterEntry
from portal.data.requests import SupportRequest
from tests.integration.staff_support import (
    make_staff,
    position,
    post_form,
    queue_rows,
    row_for,
    sign_in,
    version_on,
)
from tests.integration.test_consent import parent_signs
from tests.support import csrf_token, error_summary, unique_nhs_number, years_ago


def _db(app):
    return app.extensions["sqlalchemy"]


def ready_request(app, **answers) -> SupportRequest:
    """A request for a new child, sent through the family journey, with a parent's consent."""
    family = app.test_client()
    tag = uuid.uuid4().hex[:8]
    email = f"family.{tag}@example.com"
    answers = {"child-name": {"child_name": f"Robin {tag} Example",
                              "child_preferred_name": "Robin"},
               "nhs-number": {"nhs_number": ""},
               "contact-details": {"contact_email": email, "contact_phone": ""}, **answers}
    family.answer_all(born=years_ago(12), **answers)
    page = family.get("/request/check-answers").get_data(as_text=True)
    key = re.search(r'name="submission_key" value="([^"]+)"', page).group(1)
    sent = family.post("/request/check-answers",
                       data={"csrf_token": csrf_token(page), "submission_key": key})
    reference = sent.headers["Location"].rsplit("/", 1)[1]
    parent_signs(family, reference)
    with app.app_context():
        req = _db(app).session.scalars(sa.select(SupportRequest).where(
            SupportRequest.reference == reference)).one()
        _db(app).session.expunge(req)
    assert req.state == "ready_for_triage"
    return req


@pytest.fixture
def triage(app, client):
    user = make_staff(app, "triage_officer", name="Tess Triage")
    sign_in(client, user)
    return user


def test_the_queue_puts_urgent_requests_first(app, client, triage):
    calm = ready_request(app)
    urgent = ready_request(app, **{"happening-now": {"risks": ["imminent_admission"]}})
    rows = queue_rows(client, "/staff/queue?show=ready")
    assert position(rows, urgent.reference) < position(rows, calm.reference)
    row = row_for(rows, urgent.reference)
    assert "Due today" in row or "overdue" in row
    red_only = queue_rows(client, "/staff/queue?show=ready&rating=red")
    assert any(urgent.reference in r for r in red_only)
    assert not any(calm.reference in r for r in red_only)


def test_assign_to_me_and_filter_mine(app, client, triage):
    req = ready_request(app)
    post_form(client, "/staff/queue", f"/staff/requests/{req.id}/assign", {"back": "queue"})
    mine = client.get("/staff/queue?show=ready&assigned=me").get_data(as_text=True)
    assert req.reference in mine and "Tess Triage" in mine


def test_the_request_on_one_screen_and_every_view_is_audited(app, client, triage):
    req = ready_request(app, **{"happening-now": {"risks": ["severe_distress",
                                                            "family_strain"]}})
    html = client.get(f"/staff/requests/{req.id}").get_data(as_text=True)
    for shown in (req.child_name, "LS1 4AP",
                  "Suggested rating", "They are in severe distress", "Alex Example",
                  "Consent is complete", "Mother"):
        assert shown in html, shown
    with app.app_context():
        views = _db(app).session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                                        .where(AuditEvent.action == "request.viewed",
                                               AuditEvent.subject_id == str(req.id),
                                               AuditEvent.actor_id == str(triage.id)))
    assert views == 1


def test_accept_onto_the_register_with_a_rating(app, client, triage):
    req = ready_request(app)
    page = client.get(f"/staff/requests/{req.id}/accept").get_data(as_text=True)
    assert re.search(r'value="amber"\s+checked', page)  # the suggestion, pre-selected
    moved = client.submit(f"/staff/requests/{req.id}/accept", {
        "version": version_on(page), "rating": "red", "reason": "School placement at risk.",
        "keyworker": "Kim Keyworker", "first_review-day": "1", "first_review-month": "1",
        "first_review-year": "2099"})
    assert "/staff/register/" in moved.headers["Location"]
    entry_page = client.get(moved.headers["Location"]).get_data(as_text=True)
    assert "Kim Keyworker" in entry_page and "School placement at risk." in entry_page
    with app.app_context():
        db = _db(app)
        entry = db.session.scalars(sa.select(RegisterEntry).where(
            RegisterEntry.request_id == req.id)).one()
        assert entry.rating == "red" and not entry.rating_released
        assert db.session.get(SupportRequest, req.id).state == "accepted"
        assert db.session.scalars(sa.select(RatingChange).where(
            RatingChange.entry_id == entry.id)).one().changed_by == "Tess Triage"
        assert db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.kind == "decision_accepted",
            OutboxMessage.dedupe_key == f"decision:{req.reference}")).one()


def test_decline_with_reasons_the_family_can_read(app, client, triage):
    req = ready_request(app)
    page = client.get(f"/staff/requests/{req.id}/decline").get_data(as_text=True)
    empty = client.submit(f"/staff/requests/{req.id}/decline",
                          {"version": version_on(page), "reason": "", "help_text": ""})
    assert len(error_summary(empty.get_data(as_text=True))) == 2
    client.submit(f"/staff/requests/{req.id}/decline", {
        "version": version_on(page), "reason": "Needs are being met at school.",
        "help_text": "Your SENDIASS service can help: 0300 000 0000."})
    with app.app_context():
        db = _db(app)
        assert db.session.get(SupportRequest, req.id).state == "declined"
        mail = db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.kind == "decision_declined",
            OutboxMessage.dedupe_key == f"decision:{req.reference}")).one()
        assert "SENDIASS" in mail.body and "Needs are being met" in mail.body


def test_ask_for_more_information_keeps_the_question_out_of_the_email(app, client, triage):
    req = ready_request(app)
    page = client.get(f"/staff/requests/{req.id}/more-information").get_data(as_text=True)
    client.submit(f"/staff/requests/{req.id}/more-information", {
        "version": version_on(page), "question": "Which school does Robin go to now?"})
    with app.app_context():
        db = _db(app)
        assert db.session.get(SupportRequest, req.id).state == "more_info_requested"
        mail = db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.kind == "family_message",
            OutboxMessage.to_address == req.contact_email)).one()
        assert "Which school" not in mail.body and req.reference in mail.body
    assert "Which school does Robin go to now?" in client.get(
        f"/staff/requests/{req.id}").get_data(as_text=True)


def test_a_stale_save_is_refused_and_keeps_what_was_typed(app, client, triage):
    req = ready_request(app)
    entry_url = _accept(client, req)
    other = app.test_client()
    colleague = make_staff(app, "register_manager", name="Morgan Manager")
    sign_in(other, colleague)
    mine = client.get(entry_url).get_data(as_text=True)
    theirs = other.get(entry_url).get_data(as_text=True)
    entry_id = entry_url.rsplit("/", 1)[1]
    saved = other.post(f"/staff/register/{entry_id}/rating", data={
        "csrf_token": csrf_token(theirs), "rating-version": version_on(theirs, "rating-version"),
        "rating-rating": "blue", "rating-reason": "Admitted to hospital last night."})
    assert saved.status_code == 302
    stale = client.post(f"/staff/register/{entry_id}/rating", data={
        "csrf_token": csrf_token(mine), "rating-version": version_on(mine, "rating-version"),
        "rating-rating": "green", "rating-reason": "Things have settled."})
    html = stale.get_data(as_text=True)
    assert stale.status_code == 200
    assert "Morgan Manager changed this entry" in html
    assert "Things have settled." in html  # what they typed is still there
    with app.app_context():
        entry = _db(app).session.get(RegisterEntry, int(entry_id))
        assert entry.rating == "blue"  # nothing overwritten
        assert entry.cetr_next_on is not None  # Blue: a C(E)TR is planned


def _accept(client, req) -> str:
    page = client.get(f"/staff/requests/{req.id}/accept").get_data(as_text=True)
    moved = client.submit(f"/staff/requests/{req.id}/accept", {
        "version": version_on(page), "rating": "amber", "reason": "Coordination needed.",
        "keyworker": "", "first_review-day": "1", "first_review-month": "1",
        "first_review-year": "2099"})
    return moved.headers["Location"]


def test_one_active_entry_per_child(app, client, triage):
    nhs = {"nhs-number": {"nhs_number": unique_nhs_number()},
           "child-name": {"child_name": "Sam Twice Example"}}
    first = ready_request(app, **nhs)
    entry_url = _accept(client, first)
    again = ready_request(app, **nhs)  # the same child (same NHS number), asked again
    shown = client.submit(f"/staff/requests/{again.id}/accept", {
        "version": version_on(client.get(f"/staff/requests/{again.id}/accept").get_data(
            as_text=True)),
        "rating": "amber", "reason": "x", "first_review-day": "1",
        "first_review-month": "1", "first_review-year": "2099"})
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200 and "is already on the register" in html
    assert entry_url.split("/staff/", 1)[1] in html  # a link to their entry
    join = f"/staff/requests/{again.id}/same-child?other={first.reference}"
    joined = client.submit(join, {
        "version": version_on(client.get(join).get_data(as_text=True)),
        "other": first.reference, "how": "join", "note": "Second parent asked too."})
    assert joined.status_code == 302
    with app.app_context():
        stored = _db(app).session.get(SupportRequest, again.id)
        assert (stored.state, stored.duplicate_of_id, stored.family_status) == (
            "duplicate", first.id, "joined")
    assert again.reference not in client.get("/staff/queue?show=all").get_data(as_text=True)


def test_actions_notes_and_closing(app, client, triage):
    entry_url = _accept(client, ready_request(app))
    entry_id = entry_url.rsplit("/", 1)[1]
    page = client.get(entry_url).get_data(as_text=True)
    client.post(f"/staff/register/{entry_id}/actions", data={
        "csrf_token": csrf_token(page), "action-version": version_on(page, "action-version"),
        "action-description": "Book a C(E)TR.", "action-owner": "Kim Keyworker",
        "action-due_on-day": "2", "action-due_on-month": "2", "action-due_on-year": "2099"})
    page = client.get(entry_url).get_data(as_text=True)
    assert "Book a C(E)TR." in page
    client.post(f"/staff/register/{entry_id}/close", data={
        "csrf_token": csrf_token(page), "close-version": version_on(page, "close-version"),
        "close-reason": "risk_reduced"})
    with app.app_context():
        entry = _db(app).session.get(RegisterEntry, int(entry_id))
        assert entry.closed_at is not None and entry.closed_reason == "risk_reduced"
    assert "Closed" in client.get(entry_url).get_data(as_text=True)


# Who may do what ------------------------------------------------------------------------

ROLES = ("triage_officer", "register_manager", "partner_viewer", "admin")
GET_PAGES = {
    # path template: roles that get 200 (everyone else signed in gets 403)
    "/staff/queue": {"triage_officer", "register_manager"},
    "/staff/requests/{request}": {"triage_officer", "register_manager"},
    "/staff/requests/{ready}/accept": {"triage_officer", "register_manager"},
    "/staff/register": {"triage_officer", "register_manager", "partner_viewer"},
    "/staff/register/{entry}": {"triage_officer", "register_manager", "partner_viewer"},
    "/staff/audit": {"register_manager"},
    "/staff/admin/staff": {"admin"},
    "/staff/admin/staff/new": {"admin"},
}
POSTS = {
    "/staff/requests/{ready}/assign": {"triage_officer", "register_manager"},
    "/staff/register/{entry}/release": {"register_manager"},
    "/staff/register/{entry}/notes": {"triage_officer", "register_manager"},
    "/staff/admin/staff/{staff}/disable": {"admin"},
}


@pytest.fixture
def subjects(app):
    manager_client = app.test_client()
    manager = make_staff(app, "register_manager")
    sign_in(manager_client, manager)
    req = ready_request(app)
    entry_url = _accept(manager_client, req)
    victim = make_staff(app, "partner_viewer")
    return {"request": req.id, "entry": int(entry_url.rsplit("/", 1)[1]), "staff": victim.id,
            "ready": ready_request(app).id}


def _counts(app):
    with app.app_context():
        db = _db(app)
        return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(t))
                     for t in (AuditEvent, RegisterEntry, SupportRequest, OutboxMessage))


@pytest.mark.parametrize("role", [None, *ROLES])
def test_each_role_gets_the_right_answer_and_refusals_change_nothing(app, subjects, role):
    """A refused change leaves every record as it was; the only trace is one security
    event in the audit log when someone signed in was refused."""
    client = app.test_client()
    if role:
        sign_in(client, make_staff(app, role))
    token = csrf_token(client.get("/staff/sign-in").get_data(as_text=True)) if not role else \
        csrf_token(client.get("/request").get_data(as_text=True))
    for template, allowed in GET_PAGES.items():
        path = template.format(**subjects)
        status = client.get(path).status_code
        expected = 302 if role is None else (200 if role in allowed else 403)
        assert status == expected, (role, path, status)
    for template, allowed in POSTS.items():
        path = template.format(**subjects)
        if role in allowed:
            continue  # allowed changes are tested above; here: refusals
        before = _counts(app)
        status = client.post(path, data={"csrf_token": token, "release": "1",
                                          "note-body": "x", "note-version": "1"}).status_code
        assert status == (302 if role is None else 403), (role, path, status)
        after = _counts(app)
        assert after[1:] == before[1:], (role, path)
        assert after[0] == before[0] + (0 if role is None else 1), (role, path)
        if role is not None:
            assert _last_event(app) == "access.forbidden", (role, path)


def _last_event(app):
    with app.app_context():
        return _db(app).session.scalar(
            sa.select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1))


def test_an_admin_sees_no_child_records(app, subjects):
    client = app.test_client()
    sign_in(client, make_staff(app, "admin"))
    for path in (f"/staff/requests/{subjects['request']}", f"/staff/register/{subjects['entry']}",
                 "/staff/register", "/staff/queue", "/staff/audit"):
        assert client.get(path).status_code == 403, path


def test_the_audit_log_filters_by_child_and_by_staff(app, client, subjects):
    manager = make_staff(app, "register_manager", name="Audrey Auditor")
    sign_in(client, manager)
    client.get(f"/staff/requests/{subjects['request']}")
    with app.app_context():
        reference = _db(app).session.get(SupportRequest, subjects["request"]).reference
    by_child = client.get(f"/staff/audit?reference={reference.lower()}").get_data(as_text=True)
    assert "request.viewed" in by_child and "register.added" in by_child
    by_staff = client.get(f"/staff/audit?staff={manager.id}").get_data(as_text=True)
    assert "Audrey Auditor" in by_staff and "request.viewed" in by_staff
