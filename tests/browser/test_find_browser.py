"""Finding a child in headless Chromium, by the visible labels: a triage officer types a
misspelt name, in the wrong order, in the "Find a child" box at the top of a staff page and
finds the child's request; then the NHS number with spaces; then a name nobody has. A
partner agency's search for the same child shows no request. axe-core checks each page."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from portal.domain.nhs_number import formatted
from tests.browser.test_case_changes_browser import clean
from tests.browser.test_consent_browser import send_request
from tests.browser.test_staff_browser import create_staff
from tests.browser.test_staff_browser import sign_in as staff_sign_in
from tests.support import unique_nhs_number, years_ago

pytestmark = pytest.mark.browser


def search(page: Any, typed: str) -> None:
    page.get_by_label("Find a child").fill(typed)
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/staff/find?**")


def test_a_triage_officer_finds_a_child_by_a_misspelt_name_and_by_nhs_number(
        page, new_browser, live_database):
    nhs = unique_nhs_number()
    child = "Bartholomew Quincefield"
    family = new_browser()
    reference = send_request(family, years_ago(10), f"find.{uuid.uuid4().hex[:8]}@example.com",
                             **{"child-name": {"child_name": child,
                                               "child_preferred_name": ""},
                                "nhs-number": {"nhs_number": nhs}})

    staff_sign_in(page, create_staff(live_database, "triage_officer", "Tariq Triage"))
    search(page, "Quinsfield, Bartholemew")
    requests = page.get_by_role("table", name="Requests not on the register")
    row = requests.get_by_role("row").filter(has_text=reference)
    assert child in row.inner_text()
    clean(page, "search results")
    row.get_by_role("link", name=child).click()
    assert reference in page.locator(".govuk-caption-l").inner_text()

    search(page, formatted(nhs))
    assert page.get_by_role("table", name="Requests not on the register").get_by_role(
        "row").filter(has_text=reference).count() == 1
    assert page.get_by_label("Find a child").input_value() == formatted(nhs)

    search(page, "Zebedee Xylophonist")
    assert "No record matches the name" in page.locator("main").inner_text()
    clean(page, "no results")

    # A partner agency finds register entries only: this request is not one.
    partner = new_browser()
    staff_sign_in(partner, create_staff(live_database, "partner_viewer", "Pat Partner"))
    search(partner, "Bartholomew Quincefield")
    text = partner.locator("main").inner_text()
    assert "No record matches the name" in text and reference not in text
    assert partner.get_by_role("table", name="Requests not on the register").count() == 0
    clean(partner, "partner's search")
