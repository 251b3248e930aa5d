"""Changes to a case followed in headless Chromium, end to end: consent withdrawn after a
child is on the register, a young person's link that only works on their own device,
a young person's answer and receipt that are theirs alone, a child's no that staff must
weigh, the keyworker and C(E)TR dates form, urgent requests waiting for consent, and a
family's message that staff notice. Every step is taken by the visible label, as a
person would, and axe-core checks every page and every error or warning on the way."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations
from tests.browser.test_consent_browser import mail_link, send_request, state_of
from tests.browser.test_family_browser import family_sign_in
from tests.browser.test_staff_browser import create_staff
from tests.browser.test_staff_browser import sign_in as staff_sign_in
from tests.support import years_ago

pytestmark = pytest.mark.browser
QUEUE_TABLE = "Requests, urgent first, then oldest"


def clean(page: Any, what: str) -> None:
    assert axe_violations(page) == [], what


class Browsers:
    """Other people's browsers (or other devices): each a fresh context. Errors in their
    consoles fail the test, as they do for `page`, except a refusal the test expects."""

    def __init__(self, browser: Any, live_server: str) -> None:
        self.browser, self.live_server = browser, live_server
        self.contexts: list[Any] = []
        self.errors: list[str] = []
        self.expected: list[str] = []

    def __call__(self, **options: Any) -> Any:
        context = self.browser.new_context(base_url=self.live_server, **options)
        self.contexts.append(context)
        opened = context.new_page()
        opened.on("pageerror", lambda error: self.errors.append(str(error)))
        opened.on("console",
                  lambda m: self.errors.append(m.text) if m.type == "error" else None)
        return opened

    def expect_refusal(self, status: int) -> None:
        """The browser logs a page it was refused; that one is the point of the test."""
        self.expected.append(f"the server responded with a status of {status}")

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.errors if not any(x in e for x in self.expected)]


class Case:
    """One family's request: a child, a parent's address, names nobody else uses."""

    def __init__(self, prefix: str) -> None:
        self.tag = uuid.uuid4().hex[:8]
        self.email = f"{prefix}.{self.tag}@example.com"
        self.preferred = f"Robin{self.tag}"
        self.child = f"Robin {self.tag} Example"

    def answers(self, **more: Any) -> dict[str, Any]:
        return {"child-name": {"child_name": self.child,
                               "child_preferred_name": self.preferred}, **more}


def parent_consents(page: Any, reference: str, name: str = "Alex Example") -> None:
    """The parent gives consent from their own browser, by the labels on the pages."""
    page.goto(f"/consent/{reference}")
    clean(page, "parental responsibility")
    page.get_by_label("Yes", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    assert page.url.endswith(f"/consent/{reference}/agree")
    clean(page, "consent text")
    page.get_by_label("Your relationship to the child").fill("Mother")
    page.get_by_label(re.compile("I agree")).check()
    page.get_by_label("Type your full name to sign").fill(name)
    page.get_by_role("button", name="Give consent").click()
    assert "/consent/signed/" in page.url
    clean(page, "consent given")


def open_from_queue(page: Any, reference: str) -> None:
    page.get_by_role("link", name="Triage queue").click()
    clean(page, "queue")
    queue_row(page, reference).get_by_role("link").click()
    assert reference in page.locator(".govuk-caption-l").inner_text()
    clean(page, "request")


def queue_row(page: Any, text: str) -> Any:
    return page.get_by_role("table", name=QUEUE_TABLE).get_by_role("row").filter(
        has_text=text)


def add_to_register(page: Any, reason: str = "Coordination needed.") -> str:
    """From the request page: add the child with the suggested rating. Returns the entry's
    path."""
    page.get_by_role("button", name="Add to the register").click()
    clean(page, "add to the register")
    page.get_by_label("Why this rating?").fill(reason)
    page.get_by_role("button", name="Add to the register").click()
    assert "/staff/register/" in page.url, page.locator("main").inner_text()
    clean(page, "register entry")
    return re.sub(r"^https?://[^/]+", "", page.url)


def ask_young_person_by_email(page: Any, name: str, address: str) -> None:
    """From the parent's 'consent given' page."""
    page.get_by_role("link", name=f"Send {name} a link").click()
    clean(page, "how to ask the young person")
    page.get_by_label("Send it to their email address").check()
    page.get_by_role("button", name="Continue").click()
    clean(page, "young person's email address")
    page.get_by_label(f"What is {name}'s email address?").fill(address)
    page.get_by_role("button", name="Send the link").click()
    clean(page, "link sent")


def show_code_on_screen(page: Any, name: str) -> str:
    """From the parent's 'consent given' page. Returns the young person's link's path."""
    page.get_by_role("link", name=f"Send {name} a link").click()
    clean(page, "how to ask the young person")
    page.get_by_label("Show a code on this screen").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("svg.app-qr")).to_be_visible()
    clean(page, "QR code")
    link = page.locator("#young-person-link").inner_text().strip()
    return re.sub(r"^https?://[^/]+", "", link)


def young_person_answers(phone: Any, path: str, decision: str, name: str = "Sam") -> None:
    """On the young person's own device: the welcome page, the Easy Read page, the answer."""
    phone.goto(path)
    clean(phone, "young person's welcome")
    phone.get_by_role("button", name="Start").click()
    assert phone.url.endswith("/young-person")
    clean(phone, "Easy Read page")
    phone.get_by_role("button", name=re.compile("Next")).click()
    clean(phone, "young person's answer")
    phone.get_by_label(decision, exact=True).check()
    phone.get_by_label("Write your name").fill(name)
    phone.get_by_role("button", name="Send my answer").click()
    assert "/young-person/thank-you/" in phone.url, phone.locator("main").inner_text()
    clean(phone, "young person's thank you")


def withdraw_from_link(device: Any, path: str, name: str, *, young: bool = False) -> None:
    """The three steps from a withdraw link in an email (a young person's pages speak to
    them in their own words)."""
    device.goto(path)
    clean(device, "withdraw link")
    device.get_by_role("button", name="Continue").click()
    assert device.url.endswith("/withdraw/confirm")
    clean(device, "withdraw confirm")
    device.get_by_label("Write your name" if young else "Your full name").fill(name)
    device.get_by_role("button",
                       name="Take back my answer" if young else "Withdraw consent").click()
    assert device.url.endswith("/withdraw/done")
    clean(device, "withdrawal receipt")


def mails_to(live_db: Any, address: str, kind: str) -> list[str]:
    with live_db.connect() as connection:
        return list(connection.execute(sa.text(
            "SELECT body FROM outbox_messages WHERE to_address = :a AND kind = :k "
            "ORDER BY id"), {"a": address, "k": kind}).scalars())


# 1. Withdrawal takes a child off the register everywhere ------------------------------

def test_a_parent_withdraws_and_the_child_leaves_the_register_everywhere(
        page, new_browser, live_database, live_db):
    case = Case("withdraw")
    family = new_browser()
    reference = send_request(family, years_ago(10), case.email, **case.answers())
    parent_consents(family, reference)

    staff_sign_in(page, create_staff(live_database, "register_manager", f"Rhea {case.tag}"))
    open_from_queue(page, reference)
    entry = add_to_register(page)
    assert page.get_by_text("Change the rating").count() == 1
    page.get_by_role("button", name="Show the rating to the family").click()
    assert "(the family can see it)" in page.locator("#details").inner_text()
    clean(page, "register entry, rating shown to the family")
    page.get_by_role("link", name="Register", exact=True).click()
    assert case.child in page.locator("main").inner_text()

    # Weeks later, from the receipt email, on another device.
    device = new_browser()
    withdraw_from_link(device, mail_link(live_db, case.email, "consent_receipt",
                                         "withdraw/link"), "Alex Example")
    assert state_of(live_db, reference) == "withdrawn"

    page.reload()
    assert case.child not in page.locator("main").inner_text()
    clean(page, "register")
    page.goto(entry)
    assert "Consent withdrawn" in page.locator("#closed").inner_text()
    assert "Closed" in page.locator(".govuk-caption-l").inner_text()
    assert page.get_by_text("Change the rating").count() == 0
    clean(page, "closed register entry")
    page.get_by_role("link", name="Triage queue").click()
    notices = page.get_by_role("table", name="Needs attention now")
    notice = notices.get_by_role("row").filter(has_text=case.child)
    assert "Consent withdrawn" in notice.inner_text()
    assert page.locator("table").first.get_attribute("id") == "family-updates"  # the top
    clean(page, "queue with a consent withdrawn notice")

    family_sign_in(device, live_db, case.email)
    clean(device, "your requests")
    device.get_by_role("link", name=case.preferred).click()
    assert "Consent withdrawn: not on the register" in device.locator("#status").inner_text()
    assert device.locator("#rating-card").count() == 0
    assert "Their rating" not in device.locator("main").inner_text()
    clean(device, "family's request, consent withdrawn")


# 2. A parent's browser cannot answer for the young person ------------------------------

def test_a_young_persons_link_opened_in_the_parents_browser_is_refused(
        new_browser, live_db):
    case = Case("code16")
    parent = new_browser()
    reference = send_request(parent, years_ago(16, days=40), case.email, **case.answers())
    parent_consents(parent, reference)
    assert "16 or over, so it is their decision" in parent.locator(
        "#consent-missing").inner_text()
    path = show_code_on_screen(parent, case.preferred)

    new_browser.expect_refusal(403)
    refused = parent.goto(path)
    assert refused.status == 403
    assert f"This link is for {case.preferred}" in parent.locator("h1").inner_text()
    assert f"Only {case.preferred} can answer for themselves" in parent.locator(
        "main").inner_text()
    assert parent.get_by_role("button", name="Start").count() == 0
    clean(parent, "the link is for the young person")
    assert state_of(live_db, reference) == "awaiting_consent"

    phone = new_browser(viewport={"width": 360, "height": 740})
    young_person_answers(phone, path, "Yes")
    assert "You said yes." in phone.locator("main").inner_text()
    assert state_of(live_db, reference) == "ready_for_triage"


# 3. The young person's answer, receipt and withdrawal are theirs -----------------------

def test_a_young_persons_answer_and_receipt_are_theirs_and_only_they_withdraw_it(
        new_browser, live_db):
    case = Case("parent17")
    young_email = f"young17.{case.tag}@example.com"
    parent = new_browser()
    reference = send_request(parent, years_ago(17), case.email, **case.answers())
    parent_consents(parent, reference)
    ask_young_person_by_email(parent, case.preferred, young_email)
    assert young_email in parent.locator("main").inner_text()

    phone = new_browser(viewport={"width": 360, "height": 740})
    young_person_answers(phone, mail_link(live_db, young_email, "young_person_invitation",
                                          "young-person"), "Yes")
    assert "We sent you an email" in phone.locator("main").inner_text()
    assert state_of(live_db, reference) == "ready_for_triage"
    # Their receipt, with their withdraw link, went to them; the parent has only their own.
    withdraw_path = mail_link(live_db, young_email, "consent_receipt", "withdraw/link")
    parent_receipts = mails_to(live_db, case.email, "consent_receipt")
    assert len(parent_receipts) == 1
    assert withdraw_path not in parent_receipts[0]

    # The parent follows the request, signed in: nothing offers to undo the young
    # person's answer (only the parent's own consent can be withdrawn from here).
    parent.context.clear_cookies()
    family_sign_in(parent, live_db, case.email)
    parent.get_by_role("link", name=case.preferred).click()
    assert parent.get_by_role("button", name=re.compile("Change my answer")).count() == 0
    withdraw_buttons = parent.get_by_role("button", name=re.compile("Withdraw|change",
                                                                    re.IGNORECASE))
    assert withdraw_buttons.all_inner_texts() == ["Withdraw my consent"]
    clean(parent, "the parent's view of the request")

    # The young person changes their mind from their own email.
    withdraw_from_link(phone, withdraw_path, "Sam", young=True)
    assert state_of(live_db, reference) == "withdrawn"
    assert mails_to(live_db, young_email, "withdrawal_receipt")
    assert not mails_to(live_db, case.email, "withdrawal_receipt")


# 4. A child's no is heard, and weighed before they are added ---------------------------

def test_a_childs_no_is_told_truthfully_and_staff_weigh_it_before_adding_them(
        page, new_browser, live_database, live_db):
    case = Case("parent12")
    parent = new_browser()
    reference = send_request(parent, years_ago(12), case.email, **case.answers())
    parent_consents(parent, reference)
    path = show_code_on_screen(parent, case.preferred)

    child = new_browser(viewport={"width": 360, "height": 740})
    young_person_answers(child, path, "No")
    thanks = child.locator("main").inner_text()
    assert "You said no." in thanks
    assert "Your parent or carer also has a say." in thanks
    assert "You will not be on the list" not in thanks
    assert "You will not go on the list" not in thanks

    officer = f"Tess {case.tag}"
    staff_sign_in(page, create_staff(live_database, "triage_officer", officer))
    notice = page.get_by_role("table", name="Needs attention now").get_by_role(
        "row").filter(has_text=case.child)
    assert "The child said no" in notice.inner_text()
    open_from_queue(page, reference)
    warning = page.locator("#childs-view").inner_text()
    assert "The child said no to being on the register." in warning
    assert page.get_by_role("button", name="Add to the register").count() == 0
    assert page.get_by_role("link", name="Add to the register").count() == 0
    assert "Decide about the child's view first." in page.locator("main").inner_text()

    page.get_by_role("link", name="Go ahead: record why").click()
    clean(page, "go ahead despite the child's view")
    page.get_by_role("button", name="Record the decision").click()
    page.locator(".govuk-error-summary").wait_for(state="visible", timeout=10_000)
    clean(page, "go ahead, with an error")
    page.get_by_label("Why go ahead?").fill(
        "Talked with Robin and the family; a keyworker will meet Robin first.")
    page.get_by_role("button", name="Record the decision").click()
    assert "a keyworker will meet Robin first" in page.locator("main").inner_text()
    assert page.get_by_role("button", name="Add to the register").count() == 1
    clean(page, "request, child's view weighed")
    add_to_register(page)


# 7. The keyworker, review and C(E)TR dates form ----------------------------------------

def _date_box(page: Any, legend: str, part: str) -> Any:
    return page.get_by_role("group", name=legend).get_by_label(part, exact=True)


def _open_details(page: Any) -> None:
    page.get_by_text("Keyworker, review and C(E)TR dates").click()
    expect(page.get_by_label("Keyworker", exact=True)).to_be_visible()


def test_the_keyworker_and_cetr_dates_form_saves_and_keeps_what_was_typed(
        page, new_browser, live_database):
    case = Case("cetr")
    family = new_browser()
    reference = send_request(family, years_ago(13), case.email, **case.answers())
    parent_consents(family, reference)
    staff_sign_in(page, create_staff(live_database, "register_manager", f"Mo {case.tag}"))
    open_from_queue(page, reference)
    add_to_register(page)

    # The optional C(E)TR dates left empty: it saves.
    _open_details(page)
    clean(page, "register entry, dates form open")
    page.get_by_label("Keyworker", exact=True).fill("Kim Keyworker")
    page.get_by_label("How the family can reach the keyworker").fill("kim@example.org")
    page.get_by_role("button", name="Save", exact=True).click()
    assert page.locator(".govuk-error-summary").count() == 0
    details = page.locator("#details").inner_text()
    assert "Kim Keyworker" in details and "None planned" in details
    clean(page, "register entry, keyworker saved")

    # A C(E)TR date with only the day and month: the summary links to the year box, and
    # what was typed is still there.
    last = date.today() - timedelta(days=20)
    _open_details(page)
    _date_box(page, "Last C(E)TR (optional)", "Day").fill(str(last.day))
    _date_box(page, "Last C(E)TR (optional)", "Month").fill(str(last.month))
    page.get_by_role("button", name="Save", exact=True).click()
    summary = page.locator(".govuk-error-summary")
    summary.wait_for(state="visible", timeout=10_000)
    problem = summary.get_by_role("link")
    assert problem.count() == 1 and "year" in problem.inner_text()
    clean(page, "dates form, with an error")
    problem.click()
    year = _date_box(page, "Last C(E)TR (optional)", "Year")
    assert year.evaluate("(box) => box === document.activeElement")
    assert _date_box(page, "Last C(E)TR (optional)", "Day").input_value() == str(last.day)
    assert _date_box(page, "Last C(E)TR (optional)", "Month").input_value() == str(last.month)
    assert page.get_by_label("Keyworker", exact=True).input_value() == "Kim Keyworker"
    assert "None planned" in page.locator("#details").inner_text()  # nothing half-saved

    # Completed, with the next C(E)TR too: it saves and the entry shows both dates.
    following = date.today() + timedelta(days=60)
    year.fill(str(last.year))
    _date_box(page, "Next C(E)TR (optional)", "Day").fill(str(following.day))
    _date_box(page, "Next C(E)TR (optional)", "Month").fill(str(following.month))
    _date_box(page, "Next C(E)TR (optional)", "Year").fill(str(following.year))
    page.get_by_role("button", name="Save", exact=True).click()
    assert page.locator(".govuk-error-summary").count() == 0
    details = page.locator("#details").inner_text()
    assert f"Last: {last.day} {last:%B %Y}" in details
    assert f"Next: {following.day} {following:%B %Y}" in details
    assert "Kim Keyworker" in details
    clean(page, "register entry, C(E)TR dates saved")


# 8. Urgent requests waiting for consent are in the default queue -----------------------

def test_an_urgent_request_without_consent_is_above_an_older_ready_one(
        page, new_browser, live_database):
    calm = Case("calm")
    family = new_browser()
    calm_reference = send_request(family, years_ago(11), calm.email, **calm.answers())
    parent_consents(family, calm_reference)
    urgent = Case("urgent")
    other_family = new_browser()
    urgent_reference = send_request(other_family, years_ago(11), urgent.email,
                                    **urgent.answers(hospital={"in_hospital": "yes"}))

    staff_sign_in(page, create_staff(live_database, "triage_officer", f"Tay {calm.tag}"))
    assert page.url.endswith("/staff/queue")  # the default view
    rows = page.get_by_role("table", name=QUEUE_TABLE).get_by_role("row")
    texts = rows.all_inner_texts()
    urgent_at = next(i for i, t in enumerate(texts) if urgent_reference in t)
    calm_at = next(i for i, t in enumerate(texts) if calm_reference in t)
    assert urgent_at < calm_at
    for above in texts[1:urgent_at]:  # only other urgent requests can come before it
        assert re.search(r"\b(Red|Blue)\b", above), above
    assert "Consent needed" in texts[urgent_at]
    assert "Consent needed" not in texts[calm_at]
    assert "Ready for triage" in texts[calm_at]
    clean(page, "queue with an urgent request waiting for consent")


# 9. A family's message is noticed until someone reads it -------------------------------

def test_a_familys_message_is_marked_in_the_queue_until_an_officer_reads_it(
        page, new_browser, live_database, live_db):
    case = Case("message")
    family = new_browser()
    reference = send_request(family, years_ago(9), case.email, **case.answers())
    parent_consents(family, reference)
    family.context.clear_cookies()
    family_sign_in(family, live_db, case.email)
    family.get_by_role("link", name=case.preferred).click()
    clean(family, "family's request")
    family.get_by_label("Send a message to the team").fill(
        "School rang: he was sent home again.")
    family.get_by_role("button", name="Send").click()
    assert "School rang: he was sent home again." in family.locator("main").inner_text()
    clean(family, "family's request, message sent")

    officer = f"Tess {case.tag}"
    staff_sign_in(page, create_staff(live_database, "triage_officer", officer))
    assert page.url.endswith("/staff/queue")
    waiting = page.get_by_role("table", name="Messages waiting")
    assert case.child in waiting.inner_text()
    assert "New message" in queue_row(page, reference).inner_text()
    clean(page, "queue with a message waiting")

    queue_row(page, reference).get_by_role("link", name=case.child).click()
    messages = page.locator("main").inner_text()
    assert "School rang: he was sent home again." in messages
    assert f"read by {officer}" in messages
    clean(page, "request with the family's message")

    page.get_by_role("link", name="Triage queue").click()
    assert "New message" not in queue_row(page, reference).inner_text()
    assert case.child not in (page.locator("#messages-waiting").inner_text()
                              if page.locator("#messages-waiting").count() else "")
    clean(page, "queue, message read")
