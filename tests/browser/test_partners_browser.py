"""Partner agencies in headless Chromium, by the visible labels: an admin adds an agency
and puts a partner account in it; a register manager gives an action to the agency; the
partner opens their agency's actions, accepts it, adds a progress note and closes it,
then adds an update and a meeting contribution; the manager's entry page shows it closed
with the agency's name. axe-core checks every page on the way."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.test_case_changes_browser import (
    Case,
    add_to_register,
    clean,
    open_from_queue,
    parent_consents,
)
from tests.browser.test_consent_browser import send_request
from tests.browser.test_staff_browser import create_staff
from tests.browser.test_staff_browser import sign_in as staff_sign_in
from tests.support import years_ago

pytestmark = pytest.mark.browser


def test_a_partner_accepts_updates_and_closes_their_agencys_action(page, new_browser,
                                                                   live_database):
    case = Case("partners")
    agency = f"Northshire Social Care {case.tag}"
    partner_name = f"Pat {case.tag}"

    # The admin adds the agency and puts the partner account in it.
    partner_email = create_staff(live_database, "partner_viewer", partner_name)
    admin = new_browser()
    staff_sign_in(admin, create_staff(live_database, "admin", f"Ada {case.tag}"))
    admin.get_by_role("link", name="Partner agencies").click()
    clean(admin, "partner agencies")
    admin.get_by_role("button", name="Add an agency").click()
    clean(admin, "add an agency")
    admin.get_by_role("button", name="Add the agency").click()
    expect(admin.locator(".govuk-error-summary")).to_be_visible()
    clean(admin, "add an agency, with errors")
    admin.get_by_label("Name of the agency").fill(agency)
    admin.get_by_label("Social care").check()
    admin.get_by_role("button", name="Add the agency").click()
    expect(admin.get_by_role("cell", name=agency)).to_be_visible()
    admin.get_by_role("link", name="Staff accounts").click()
    admin.get_by_role("link", name=f"Change agency of {partner_name}").click()
    clean(admin, "a partner's agency")
    admin.get_by_label(agency).check()
    admin.get_by_role("button", name="Save").click()
    expect(admin.get_by_role("row").filter(has_text=partner_name)).to_contain_text(agency)
    clean(admin, "staff accounts with agencies")

    # A register manager puts the child on the register and gives the agency an action.
    family = new_browser()
    reference = send_request(family, years_ago(12), case.email, **case.answers())
    parent_consents(family, reference)
    staff_sign_in(page, create_staff(live_database, "register_manager", f"Mo {case.tag}"))
    open_from_queue(page, reference)
    entry = add_to_register(page)
    page.get_by_text("Add an action").click()
    page.get_by_label("What will be done?").fill("Visit the family at home")
    page.get_by_label("Who will do it?").fill("Duty social worker")
    due = date.today() + timedelta(days=14)
    dates = page.get_by_role("group", name="By when?", exact=True)
    dates.get_by_label("Day").fill(str(due.day))
    dates.get_by_label("Month").fill(str(due.month))
    dates.get_by_label("Year").fill(str(due.year))
    page.get_by_label("Give it to a partner agency (optional)").select_option(label=agency)
    page.get_by_role("button", name="Add the action").click()
    expect(page.locator("#agency-actions")).to_contain_text("Not accepted yet")
    clean(page, "entry with an agency's action")

    # The partner accepts it, adds a progress note and closes it.
    partner = new_browser()
    staff_sign_in(partner, partner_email)
    partner.get_by_role("link", name="Your agency's actions").click()
    expect(partner.get_by_role("heading", name=f"Actions for {agency}")).to_be_visible()
    clean(partner, "actions for the agency")
    partner.get_by_role("link", name="Visit the family at home").click()
    clean(partner, "the action")
    partner.get_by_role("button", name="Accept this action").click()
    expect(partner.locator("#where")).to_contain_text(f"Accepted by {partner_name}")
    partner.get_by_role("button", name="Add the progress note").click()
    expect(partner.locator(".govuk-error-summary")).to_be_visible()
    clean(partner, "the action, with errors")
    partner.get_by_label("Progress note").fill("Visit booked for Friday.")
    partner.get_by_role("button", name="Add the progress note").click()
    expect(partner.get_by_text("Visit booked for Friday.")).to_be_visible()
    partner.get_by_label("What was done?").fill("Visited; a plan for mornings agreed.")
    partner.get_by_role("button", name="Close the action").click()
    expect(partner.locator("#where")).to_contain_text("Closed")
    clean(partner, "the action, closed")

    # ...and tells the register what the agency knows, and the meeting.
    partner.get_by_role("link", name=case.child).click()
    partner.get_by_role("link", name="Add an update from your agency").click()
    clean(partner, "an update")
    partner.get_by_label("What does your agency know, or what has it done?").fill(
        "School says mornings are hard.")
    partner.get_by_role("button", name="Add the update").click()
    partner.get_by_role("link", name="Add something for the monthly meeting").click()
    clean(partner, "a meeting contribution")
    partner.get_by_label("What should the meeting know?").fill("We can offer short breaks.")
    partner.get_by_role("button", name="Add for the meeting").click()
    expect(partner.get_by_text("We can offer short breaks.")).to_be_visible()
    clean(partner, "the entry, as a partner")

    # The casework view shows it closed, with the agency's name.
    page.goto(entry)
    actions = page.locator("#agency-actions")
    expect(actions).to_contain_text("Closed")
    expect(actions).to_contain_text(f"by {partner_name} ({agency})")
    expect(page.get_by_text(f"{partner_name} ({agency})").first).to_be_visible()
    clean(page, "entry with the partner's work")
