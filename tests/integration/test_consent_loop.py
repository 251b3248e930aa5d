"""Consent you can trust, followed everywhere it counts: withdrawal closes the register
entry, only the young person answers for themselves, receipts go to whoever signed, a
child's no is heard, 18-year-olds are sent to the adult register, and staff record
Gillick competence and lack of capacity in their own pages."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from portal.data.audit import AuditEvent
from portal.data.consent import Consent
from portal.data.outbox import OutboxMessage
from portal.data.register import RegisterEntry
from portal.data.requests import SupportRequest
from tests.integration.staff_support import make_staff, post_form, sign_in, version_on
from tests.integration.test_consent import (
    follow,
    link_in,
    parent_signs,
    request_row,
    send_request,
    young_person_answers,
)
from tests.integration.test_family import family_signs_in
from tests.integration.test_staff_casework import _accept, ready_request
from tests.support import by_hand, csrf_token, years_ago


def _db(app):
    return app.extensions["sqlalchemy"]


def mails(app, address: str, kind: str) -> list[OutboxMessage]:
    with app.app_context():
        return list(_db(app).session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.to_address == address, OutboxMessage.kind == kind)))


def staff(app, role: str = "triage_officer", name: str | None = None):
    client = app.test_client()
    sign_in(client, make_staff(app, role, name=name))
    return client


def withdraw_by_link(app, address: str, name: str = "Alex Example"):
    """Open the withdraw link from the signer's receipt, on a device of theirs, and confirm."""
    path = link_in(mails(app, address, "consent_receipt")[-1].body, "withdraw/link")
    device = app.test_client()
    assert follow(device, path).headers["Location"].endswith("/withdraw/confirm")
    done = device.submit("/withdraw/confirm", {"withdrawn_by": name})
    assert done.headers["Location"].endswith("/withdraw/done")
    return device


# 1. Withdrawing the consent an entry stands on ------------------------------------------

def test_withdrawal_takes_the_child_off_the_register_everywhere(app):
    req = ready_request(app)
    manager = staff(app, "register_manager", "Rhea Manager")
    entry_url = _accept(manager, req)
    entry_id = int(entry_url.rsplit("/", 1)[1])
    post_form(manager, entry_url, f"/staff/register/{entry_id}/release", {"release": "1"})
    family = family_signs_in(app, req.contact_email)
    before = family.get(f"/account/requests/{req.reference}").get_data(as_text=True)
    assert 'id="rating-card"' in before and "On the register" in before

    withdraw_by_link(app, req.contact_email)

    with app.app_context():
        entry = _db(app).session.get(RegisterEntry, entry_id)
        assert entry.closed_at is not None and entry.closed_reason == "consent_withdrawn"
        stored = _db(app).session.get(SupportRequest, req.id)
        assert (stored.state, stored.family_status) == ("withdrawn", "withdrawn")
    # Off the live register, the meeting, the attention lists and the export.
    assert req.child_name not in manager.get("/staff/register").get_data(as_text=True)
    assert req.child_name not in manager.get("/staff/meeting?due=2099-12-31").get_data(
        as_text=True)
    assert req.child_name not in manager.get("/staff/attention").get_data(as_text=True)
    assert req.child_name not in manager.get("/staff/register/export.csv").get_data(
        as_text=True)
    # Nobody can change its rating now.
    page = manager.get(entry_url).get_data(as_text=True)
    assert "Change the rating" not in page and "Consent withdrawn" in page
    refused = manager.post(f"/staff/register/{entry_id}/rating", data={
        "csrf_token": csrf_token(page), "rating-version": "1", "rating-rating": "red",
        "rating-reason": "x"})
    assert refused.status_code == 409
    # Staff hear: a notice at the top of the queue, and an email with no details.
    queue = BeautifulSoup(manager.get("/staff/queue").get_data(as_text=True), "html.parser")
    notice = queue.select_one("#family-updates")
    assert notice is not None and "Consent withdrawn" in notice.get_text()
    assert req.child_name in notice.get_text()
    told = mails(app, app.config["TEAM_EMAIL"], "staff_consent_withdrawn")
    assert any(req.reference in m.body and req.child_name not in m.body for m in told)
    # The family's page and emails say the same thing: withdrawn, no rating card.
    mine = family.get(f"/account/requests/{req.reference}").get_data(as_text=True)
    status = BeautifulSoup(mine, "html.parser").select_one("#status").get_text()
    assert "Consent withdrawn: not on the register" in status
    assert 'id="rating-card"' not in mine and "Their rating" not in mine
    assert mails(app, req.contact_email, "family_status")
    assert mails(app, req.contact_email, "withdrawal_receipt")


def test_withdrawal_before_a_decision_stops_triage(app):
    req = ready_request(app)
    officer = staff(app)
    withdraw_by_link(app, req.contact_email)
    page = officer.get(f"/staff/requests/{req.id}").get_data(as_text=True)
    assert "Add to the register" not in page
    assert req.reference not in officer.get("/staff/queue?show=all").get_data(as_text=True)
    with app.app_context():
        assert _db(app).session.get(SupportRequest, req.id).state == "withdrawn"


# 2. and 3. Only the young person answers, and their receipts go to them ----------------

def test_a_parents_browser_cannot_answer_as_the_young_person(app, client):
    reference = send_request(client, born=years_ago(16, days=30), email="p16@example.com")
    parent_signs(client, reference)
    # The parent asks for a code and opens the young person's link in their own browser.
    assert client.submit(f"/consent/{reference}/ask-young-person",
                         {"how": "screen"}).status_code == 302
    code_page = client.get(f"/consent/{reference}/ask-young-person/code").get_data(
        as_text=True)
    link = re.search(r'id="young-person-link"[^>]*>\s*([^<\s]+)', code_page).group(1)
    path = re.sub(r"^https?://[^/]+", "", link)
    refused = client.get(path)
    assert refused.status_code == 403 and "Only Sammy can answer" in refused.get_data(
        as_text=True)
    assert client.post(path, data={"csrf_token": csrf_token(
        client.get("/request").get_data(as_text=True))}).status_code == 403
    assert client.get(f"/young-person/yourself/{reference}").status_code == 404
    assert client.get("/young-person/answer").status_code == 404
    with app.app_context():
        assert request_row(app, reference).state == "awaiting_consent"
        assert not _db(app).session.scalars(sa.select(Consent).where(
            Consent.signer_role == "young_person",
            Consent.request_id == request_row(app, reference).id)).all()
    # The link still works on the young person's own phone.
    phone = app.test_client()
    assert follow(phone, path).headers["Location"].endswith("/young-person")
    assert phone.submit("/young-person/answer", {"decision": "yes",
                                                 "signer_name": "Sam"}).status_code == 302
    with app.app_context():
        assert request_row(app, reference).state == "ready_for_triage"


def test_a_parent_signed_in_to_follow_the_request_cannot_open_the_young_persons_link(app):
    parent = app.test_client()
    reference = send_request(parent, born=years_ago(16, days=30), email="fp16@example.com")
    parent.submit(f"/consent/{reference}/ask-young-person", {"how": "email"})
    parent.submit(f"/consent/{reference}/ask-young-person/email", {"email": "yp@example.com"})
    path = link_in(mails(app, "yp@example.com", "young_person_invitation")[-1].body,
                   "young-person")
    signed_in = family_signs_in(app, "fp16@example.com")
    assert signed_in.get(path).status_code == 403


def test_the_young_persons_receipt_and_withdraw_link_go_to_them_not_the_parent(app, client):
    reference = send_request(client, born=years_ago(17), email="parent17@example.com")
    parent_signs(client, reference)
    phone, consent_id = young_person_answers(app, client, reference, "yes",
                                             address="seventeen@example.com")
    assert mails(app, "seventeen@example.com", "consent_receipt")
    parent_receipts = mails(app, "parent17@example.com", "consent_receipt")
    assert len(parent_receipts) == 1  # the parent's own, and only that
    assert consent_id not in parent_receipts[0].body
    # The parent's browser cannot withdraw the young person's decision...
    assert client.post(f"/withdraw/start/{consent_id}", data={
        "csrf_token": csrf_token(client.get("/request").get_data(as_text=True))}
    ).status_code == 404
    account = family_signs_in(app, "parent17@example.com")
    page = account.get(f"/account/requests/{reference}").get_data(as_text=True)
    assert "Change my answer" not in page
    moved = account.post(f"/account/requests/{reference}/withdraw/{consent_id}",
                         data={"csrf_token": csrf_token(page)})
    assert not moved.headers["Location"].endswith("/withdraw/confirm")
    with app.app_context():
        assert request_row(app, reference).state == "ready_for_triage"
    # ...but the young person can, from their own link, and it is recorded as theirs.
    withdraw_by_link(app, "seventeen@example.com", name="Sam")
    with app.app_context():
        assert request_row(app, reference).state == "withdrawn"
        event = _db(app).session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "consent.withdrawn",
            AuditEvent.subject_id == str(request_row(app, reference).id))).one()
        assert event.actor_type == "young_person"
    assert mails(app, "seventeen@example.com", "withdrawal_receipt")
    assert not mails(app, "parent17@example.com", "withdrawal_receipt")


def test_a_young_person_without_email_gets_the_receipt_on_screen_and_a_link_later(app, client):
    reference = send_request(client, born=years_ago(16, days=30), email="qr@example.com")
    client.submit(f"/consent/{reference}/ask-young-person", {"how": "screen"})
    code_page = client.get(f"/consent/{reference}/ask-young-person/code").get_data(
        as_text=True)
    path = re.sub(r"^https?://[^/]+", "", re.search(
        r'id="young-person-link"[^>]*>\s*([^<\s]+)', code_page).group(1))
    phone = app.test_client()
    follow(phone, path)
    done = phone.submit("/young-person/answer", {"decision": "yes", "signer_name": "Sam"})
    thanks = done.headers["Location"]
    page = phone.get(thanks).get_data(as_text=True)
    assert "You said yes." in page and "Send me a link" in page
    assert not mails(app, "qr@example.com", "consent_receipt")  # not to the parent
    sent = phone.submit(thanks, {"link-email": "sam.later@example.com"})
    assert "We sent a link to sam.later@example.com" in sent.get_data(as_text=True)
    later = mails(app, "sam.later@example.com", "young_person_link")
    assert len(later) == 1 and "/withdraw/link/" in later[0].body


def test_the_team_sends_a_young_person_a_new_link_when_they_ask(app, client):
    reference = send_request(client, born=years_ago(17), email="askteam@example.com")
    client.submit(f"/consent/{reference}/ask-young-person", {"how": "screen"})
    code_page = client.get(f"/consent/{reference}/ask-young-person/code").get_data(
        as_text=True)
    path = re.sub(r"^https?://[^/]+", "", re.search(
        r'id="young-person-link"[^>]*>\s*([^<\s]+)', code_page).group(1))
    phone = app.test_client()
    follow(phone, path)
    phone.submit("/young-person/answer", {"decision": "yes", "signer_name": "Sam"})
    with app.app_context():
        request_id = request_row(app, reference).id
    partner = staff(app, "partner_viewer")
    assert partner.get(f"/staff/requests/{request_id}/young-person-link").status_code == 403
    officer = staff(app)
    url = f"/staff/requests/{request_id}/young-person-link"
    assert "Send the young person a new link" in officer.get(
        f"/staff/requests/{request_id}").get_data(as_text=True)
    sent = officer.submit(url, {"version": version_on(officer.get(url).get_data(as_text=True)),
                                "email": "sam.asked@example.com"})
    assert sent.status_code == 302
    mail = mails(app, "sam.asked@example.com", "young_person_link")
    assert len(mail) == 1 and "/withdraw/link/" in mail[0].body
    withdraw_by_link_from(app, mail[0].body, name="Sam")
    with app.app_context():
        assert request_row(app, reference).state == "withdrawn"


def withdraw_by_link_from(app, body: str, name: str) -> None:
    device = app.test_client()
    assert follow(device, link_in(body, "withdraw/link")).headers["Location"].endswith(
        "/withdraw/confirm")
    assert device.submit("/withdraw/confirm", {"withdrawn_by": name}).status_code == 302


# 4. A child's no is heard -------------------------------------------------------------

def test_a_childs_no_is_told_truthfully_and_flagged_for_staff(app, client):
    reference = send_request(client, born=years_ago(12), email="p12@example.com")
    parent_signs(client, reference)
    phone, consent_id = young_person_answers(app, client, reference, "no",
                                             address="twelve@example.com")
    thanks = phone.get(f"/young-person/thank-you/{consent_id}").get_data(as_text=True)
    assert "You will not be on the list" not in thanks
    assert "Your parent or carer also has a say." in thanks
    with app.app_context():
        req = request_row(app, reference)
        _db(app).session.expunge(req)
    officer = staff(app)
    page = officer.get(f"/staff/requests/{req.id}").get_data(as_text=True)
    assert "The child said no to being on the register." in page
    assert f"/staff/requests/{req.id}/accept" not in page
    queue = officer.get("/staff/queue").get_data(as_text=True)
    assert "The child said no" in queue
    assert any(reference in m.body for m in mails(app, app.config["TEAM_EMAIL"],
                                                 "staff_childs_view"))
    # Adding them without weighing it is refused.
    assert officer.get(f"/staff/requests/{req.id}/accept").headers["Location"].endswith(
        f"/staff/requests/{req.id}")
    accept = officer.post(f"/staff/requests/{req.id}/accept", data={
        "csrf_token": csrf_token(page), "version": "2", "rating": "amber", "reason": "x",
        "first_review-day": "1", "first_review-month": "1", "first_review-year": "2099"})
    assert accept.headers["Location"].endswith(f"/staff/requests/{req.id}")
    with app.app_context():
        assert not _db(app).session.scalars(sa.select(RegisterEntry).where(
            RegisterEntry.request_id == req.id)).all()
    # The parent is told in plain words.
    family = family_signs_in(app, "p12@example.com")
    mine = family.get(f"/account/requests/{reference}").get_data(as_text=True)
    assert "Sammy told us they do not want to be on the register." in mine
    # Staff go ahead, saying why; then they can add the child.
    decided = officer.submit(f"/staff/requests/{req.id}/childs-view", {
        "version": version_on(officer.get(f"/staff/requests/{req.id}/childs-view")
                              .get_data(as_text=True)),
        "reason": "Talked with Sammy and the family; a keyworker will meet Sammy first."})
    assert decided.status_code == 302
    page = officer.get(f"/staff/requests/{req.id}").get_data(as_text=True)
    assert f"/staff/requests/{req.id}/accept" in page
    assert "a keyworker will meet Sammy first" in page


# 5. 18 or over on the day -------------------------------------------------------------

def test_an_18_year_old_is_sent_to_the_adult_register(app, client):
    reference = send_request(client, born=years_ago(17, days=200), email="p17b@example.com")
    client.submit(f"/consent/{reference}/ask-young-person", {"how": "email"})
    client.submit(f"/consent/{reference}/ask-young-person/email", {"email": "adult@example.com"})
    path = link_in(mails(app, "adult@example.com", "young_person_invitation")[-1].body,
                   "young-person")
    with app.app_context(), by_hand():  # time passes: they turn 18 today
        _db(app).session.execute(sa.update(SupportRequest).where(
            SupportRequest.reference == reference).values(child_date_of_birth=years_ago(18, 0)))
        _db(app).session.commit()
    phone = app.test_client()
    follow(phone, path)
    page = phone.get("/young-person").get_data(as_text=True)
    assert "You are 18 or over" in page and "adult-register" in page
    assert phone.get("/young-person/answer").headers["Location"].endswith("/young-person")
    assert client.get(f"/consent/{reference}").status_code == 200
    assert "is 18 or over" in client.get(f"/consent/{reference}").get_data(as_text=True)
    with app.app_context():
        assert not _db(app).session.scalars(sa.select(Consent).where(
            Consent.request_id == request_row(app, reference).id)).all()


# 6. Findings recorded by register managers, in the staff pages --------------------------

@pytest.mark.parametrize("role", ["triage_officer", "admin", "partner_viewer"])
def test_only_register_managers_record_gillick_or_capacity(app, client, role):
    reference = send_request(client, born=years_ago(14))
    with app.app_context():
        request_id = request_row(app, reference).id
    other = staff(app, role)
    assert other.get(f"/staff/requests/{request_id}/consent-finding").status_code == 403


def test_a_finding_is_recorded_audited_and_shown_on_the_consent_record(app, client):
    from tests.integration.test_consent import record_finding

    reference = send_request(client, born=years_ago(16, days=50), email="cap@example.com")
    consent_id = parent_signs(client, reference)
    with app.app_context():
        assert request_row(app, reference).state == "awaiting_consent"
    record_finding(app, reference, "lacks_capacity_best_interests",
                   "Capacity assessment for this decision; best-interests meeting held.")
    with app.app_context():
        req = request_row(app, reference)
        assert req.state == "ready_for_triage"
        event = _db(app).session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "consent.finding",
            AuditEvent.subject_id == str(req.id))).one()
        assert event.actor_type == "staff" and event.actor_id
    record = client.get(f"/consent/record/{consent_id}").get_data(as_text=True)
    assert "Lacks capacity for this decision" in record
    assert "Dr Example, psychologist" in record and "best-interests meeting held" in record
