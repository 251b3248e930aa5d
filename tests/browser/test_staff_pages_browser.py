"""The pages that keep one child to one record and one rating honest, in Chromium with
axe-core on every state: a shared NHS number, the same child twice, correcting a number,
recording Gillick competence or capacity, leaving hospital, the meeting's own date; and
the young person's pages for an 18-year-old and for a link to change their mind later."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.test_case_changes_browser import (
    Case,
    add_to_register,
    clean,
    open_from_queue,
    parent_consents,
    show_code_on_screen,
)
from tests.browser.test_consent_browser import send_request
from tests.browser.test_staff_browser import create_staff
from tests.browser.test_staff_browser import sign_in as staff_sign_in
from tests.support import unique_nhs_number, years_ago

pytestmark = pytest.mark.browser


def consented_request(new_page: Any, case: Case, **answers: Any) -> str:
    family = new_page()
    reference = send_request(family, years_ago(11), case.email, **case.answers(**answers))
    parent_consents(family, reference)
    return reference


def test_one_nhs_number_two_children_and_one_child_twice(page, browser, live_server,
                                                         live_database):
    contexts: list[Any] = []

    def new_page() -> Any:
        contexts.append(browser.new_context(base_url=live_server))
        return contexts[-1].new_page()

    try:
        number = unique_nhs_number()
        first, second, again = Case("clash1"), Case("clash2"), Case("twice")
        first_ref = consented_request(new_page, first, **{"nhs-number": {"nhs_number": number}})
        second_ref = consented_request(new_page, second,
                                       **{"nhs-number": {"nhs_number": number}})
        again.child, again.preferred = first.child, first.preferred  # the same child again
        again_ref = consented_request(new_page, again, **{"nhs-number": {"nhs_number": ""}})
    finally:
        for context in contexts:
            context.close()

    staff_sign_in(page, create_staff(live_database, "register_manager", "Rhea Manager"))
    open_from_queue(page, first_ref)
    add_to_register(page)

    open_from_queue(page, second_ref)
    assert "has the same NHS number" in page.locator("main").inner_text()
    page.get_by_role("button", name="Add to the register").click()
    page.get_by_label("Why this rating?").fill("Coordination needed.")
    page.get_by_role("button", name="Add to the register").click()
    assert "A different child" in page.locator("main").inner_text()
    clean(page, "adding a child whose NHS number another child has")
    page.get_by_role("link", name="Correct this NHS number").click()
    clean(page, "correct the NHS number")
    page.get_by_label("NHS number").fill("123")
    page.get_by_role("button", name="Save the NHS number").click()
    assert "Enter a real NHS number" in page.locator(".govuk-error-summary").inner_text()
    clean(page, "correct the NHS number, with an error")
    page.get_by_label("NHS number").fill(unique_nhs_number())
    page.get_by_role("button", name="Save the NHS number").click()
    add_to_register(page)  # now a record of their own

    open_from_queue(page, again_ref)
    assert "may be the same child" in page.locator("main").inner_text()
    page.get_by_role("link", name="Join or close as the same child").click()
    clean(page, "the same child as another request")
    assert page.get_by_label("Reference of the other request").input_value() == first_ref
    page.get_by_role("button", name="Save").click()
    assert "Select join or close" in page.locator(".govuk-error-summary").inner_text()
    clean(page, "the same child, with an error")
    page.get_by_label("Close it").check()
    page.get_by_role("button", name="Save").click()
    assert "Closed as the same child as request" in page.locator("main").inner_text()
    clean(page, "closed as the same child")


def test_a_finding_leaving_hospital_and_the_meeting(page, browser, live_server,
                                                    live_database, live_db):
    context = browser.new_context(base_url=live_server)
    try:
        reference = consented_request(context.new_page, Case("finding"))
        other = consented_request(context.new_page, Case("discharge"))
    finally:
        context.close()
    staff_sign_in(page, create_staff(live_database, "register_manager", "Rhea Manager"))
    open_from_queue(page, reference)
    page.get_by_role("link", name="Record Gillick competence, or a lack of capacity").click()
    clean(page, "record a finding")
    # Under 16 only Gillick competence applies, so it is the one choice, already chosen.
    assert page.get_by_label(re.compile("competent to decide for themselves")).is_checked()
    page.get_by_role("button", name="Record the decision").click()
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "Enter who made the assessment" in summary and "Enter the date" in summary
    clean(page, "record a finding, with errors")
    page.get_by_label("Who made the assessment").fill("Dr Example, psychologist")
    page.get_by_label("Day").fill("2")
    page.get_by_label("Month").fill("11")
    page.get_by_label("Year").fill("2026")
    page.get_by_label("Why: how the decision was reached").fill("Understands and can decide.")
    page.get_by_role("button", name="Record the decision").click()
    main = page.locator("main").inner_text()
    assert "Competent to decide for themselves" in main
    assert "needs to give their own consent" in main  # now it is the child's own decision
    clean(page, "request with a finding")
    page.get_by_role("link", name="Send the young person a new link").click()
    clean(page, "send the young person a new link")
    page.get_by_role("button", name="Send the link").click()
    assert "Enter the young person's email address" in page.locator(
        ".govuk-error-summary").inner_text()
    clean(page, "send the young person a new link, with an error")
    page.get_by_label("The young person's email address").fill("robin.asks@example.com")
    page.get_by_role("button", name="Send the link").click()
    assert "/staff/requests/" in page.url and "new link" in page.locator("main").inner_text()

    open_from_queue(page, other)
    entry = add_to_register(page)
    page.get_by_text("Change the rating").click()
    page.get_by_label("Blue").check()
    page.get_by_label("Why is the rating changing?").fill("Admitted to hospital.")
    page.get_by_role("button", name="Save the rating").click()
    page.get_by_text("Change the rating").click()
    page.get_by_label("Amber").check()
    page.get_by_label("Why is the rating changing?").fill("Home again.")
    page.get_by_role("button", name="Save the rating").click()
    assert "they stay Red until" in page.locator("main").inner_text()
    clean(page, "a lower rating too soon after leaving hospital")
    page.get_by_label("Red", exact=True).check()
    page.get_by_role("button", name="Save the rating").click()
    assert "Left hospital on" in page.locator("main").inner_text()
    clean(page, "Red after leaving hospital")

    page.goto(f"/staff/meeting?meeting=2026-12-01&due={_review_of(live_db, entry)}")
    clean(page, "meeting")
    assert page.get_by_label("Meeting date").input_value() == "2026-12-01"


def _review_of(live_db: Any, entry_path: str) -> str:
    with live_db.connect() as connection:
        return str(connection.execute(sa.text(
            "SELECT next_review_on FROM register_entries WHERE id = :i"),
            {"i": int(entry_path.rsplit("/", 1)[1])}).scalar_one())


def test_the_young_persons_pages_for_18_and_for_a_link_later(page, browser, live_server,
                                                            live_db):
    case = Case("later")
    reference = send_request(page, years_ago(16, days=30), case.email, **case.answers())
    parent_consents(page, reference)
    path = show_code_on_screen(page, case.preferred)
    phone_context = browser.new_context(base_url=live_server,
                                        viewport={"width": 360, "height": 740})
    try:
        phone = phone_context.new_page()
        phone.goto(path)
        phone.get_by_role("button", name="Start").click()
        phone.get_by_role("button", name=re.compile("Next")).click()
        phone.get_by_label("Yes", exact=True).check()
        phone.get_by_label("Write your name").fill("Sam")
        phone.get_by_role("button", name="Send my answer").click()
        phone.get_by_role("button", name="Send me a link").click()
        assert "Enter an email address" in phone.locator(".govuk-error-summary").inner_text()
        clean(phone, "thank you, asking for a link, with an error")
        phone.get_by_label("Your email address (optional)").fill(f"sam.{case.tag}@example.com")
        phone.get_by_role("button", name="Send me a link").click()
        assert "We sent a link to" in phone.locator("main").inner_text()
        clean(phone, "thank you, link sent")
        phone.get_by_role("button", name="I have changed my mind").click()
        clean(phone, "change your mind")
        expect(phone.get_by_role("link", name="I do not want to withdraw")).to_be_visible()

        with live_db.begin() as connection:  # time passes: they are 18 now
            connection.execute(sa.text(
                "UPDATE support_requests SET child_date_of_birth = :born "
                "WHERE reference = :r"), {"born": years_ago(18, 0), "r": reference})
        phone.goto("/young-person")
        assert "You are 18 or over" in phone.locator("h1").inner_text()
        clean(phone, "18 or over")
    finally:
        phone_context.close()
