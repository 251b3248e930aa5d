"""Consent in headless Chromium: a parent signs, the young person answers on their own
device, a 16-year-old's request waits for them, and consent is withdrawn end to end.
axe-core checks every consent page, the Easy Read pages and each page showing errors."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations
from tests.support import flatten, parent_answers, years_ago

pytestmark = pytest.mark.browser
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _post(page: Any, path: str, data: dict[str, Any]) -> Any:
    """A form post with the page's own cookie, as the browser would send it."""
    form = page.request.get(path).text()
    pairs = [("csrf_token", CSRF.search(form).group(1)), *flatten(data)]
    body = "&".join(f"{k}={__import__('urllib.parse').parse.quote_plus(v)}" for k, v in pairs)
    return page.request.post(path, data=body, max_redirects=0, headers={
        "Content-Type": "application/x-www-form-urlencoded"})


def send_request(page: Any, born: date, email: str, **overrides: Any) -> str:
    """Fill in the request over HTTP in this browser's session (the journey itself has its
    own browser test), then return the reference."""
    start = page.request.get("/request").text()
    page.request.post("/request/start", form={"csrf_token": CSRF.search(start).group(1)},
                      max_redirects=0)
    answers = parent_answers(born=born, **{"contact-details": {"contact_email": email,
                                                               "contact_phone": ""},
                                           **overrides})
    for slug, data in answers:
        assert _post(page, f"/request/{slug}", data).status == 302, slug
    check = page.request.get("/request/check-answers").text()
    key = re.search(r'name="submission_key" value="([^"]+)"', check).group(1)
    sent = page.request.post("/request/check-answers", max_redirects=0, form={
        "csrf_token": CSRF.search(check).group(1), "submission_key": key})
    return sent.headers["location"].rsplit("/", 1)[1]


def mail_link(live_db: Any, address: str, kind: str, path: str) -> str:
    with live_db.connect() as connection:
        body = connection.execute(sa.text(
            "SELECT body FROM outbox_messages WHERE to_address = :a AND kind = :k "
            "ORDER BY id DESC"), {"a": address, "k": kind}).scalars().first()
    assert body, f"no {kind} email to {address}"
    return re.search(rf"https?://[^/\s]+(/{path}/\S+)", body).group(1)


def state_of(live_db: Any, reference: str) -> str:
    with live_db.connect() as connection:
        return str(connection.execute(sa.text(
            "SELECT state FROM support_requests WHERE reference = :r"),
            {"r": reference}).scalar_one())


def clean(page: Any, what: str) -> None:
    assert axe_violations(page) == [], what


def test_a_parent_signs_and_the_young_person_answers_on_their_own_phone(
        page, browser, live_server, live_db):
    reference = send_request(page, years_ago(13), "parent1@example.com")
    page.goto(f"/request/sent/{reference}")
    page.get_by_role("button", name="Give consent now").click()
    clean(page, "parental responsibility")
    page.get_by_role("button", name="Continue").click()
    clean(page, "parental responsibility, with an error")
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Continue").click()

    assert page.url.endswith(f"/consent/{reference}/agree")
    clean(page, "consent text")
    assert not page.get_by_label(re.compile("I agree")).is_checked()  # never pre-ticked
    page.get_by_label("Your relationship to the child").fill("Father")
    page.get_by_label("Type your full name to sign").fill("Chris Example")
    page.get_by_role("button", name="Give consent").click()
    assert "Select the box to say you agree" in page.locator(".govuk-error-summary").inner_text()
    clean(page, "consent text, with an error")
    assert page.get_by_label("Type your full name to sign").input_value() == "Chris Example"
    page.get_by_label(re.compile("I agree")).check()
    page.get_by_role("button", name="Give consent").click()

    assert "/consent/signed/" in page.url
    assert page.locator("#reference").inner_text() == reference
    clean(page, "consent given")
    assert state_of(live_db, reference) == "ready_for_triage"
    page.get_by_role("link", name="View and print the consent record").click()
    assert "Chris Example" in page.locator("main").inner_text()
    clean(page, "consent record")
    page.go_back()

    # Ask the young person: a code on this screen, scanned on their own phone.
    page.get_by_role("link", name=re.compile("Send Sammy a link")).click()
    clean(page, "how to ask the young person")
    page.get_by_label("Show a code on this screen").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("svg.app-qr")).to_be_visible()
    clean(page, "QR code")
    link = page.locator("#young-person-link").inner_text().strip()

    phone_context = browser.new_context(base_url=live_server,
                                        viewport={"width": 360, "height": 740})
    try:
        phone = phone_context.new_page()
        phone.goto(re.sub(r"^https?://[^/]+", "", link))
        clean(phone, "young person's welcome")
        phone.get_by_role("button", name="Start").click()
        assert phone.url.endswith("/young-person")
        clean(phone, "Easy Read page")
        assert phone.locator("img.app-easy-read__picture").count() >= 8
        phone.get_by_role("button", name=re.compile("Next")).click()
        clean(phone, "young person's answer")
        phone.get_by_role("button", name="Send my answer").click()
        clean(phone, "young person's answer, with errors")
        phone.get_by_label("I want to talk to someone first").check()
        phone.get_by_label("Write your name").fill("Sammy")
        phone.get_by_role("button", name="Send my answer").click()
        assert "You want to talk to someone first." in phone.locator("main").inner_text()
        clean(phone, "young person's thank you")
        # Nothing of the request can be reached from their phone.
        assert phone.goto(f"/request/sent/{reference}").status == 404
    finally:
        phone_context.close()


def test_a_16_year_olds_request_waits_for_their_own_consent(page, live_db):
    reference = send_request(page, years_ago(16, days=40), "parent16@example.com")
    page.goto(f"/consent/{reference}")
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Your relationship to the child").fill("Mother")
    page.get_by_label(re.compile("I agree")).check()
    page.get_by_label("Type your full name to sign").fill("Alex Example")
    page.get_by_role("button", name="Give consent").click()
    missing = page.locator("#consent-missing").inner_text()
    assert "16 or over, so it is their decision" in missing
    clean(page, "consent given, more needed")
    assert state_of(live_db, reference) == "awaiting_consent"

    page.get_by_role("link", name=re.compile("Send Sammy a link")).click()
    page.get_by_label("Send it to their email address").check()
    page.get_by_role("button", name="Continue").click()
    clean(page, "young person's email")
    page.get_by_role("textbox").fill("sammy16@example.com")
    page.get_by_role("button", name="Send the link").click()
    clean(page, "link sent")
    path = mail_link(live_db, "sammy16@example.com", "young_person_invitation", "young-person")
    page.context.clear_cookies()  # the young person's own device
    page.goto(path)
    page.get_by_role("button", name="Start").click()
    page.get_by_role("button", name=re.compile("Next")).click()
    page.get_by_label("Yes").check()
    page.get_by_label("Write your name").fill("Sammy")
    page.get_by_role("button", name="Send my answer").click()
    assert state_of(live_db, reference) == "ready_for_triage"


def test_withdrawal_end_to_end_with_a_receipt(page, live_db):
    reference = send_request(page, years_ago(10), "undo@example.com")
    page.goto(f"/consent/{reference}")
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Your relationship to the child").fill("Mother")
    page.get_by_label(re.compile("I agree")).check()
    page.get_by_label("Type your full name to sign").fill("Alex Example")
    page.get_by_role("button", name="Give consent").click()
    path = mail_link(live_db, "undo@example.com", "consent_receipt", "withdraw/link")

    page.context.clear_cookies()  # weeks later, from the email
    page.goto(path)
    clean(page, "withdraw link")
    page.get_by_role("button", name="Continue").click()  # step 1
    assert page.url.endswith("/withdraw/confirm")
    clean(page, "withdraw confirm")
    page.get_by_label("Your full name").fill("")
    page.get_by_role("button", name="Withdraw consent").click()
    clean(page, "withdraw confirm, with an error")
    page.get_by_label("Your full name").fill("Alex Example")
    page.get_by_role("button", name="Withdraw consent").click()  # step 2
    assert page.url.endswith("/withdraw/done")  # step 3: the receipt
    assert page.locator("#reference").inner_text() == reference
    clean(page, "withdrawal receipt")
    assert state_of(live_db, reference) == "withdrawn"
    with live_db.connect() as connection:
        receipts = connection.execute(sa.text(
            "SELECT count(*) FROM outbox_messages WHERE to_address = 'undo@example.com' "
            "AND kind = 'withdrawal_receipt'")).scalar_one()
    assert receipts == 1
