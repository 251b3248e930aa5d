"""The hand-over to the adult register in headless Chromium, by the visible labels: a young
person of 17 and a half on the register; a register manager writes the transition plan and
sends them their link; the parent's browser is turned away; the young person says yes on
the Easy Read pages in their own browser; the manager downloads the hand-over summary,
records the referral as accepted and, on the 18th birthday, closes the entry: it shows
"Moved to the adult register" and is gone from the live register. axe-core checks every
page on the way."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from portal.domain.consent import add_months
from tests.browser.test_case_changes_browser import (
    Case,
    add_to_register,
    clean,
    open_from_queue,
    parent_consents,
)
from tests.browser.test_cetr_browser import fill_date
from tests.browser.test_consent_browser import mail_link, send_request
from tests.browser.test_staff_browser import create_staff
from tests.browser.test_staff_browser import sign_in as staff_sign_in
from tests.support import years_ago

pytestmark = pytest.mark.browser


def born_on(live_db: Any, entry: str, born: date) -> None:
    """The young person on this entry was born on `born` (the test moves time on)."""
    entry_id = int(entry.rsplit("/", 1)[1])
    with live_db.begin() as connection:
        connection.execute(sa.text(
            "UPDATE register_entries SET child_date_of_birth = :b WHERE id = :e"),
            {"b": born.isoformat(), "e": entry_id})
        connection.execute(sa.text(
            "UPDATE support_requests SET child_date_of_birth = :b WHERE id = "
            "(SELECT request_id FROM register_entries WHERE id = :e)"),
            {"b": born.isoformat(), "e": entry_id})


def test_a_young_person_moves_to_the_adult_register_on_their_18th_birthday(
        page, new_browser, live_database, live_db, tmp_path):
    case = Case("adult")
    young_address = f"sky.{uuid.uuid4().hex[:8]}@example.org"
    family = new_browser()
    reference = send_request(family, years_ago(12), case.email, **case.answers())
    parent_consents(family, reference)
    staff_sign_in(page, create_staff(live_database, "register_manager", f"Mo {case.tag}"))
    open_from_queue(page, reference)
    entry = add_to_register(page)
    born_on(live_db, entry, add_months(date.today(), -(17 * 12 + 7)))

    # 17 and a half: on the attention list, and a section on the entry.
    page.get_by_role("link", name="Needs attention").click()
    listed = page.get_by_role("table", name="Moving to the adult register")
    assert case.child in listed.inner_text() and "Not written" in listed.inner_text()
    clean(page, "needs attention, with those moving to the adult register")

    page.goto(entry)
    page.get_by_role("link", name="Write the transition plan").click()
    clean(page, "write the transition plan")
    page.get_by_label("What does the adult register need to know?").fill(
        "Needs one worker she knows and a quiet place to meet.")
    page.get_by_label("Who leads the move to adult services?").fill("Pat Lead")
    page.get_by_label("Their organisation").fill("Adult social care")
    page.get_by_label("What the young person wants (optional)").fill("To stay at home.")
    fill_date(page, "Referral planned by (optional)", date.today())
    page.get_by_role("button", name="Save the plan").click()
    assert "Led by Pat Lead, Adult social care" in page.locator("#handover-summary").inner_text()
    clean(page, "register entry with the plan")

    page.get_by_role("link", name="Send the young person their link").click()
    clean(page, "send the young person their link")
    page.get_by_label("The young person's own email address").fill(young_address)
    page.get_by_role("button", name="Send the link").click()
    assert "Link sent" in page.locator("h1").inner_text()
    clean(page, "link sent")
    link = mail_link(live_db, young_address, "handover_invitation",
                     "young-person/adult-register")

    # The parent's browser cannot use it.
    new_browser.expect_refusal(403)
    family.goto(link)
    assert "Only" in family.locator("#wrong-browser ~ p").first.inner_text()

    # The young person, in their own browser.
    young = new_browser()
    young.goto(link)
    clean(young, "the young person's welcome")
    young.get_by_role("button", name="Start").click()
    assert "pass your details to the adult register" in young.locator("h1").inner_text()
    clean(young, "the Easy Read page about the adult register")
    young.get_by_role("button", name="Next: tell us what you think").click()
    clean(young, "the young person's question")
    young.get_by_label("Yes, you can tell them").check()
    young.get_by_label("Is there anything you want to tell us? (optional)").fill(
        "I want help with college.")
    young.get_by_role("button", name="Send my answer").click()
    assert "You said yes." in young.locator("#your-answer").inner_text()
    clean(young, "the young person's thank-you")

    # The manager: the summary, the referral, and the birthday.
    page.goto(entry)
    assert "Yes: they want to be referred" in page.locator("#handover-answer").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the hand-over summary (PDF)").click()
    saved = tmp_path / "summary.pdf"
    download.value.save_as(saved)
    assert Path(saved).read_bytes().startswith(b"%PDF")

    page.get_by_role("link", name="Record the referral").click()
    clean(page, "record the referral")
    page.get_by_label("Sent to").fill("Adult DSR team")
    page.get_by_label("Accepted onto the adult register").check()
    fill_date(page, "Date of the answer", date.today())
    page.get_by_role("button", name="Save the referral").click()
    assert "Accepted onto the adult register" in page.locator(
        "#handover-referral").inner_text()
    clean(page, "register entry with the referral accepted")

    born_on(live_db, entry, add_months(date.today(), -18 * 12))  # today is the birthday
    page.reload()
    page.get_by_role("button", name="Close the entry: they are 18").click()
    assert "Moved to the adult register" in page.locator("#closed").inner_text()
    clean(page, "the entry, closed")
    page.get_by_role("link", name="Back to the register").click()
    assert case.child not in page.locator("main").inner_text()
