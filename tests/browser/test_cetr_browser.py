"""A C(E)TR in headless Chromium, by the visible labels: a register manager asks for one,
books it, sends the papers and records the outcome with two recommendations that become
actions; the family sees the date and what was agreed; once consent is withdrawn the
papers for the next one are refused. axe-core checks every page on the way."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.browser.test_case_changes_browser import (
    Case,
    add_to_register,
    clean,
    open_from_queue,
    parent_consents,
    withdraw_from_link,
)
from tests.browser.test_consent_browser import mail_link, send_request
from tests.browser.test_family_browser import family_sign_in
from tests.browser.test_staff_browser import create_staff
from tests.browser.test_staff_browser import sign_in as staff_sign_in
from tests.support import years_ago

pytestmark = pytest.mark.browser


def fill_date(page: Any, group: str, day: date, within: Any = None) -> None:
    fields = (within or page).get_by_role("group", name=group, exact=True)
    fields.get_by_label("Day").fill(str(day.day))
    fields.get_by_label("Month").fill(str(day.month))
    fields.get_by_label("Year").fill(str(day.year))


def ask_and_book(page: Any, entry: str, reason: str, on: date) -> None:
    page.goto(entry)
    page.get_by_role("link", name="Ask for a C(E)TR").click()
    clean(page, "ask for a C(E)TR")
    page.get_by_label("Community").check()
    page.get_by_label("Why is it needed?").fill(reason)
    fill_date(page, "Due by", on + timedelta(days=3))
    page.get_by_role("button", name="Ask for the C(E)TR").click()
    assert "/staff/cetrs/" in page.url, page.locator("main").inner_text()
    clean(page, "the C(E)TR, asked for")
    page.get_by_role("link", name="Book the C(E)TR").click()
    clean(page, "book the C(E)TR")
    fill_date(page, "Date", on)
    page.get_by_label("Time").fill("14:30")
    page.get_by_label("Panel members").fill("Dr Rao, psychiatrist\nJo Lee, SENCO")
    page.get_by_label("Chair").fill("Pat Chair")
    page.get_by_role("button", name="Save the booking").click()
    assert "14:30" in page.locator("#booked-for").inner_text()
    clean(page, "the C(E)TR, booked")


def test_a_cetr_from_request_to_outcome_and_papers_refused_without_consent(
        page, new_browser, live_database, live_db):
    case = Case("cetr")
    family = new_browser()
    reference = send_request(family, years_ago(12), case.email, **case.answers())
    parent_consents(family, reference)

    staff_sign_in(page, create_staff(live_database, "register_manager", f"Cam {case.tag}"))
    open_from_queue(page, reference)
    entry = add_to_register(page)
    on = date.today() + timedelta(days=7)
    ask_and_book(page, entry, "Community support tried; school place breaking down.", on)

    page.get_by_role("link", name="Papers for the panel").click()
    assert "Valid now" in page.locator("#consent").inner_text()
    assert "14:30" in page.locator("#papers-due").inner_text()  # 24 hours before
    clean(page, "papers for the panel")
    page.get_by_role("button", name="Mark papers sent").click()
    assert "Not yet" not in page.locator("#papers-sent").inner_text()
    clean(page, "papers sent")

    page.get_by_role("link", name="Record the outcome").click()
    clean(page, "record the outcome")
    fill_date(page, "Date held", date.today())
    page.get_by_label("What was agreed").fill("Stay at home with more support.")
    page.get_by_label("Panel's notes (optional)").fill("Panel only: a sensitive talk.")
    for number, what, who, days in [(1, "Speech and language assessment", "CAMHS", 30),
                                    (2, "Short breaks twice a month", "Social care", 14)]:
        slot = page.get_by_role("group", name=f"Recommendation {number}", exact=True)
        slot.get_by_label("What is recommended").fill(what)
        slot.get_by_label("Who will do it").fill(who)
        fill_date(page, "By when", date.today() + timedelta(days=days), within=slot)
    page.get_by_role("button", name="Save the outcome").click()
    assert "Stay at home with more support." in page.locator("#outcome").inner_text()
    clean(page, "the C(E)TR, held")
    page.get_by_role("link", name="Back to the register entry").click()
    actions = page.get_by_role("table", name="Agreed actions").inner_text()
    assert "Speech and language assessment" in actions and "Short breaks" in actions
    clean(page, "register entry with the C(E)TR's actions")

    family_sign_in(family, live_db, case.email)
    family.get_by_role("link", name=case.preferred).click()
    seen = family.locator("#cetrs ~ .app-message").first.inner_text()
    assert "Review held on" in seen and "Stay at home with more support." in seen
    assert "Short breaks twice a month" in seen
    assert "Panel only" not in family.locator("main").inner_text()
    clean(family, "the family's page with the C(E)TR")

    # A second one is booked; then the parent withdraws consent: no papers may go.
    ask_and_book(page, entry, "Three months on.", on + timedelta(days=60))
    withdraw_from_link(new_browser(), mail_link(live_db, case.email, "consent_receipt",
                                                "withdraw/link"), "Alex Example")
    page.get_by_role("link", name="Papers for the panel").click()
    assert "Not valid now" in page.locator("#consent").inner_text()
    page.get_by_role("button", name="Mark papers sent").click()
    assert "no valid consent" in page.locator("#refused").inner_text()
    with live_db.connect() as connection:
        sent = connection.execute(sa.text(
            "SELECT papers_sent_at FROM cetr_reviews WHERE reason = 'Three months on.' "
            "ORDER BY id DESC")).scalars().first()
    assert sent is None
    clean(page, "papers refused without consent")
