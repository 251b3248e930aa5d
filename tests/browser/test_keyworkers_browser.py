"""A named keyworker in headless Chromium, by the visible labels: a register manager adds a
child to the register with a member of staff as keyworker; the family sends a message
from their own pages; the keyworker signs in, finds the child on My children marked with
the new message, opens the entry, and the mark is gone. axe-core checks every page."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_case_changes_browser import (
    Case,
    clean,
    mails_to,
    open_from_queue,
    parent_consents,
)
from tests.browser.test_consent_browser import send_request
from tests.browser.test_family_browser import family_sign_in
from tests.browser.test_reflow_browser import WIDE, reflows
from tests.browser.test_staff_browser import create_staff
from tests.browser.test_staff_browser import sign_in as staff_sign_in
from tests.support import years_ago

pytestmark = pytest.mark.browser


def my_children_row(page: Any, child: str) -> Any:
    return page.get_by_role("table", name="Children you key-work, urgent first").get_by_role(
        "row").filter(has_text=child)


def test_the_keyworker_sees_the_familys_message_on_my_children_and_opens_it(
        page, new_browser, live_database, live_db):
    case = Case("keyworker")
    keyworker = f"Kim {case.tag}"
    keyworker_email = create_staff(live_database, "triage_officer", keyworker)

    family = new_browser()
    reference = send_request(family, years_ago(11), case.email, **case.answers())
    parent_consents(family, reference)

    # The manager adds the child to the register, with Kim as keyworker.
    staff_sign_in(page, create_staff(live_database, "register_manager", f"Rhea {case.tag}"))
    open_from_queue(page, reference)
    page.get_by_role("button", name="Add to the register").click()
    clean(page, "add to the register")
    page.get_by_label("Keyworker with a staff account").select_option(label=keyworker)
    page.get_by_label("Why this rating?").fill("Coordination needed.")
    page.get_by_role("button", name="Add to the register").click()
    assert "/staff/register/" in page.url, page.locator("main").inner_text()
    assert keyworker in page.locator("#details").inner_text()
    clean(page, "register entry with a keyworker")

    # The family writes from their own pages.
    family.context.clear_cookies()
    family_sign_in(family, live_db, case.email)
    family.get_by_role("link", name=case.preferred).click()
    family.get_by_label("Send a message to the team").fill("He has not slept for days.")
    family.get_by_role("button", name="Send").click()
    clean(family, "family's request, message sent")
    told = mails_to(live_db, keyworker_email, "keyworker_notice")
    assert len(told) == 1 and reference in told[0] and case.child not in told[0]

    # The keyworker signs in and finds it on My children.
    mine = new_browser()
    staff_sign_in(mine, keyworker_email)
    mine.get_by_role("link", name="My children").click()
    clean(mine, "my children, a new message")
    row = my_children_row(mine, case.child)
    assert "1 new message from the family" in row.inner_text()
    assert reference in row.inner_text()
    reflows(mine, "my children on a small screen")
    mine.set_viewport_size(WIDE)
    row.get_by_role("link", name=case.child).click()
    assert "He has not slept for days." in mine.locator("#messages").locator("..").inner_text()
    clean(mine, "the entry, opened by the keyworker")

    mine.get_by_role("link", name="My children").click()
    row = my_children_row(mine, case.child)
    assert "Nothing new" in row.inner_text()
    assert "new message" not in row.inner_text()
    clean(mine, "my children, all read")
