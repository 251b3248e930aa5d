"""Families follow their request: sign-in by link, status, rating, messages, evidence."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from portal.data.audit import AuditEvent
from portal.data.base import utcnow
from portal.data.drafts import EmailLink
from portal.data.outbox import OutboxMessage
from portal.data.register import RegisterEntry
from tests.integration.staff_support import make_staff, post_form, sign_in, version_on
from tests.integration.test_staff_casework import _accept, ready_request
from tests.support import by_hand, csrf_token


def _db(app):
    return app.extensions["sqlalchemy"]


def sign_in_link(app, client, email: str):
    sent = client.submit("/account/sign-in", {"email": email})
    assert sent.headers["Location"].endswith("/account/sign-in/check-your-email")
    with app.app_context():
        mail = _db(app).session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.to_address == email, OutboxMessage.kind == "family_sign_in")
            .order_by(OutboxMessage.id.desc())).first()
    return re.search(r"https?://[^/\s]+(/account/sign-in/\S+)", mail.body).group(1) \
        if mail else None


def family_signs_in(app, email: str):
    client = app.test_client()
    path = sign_in_link(app, client, email)
    page = client.get(path)
    assert page.status_code == 200 and "Continue" in page.get_data(as_text=True)
    done = client.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert done.headers["Location"].endswith("/account/")  # a clean address
    return client


def test_sign_in_by_link_shows_the_familys_requests(app):
    req = ready_request(app)
    client = family_signs_in(app, req.contact_email)
    listing = client.get("/account/").get_data(as_text=True)
    assert req.reference in listing and "The team is looking at it" in listing
    page = client.get(f"/account/requests/{req.reference}").get_data(as_text=True)
    assert "Request sent" in page and "Consent complete" in page
    assert "The team will decide and tell you by" in page


def test_unknown_addresses_get_the_same_answer_and_no_email(app, client):
    page = client.submit("/account/sign-in", {"email": "stranger@example.com"})
    assert page.headers["Location"].endswith("/check-your-email")
    assert "If stranger@example.com is an address we know" in client.get(
        page.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert _db(app).session.scalar(sa.select(sa.func.count()).select_from(
            OutboxMessage).where(OutboxMessage.to_address == "stranger@example.com")) == 0


def test_sign_in_links_are_rate_limited(app, client):
    req = ready_request(app)
    for _ in range(app.config["FAMILY_LINKS_PER_HOUR"] + 2):
        client.submit("/account/sign-in", {"email": req.contact_email})
    with app.app_context():
        sent = _db(app).session.scalar(sa.select(sa.func.count()).select_from(
            OutboxMessage).where(OutboxMessage.to_address == req.contact_email,
                                 OutboxMessage.kind == "family_sign_in"))
    assert sent == app.config["FAMILY_LINKS_PER_HOUR"]


def test_used_expired_and_tampered_links_offer_a_new_one(app):
    req = ready_request(app)
    first = app.test_client()
    path = sign_in_link(app, first, req.contact_email)
    page = first.get(path).get_data(as_text=True)
    first.post(path, data={"csrf_token": csrf_token(page)})
    again = app.test_client().post(path, data={"csrf_token": csrf_token(page)})
    reused = app.test_client().get(path)
    assert reused.status_code == 410 and "Get a new link" in reused.get_data(as_text=True)
    assert again.status_code in (400, 410)
    tampered = app.test_client().get(path[:-5] + "xxxxx")
    assert tampered.status_code == 404 and "Get a new link" in tampered.get_data(as_text=True)
    late = app.test_client()
    late_path = sign_in_link(app, late, req.contact_email)
    with app.app_context(), by_hand():
        _db(app).session.execute(sa.update(EmailLink).where(
            EmailLink.purpose == "family-sign-in").values(expires_at=utcnow() -
                                                         timedelta(seconds=1)))
        _db(app).session.commit()
    expired = late.get(late_path)
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)
    assert late.get("/account/").headers["Location"].endswith("/account/sign-in")


def test_signing_out_ends_every_session(app):
    req = ready_request(app)
    phone = family_signs_in(app, req.contact_email)
    laptop = family_signs_in(app, req.contact_email)
    post_form(phone, "/account/", "/account/sign-out", {})
    assert laptop.get("/account/").headers["Location"].endswith("/account/sign-in")


def test_a_family_can_never_see_another_familys_request(app):
    mine, theirs = ready_request(app), ready_request(app)
    client = family_signs_in(app, mine.contact_email)
    with app.app_context():
        before = _db(app).session.scalar(sa.select(sa.func.count()).select_from(
            AuditEvent).where(AuditEvent.action == "family.denied"))
    paths = [f"/account/requests/{theirs.reference}{suffix}" for suffix in (
        "", "/my-data", "/my-data.json", "/evidence-summary.pdf",
        "/something-has-changed", "/ask/cetr", "/ask/keyworker")]
    for path in paths:
        assert client.get(path).status_code == 404, path
    token = csrf_token(client.get("/account/").get_data(as_text=True))
    for path in (f"/account/requests/{theirs.reference}/reply",
                 f"/account/requests/{theirs.reference}/something-has-changed"):
        assert client.post(path, data={"csrf_token": token, "body": "x",
                                       "events": "police"}).status_code == 404
    with app.app_context():
        after = _db(app).session.scalar(sa.select(sa.func.count()).select_from(
            AuditEvent).where(AuditEvent.action == "family.denied"))
    assert after - before == len(paths) + 2  # every attempt is logged


def test_the_loop_messages_rating_card_and_evidence(app, client):
    from pypdf import PdfReader

    req = ready_request(app)
    staff = make_staff(app, "register_manager")
    sign_in(client, staff)
    page = client.get(f"/staff/requests/{req.id}/more-information").get_data(as_text=True)
    client.submit(f"/staff/requests/{req.id}/more-information", {
        "version": version_on(page), "question": "Does Robin have a social worker?"})
    with app.app_context():
        notice = _db(app).session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.kind == "family_message",
            OutboxMessage.to_address == req.contact_email)).one()
        assert "social worker" not in notice.body and "Sign in" in notice.body
    family = family_signs_in(app, req.contact_email)
    view = family.get(f"/account/requests/{req.reference}").get_data(as_text=True)
    assert "Does Robin have a social worker?" in view
    assert "The team needs more information from you" in view
    post_form(family, f"/account/requests/{req.reference}",
              f"/account/requests/{req.reference}/reply", {"body": "Yes, since June."})
    assert "Yes, since June." in client.get(f"/staff/requests/{req.id}").get_data(
        as_text=True)
    entry_id = _accept(client, req).rsplit("/", 1)[1]
    before = family.get(f"/account/requests/{req.reference}").get_data(as_text=True)
    assert 'id="rating-card"' not in before  # not until staff release it
    post_form(client, f"/staff/register/{entry_id}", f"/staff/register/{entry_id}/release",
              {"release": "1"})
    after = family.get(f"/account/requests/{req.reference}").get_data(as_text=True)
    assert 'id="rating-card"' in after and "Amber means" in after
    pdf = family.get(f"/account/requests/{req.reference}/evidence-summary.pdf")
    assert pdf.mimetype == "application/pdf"
    text = re.sub(r"\s+", " ", " ".join(
        p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages))
    assert req.reference in text and "Amber" in text
    code = re.search(r"Verification code (EV-[A-Z0-9]+)", text).group(1)
    checked = client.get(f"/staff/verify?code={code}").get_data(as_text=True)
    assert 'id="verified"' in checked and req.reference in checked


def test_something_has_changed_goes_to_the_top_of_the_queue(app, client):
    req = ready_request(app)
    staff = make_staff(app, "triage_officer")
    sign_in(client, staff)
    entry_id = _accept(client, req).rsplit("/", 1)[1]
    family = family_signs_in(app, req.contact_email)
    empty = family.submit(f"/account/requests/{req.reference}/something-has-changed", {})
    assert "Select what has happened" in empty.get_data(as_text=True)
    family.submit(f"/account/requests/{req.reference}/something-has-changed",
                  {"events": ["admitted", "police"], "details": "Admitted last night."})
    queue = client.get("/staff/queue").get_data(as_text=True)
    assert queue.index('id="family-updates"') < queue.index('id="queue-count"')
    assert "Admitted to hospital" in queue and req.child_name in queue
    notice = BeautifulSoup(queue, "html.parser").select_one("#family-updates").get_text(" ")
    assert "They have been admitted" not in notice  # said once, by the tag
    assert "The police were involved" in notice
    with app.app_context():
        assert _db(app).session.get(RegisterEntry, int(entry_id)).flag == "admission_reported"
    family.submit(f"/account/requests/{req.reference}/ask/keyworker", {"details": ""})
    assert "The family asks for a keyworker" in client.get("/staff/queue").get_data(
        as_text=True)


def test_my_data_shows_everything_and_who_looked(app, client):
    req = ready_request(app)
    staff = make_staff(app, "triage_officer")
    sign_in(client, staff)
    client.get(f"/staff/requests/{req.id}")
    family = family_signs_in(app, req.contact_email)
    page = family.get(f"/account/requests/{req.reference}/my-data").get_data(as_text=True)
    assert "Triage officer" in page and req.child_name in page
    data = json.loads(family.get(f"/account/requests/{req.reference}/my-data.json").data)
    assert data["request"]["reference"] == req.reference
    assert data["consents"][0]["answer"] == "yes"
    assert any(v["role"] == "triage_officer" for v in data["viewed_by_staff"])
    assert "idempotency_key" not in data["request"]


@pytest.mark.parametrize("path", ["/account/", "/account/requests/DSR-AAAA-AAAA"])
def test_family_pages_need_signing_in(client, path):
    assert client.get(path).headers["Location"].endswith("/account/sign-in")


def test_a_young_person_of_16_or_over_gets_their_own_access(app, client):
    from tests.integration.test_consent import parent_signs, send_request, young_person_answers
    from tests.support import years_ago

    older = send_request(client, born=years_ago(16, days=30), email="parent16@example.com")
    parent_signs(client, older)
    young_person_answers(app, client, older, "yes", address="own16@example.com")
    own = family_signs_in(app, "own16@example.com")
    assert older in own.get("/account/").get_data(as_text=True)
    other = app.test_client()  # the parent's browser, who sends it
    younger = send_request(other, born=years_ago(13), email="p13@example.com")
    young_person_answers(app, other, younger, "yes", address="own13@example.com")
    with app.app_context():  # under 16: their views are asked, but no account of their own
        from portal.data.family import has_access

        assert not has_access("own13@example.com")
