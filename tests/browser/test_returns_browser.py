"""The monthly return in headless Chromium, by the visible labels: a register manager opens
last month's return from the menu, downloads its CSV (counts only, small ones hidden) and
signs it off. axe-core checks every page on the way."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from portal.domain.returns import first_day, previous_month
from tests.browser.test_case_changes_browser import (
    Case,
    add_to_register,
    open_from_queue,
    parent_consents,
)
from tests.browser.test_consent_browser import send_request
from tests.browser.test_staff_browser import clean, create_staff
from tests.browser.test_staff_browser import sign_in as staff_sign_in
from tests.support import years_ago

pytestmark = pytest.mark.browser


def test_a_manager_opens_last_months_return_downloads_it_and_signs_it_off(
        page, new_browser, live_database, live_db):
    case = Case("returns")
    family = new_browser()
    reference = send_request(family, years_ago(9), case.email, **case.answers())
    parent_consents(family, reference)
    email = create_staff(live_database, "register_manager", "Rowan Returns")
    staff_sign_in(page, email)

    # The child's details the return counts by, on their register entry.
    open_from_queue(page, reference)
    add_to_register(page)
    page.get_by_text("Change sex, ethnic category or local authority").click()
    page.get_by_label("Sex", exact=True).select_option(label="Female")
    page.get_by_label("Ethnic category").select_option(label="Not stated")
    clean(page, "the entry, the return's details open")
    page.get_by_role("button", name="Save").last.click()
    details = page.locator("#return-details + dl")
    expect(details).to_contain_text("Female")
    expect(details).to_contain_text("Not stated")
    clean(page, "the entry, the return's details saved")

    month = previous_month(date.today())
    name = first_day(month).strftime("%B %Y")

    page.get_by_role("link", name="Monthly returns").click()
    expect(page.get_by_role("heading", name="Monthly returns", exact=True)).to_be_visible()
    clean(page, "the monthly returns")
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", name=f"Monthly return for {name}")).to_be_visible()
    expect(page.get_by_role("table", name="On the register at the end of the month, by "
                                          "rating")).to_be_visible()
    clean(page, "last month's return")

    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download the figures (CSV)").click()
    download = downloading.value
    assert download.suggested_filename == f"dsr-return-{month}.csv"
    with open(download.path(), encoding="utf-8") as kept:
        rows = list(csv.reader(io.StringIO(kept.read())))
    assert rows[0] == ["Month", "Table", "Row", "Column", "Count"]
    assert all(row[0] == month for row in rows[1:])
    assert all(c == "*" or c == "0" or int(c) >= 5 for c in (row[4] for row in rows[1:]))

    page.get_by_role("button", name="Sign off the figures").click()
    expect(page.get_by_text("Signed off by Rowan Returns")).to_be_visible()
    clean(page, "the return, signed off")
    with live_db.connect() as connection:
        signed = connection.execute(sa.text(
            "SELECT signed_by, figures_hash FROM return_sign_offs WHERE month = :m "
            "ORDER BY id DESC"), {"m": month}).first()
    assert signed is not None and signed[0] == "Rowan Returns" and len(signed[1]) == 64

    page.get_by_role("link", name="Back to monthly returns").click()
    row = page.get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text("Rowan Returns")
    clean(page, "the monthly returns, one signed off")
