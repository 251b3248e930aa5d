"""The whole loop in headless Chromium: the family sends a request, staff ask for more
information, the family replies, staff add the child as Amber and release the rating, and
the family sees the rating card and downloads the evidence summary. axe-core checks every
family page."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.browser.conftest import axe_violations
from tests.browser.test_consent_browser import send_request
from tests.browser.test_staff_browser import create_staff
from tests.browser.test_staff_browser import sign_in as staff_sign_in
from tests.support import years_ago

pytestmark = pytest.mark.browser


def clean(page, what: str) -> None:
    assert axe_violations(page) == [], what


def family_sign_in(page, live_db, email: str) -> None:
    page.goto("/account/sign-in")
    clean(page, "family sign in")
    page.get_by_role("button", name="Send me a link").click()
    clean(page, "family sign in, with errors")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Send me a link").click()
    clean(page, "check your email")
    with live_db.connect() as connection:
        body = connection.execute(sa.text(
            "SELECT body FROM outbox_messages WHERE to_address = :a AND kind = "
            "'family_sign_in' ORDER BY id DESC"), {"a": email}).scalars().first()
    page.goto(re.search(r"https?://[^/\s]+(/account/sign-in/\S+)", body).group(1))
    clean(page, "sign-in link")
    page.get_by_role("button", name="Continue").click()
    assert page.url.endswith("/account/")  # the token is gone from the address


def test_the_whole_loop(page, browser, live_server, live_database, live_db):
    from pypdf import PdfReader

    family_context = browser.new_context(base_url=live_server)
    staff_context = browser.new_context(base_url=live_server)
    try:
        family = family_context.new_page()
        email = "loop.family@example.com"
        reference = send_request(  # a child of its own (no NHS number shared with others)
            family, years_ago(9), email, **{"nhs-number": {"nhs_number": ""},
                                            "child-name": {"child_name": "Sam Loop Example",
                                                           "child_preferred_name": ""}})
        family.goto(f"/consent/{reference}")
        family.get_by_label("Yes").check()
        family.get_by_role("button", name="Continue").click()
        family.get_by_label("Your relationship to the child").fill("Father")
        family.get_by_label(re.compile("I agree")).check()
        family.get_by_label("Type your full name to sign").fill("Chris Example")
        family.get_by_role("button", name="Give consent").click()

        staff = staff_context.new_page()
        staff_sign_in(staff, create_staff(live_database, "register_manager", "Rae Manager"))
        staff.locator("tr", has_text=reference).get_by_role("link").click()
        staff.get_by_role("link", name="Ask the family for more information").click()
        staff.get_by_label("What do you need to know?").fill("Is Sam at school this week?")
        staff.get_by_role("button", name="Send the question").click()

        family.context.clear_cookies()
        family_sign_in(family, live_db, email)
        clean(family, "your requests")
        family.get_by_role("link", name=re.compile("Sam")).click()
        assert "Is Sam at school this week?" in family.locator("main").inner_text()
        clean(family, "request, more information asked for")
        family.get_by_role("button", name="Send").click()
        clean(family, "request, reply with an error")
        family.get_by_label("Send a message to the team").fill("Mornings only this week.")
        family.get_by_role("button", name="Send").click()

        staff.reload()
        assert "Mornings only this week." in staff.locator("main").inner_text()
        staff.get_by_role("button", name="Add to the register").click()
        staff.get_by_label("Amber").check()
        staff.get_by_label("Why this rating?").fill("High risk of the school place breaking down.")
        staff.get_by_label("Keyworker (optional)").fill("Kim Keyworker")
        staff.get_by_role("button", name="Add to the register").click()
        staff.get_by_role("button", name="Show the rating to the family").click()

        family.reload()
        card = family.locator("#rating-card").inner_text()
        assert "Amber" in card and "Kim Keyworker" in card
        clean(family, "request with the rating card")
        with family.expect_download() as download:
            family.get_by_role("link", name=re.compile("evidence summary")).click()
        pdf = PdfReader(io.BytesIO(Path(download.value.path()).read_bytes()))
        text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in pdf.pages))
        assert reference in text and "Amber" in text

        family.get_by_role("link", name="Tell us something has changed").click()
        clean(family, "something has changed")
        family.get_by_role("button", name="Send").click()
        clean(family, "something has changed, with an error")
        family.get_by_label("They went to A&E").check()
        family.get_by_role("button", name="Send").click()
        clean(family, "update sent")
        family.goto(f"/account/requests/{reference}")
        # A keyworker was named when they were added: shown, not offered again.
        assert family.get_by_role("link", name="Ask for a keyworker").count() == 0
        assert "Kim Keyworker" in family.locator("#keyworker").inner_text()
        family.goto(f"/account/requests/{reference}/ask/keyworker")
        clean(family, "your keyworker")
        family.goto(f"/account/requests/{reference}/my-data")
        clean(family, "my data")
        family.get_by_role("button", name="Sign out").click()
        clean(family, "signed out")
    finally:
        family_context.close()
        staff_context.close()
