"""Every family page fits a 320 pixel screen, with long values where people type them
(a long email address, long words in messages and actions), and axe-core finds nothing
at that width."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import axe_violations
from tests.conftest import ROOT
from tests.integration.staff_support import make_staff, post_form, sign_in, version_on
from tests.integration.test_family import family_signs_in
from tests.integration.test_family_data import (
    LONG_EMAIL,
    LONG_WORD,
    _day,
    add_keyworker,
    entry_form,
)
from tests.integration.test_staff_casework import _accept, ready_request
from tests.support import unique_nhs_number

pytestmark = pytest.mark.browser


@pytest.fixture
def narrow(browser: Any) -> Iterator[tuple[Any, str]]:
    """A phone-sized page (320 CSS pixels) of the session's browser, and our stylesheet."""
    context = browser.new_context(viewport={"width": 320, "height": 640})
    try:
        yield context.new_page(), (ROOT / "static" / "build" / "app.css").read_text()
    finally:
        context.close()


def overflowing(narrow: tuple[Any, str], html: str) -> list[str]:
    """What sticks out past either edge of a 320 pixel screen (the page with our
    stylesheet, as a phone shows it)."""
    page, css = narrow
    html = re.sub(r'<link rel="stylesheet"[^>]*>', f"<style>{css}</style>", html)
    html = re.sub(r"<script\b.*?</script>", "", html, flags=re.S)
    page.set_content(html.replace("<body class=\"govuk-template__body\">",
                                  "<body class=\"govuk-template__body js-enabled\">"))
    return page.evaluate("""() => {
        const width = document.documentElement.clientWidth;
        const wide = [];
        for (const el of document.querySelectorAll('main *, .app-family-bar *')) {
            const box = el.getBoundingClientRect();
            if (box.width && (box.right > width + 0.5 || box.left < -0.5)) {
                wide.push(el.tagName.toLowerCase() + '.' + el.className + ' ' +
                          Math.round(box.left) + '..' + Math.round(box.right));
            }
        }
        if (document.documentElement.scrollWidth > width) wide.push('the page scrolls sideways');
        return wide;
    }""")


def test_family_pages_fit_a_320_pixel_screen_with_long_values(app, client, narrow):
    long = {"contact-details": {"contact_email": LONG_EMAIL, "contact_phone": ""},
            "child-name": {"child_name": "Robin " + "Long" * 20 + " Example",
                           "child_preferred_name": ""},
            # Known by NHS number: without one, a name this long cannot be added (the
            # register's key for the child holds the whole name).
            "nhs-number": {"nhs_number": unique_nhs_number()}}
    req = ready_request(app, **long)
    staff = make_staff(app, "register_manager")
    sign_in(client, staff)
    page = client.get(f"/staff/requests/{req.id}/more-information").get_data(as_text=True)
    client.submit(f"/staff/requests/{req.id}/more-information", {
        "version": version_on(page), "question": "Tell us about " + LONG_WORD})
    family = family_signs_in(app, LONG_EMAIL)
    post_form(family, f"/account/requests/{req.reference}",
              f"/account/requests/{req.reference}/reply", {"body": LONG_WORD})
    entry_id = _accept(client, req).rsplit("/", 1)[1]
    add_keyworker(client, entry_id, name="Kim " + "Keyworker" * 12,
                  contact="kim." + "keyworker" * 10 + "@example.org")
    post_form(client, f"/staff/register/{entry_id}", f"/staff/register/{entry_id}/release",
              {"release": "1"})
    entry_form(client, entry_id, "action", {
        "description": LONG_WORD, "owner": "Someone" + "x" * 150,
        **_day("due_on", 2, 2, 2099)})
    family.submit(f"/account/requests/{req.reference}/something-has-changed",
                  {"events": ["police"], "details": LONG_WORD})
    base = f"/account/requests/{req.reference}"
    sent = app.test_client()
    sent.submit("/account/sign-in", {"email": LONG_EMAIL})
    pages = {
        "your requests": family.get("/account/").get_data(as_text=True),
        "the request": family.get(base).get_data(as_text=True),
        "information we hold": family.get(f"{base}/my-data").get_data(as_text=True),
        "your keyworker": family.get(f"{base}/ask/keyworker").get_data(as_text=True),
        "ask for a review": family.get(f"{base}/ask/cetr").get_data(as_text=True),
        "something has changed": family.get(f"{base}/something-has-changed").get_data(
            as_text=True),
        "check your email": sent.get("/account/sign-in/check-your-email").get_data(
            as_text=True),
    }
    problems = {name: found for name, html in pages.items()
                if (found := overflowing(narrow, html))}
    assert problems == {}
    for name, html in pages.items():  # and nothing axe-core finds, at that width
        overflowing(narrow, html)
        assert axe_violations(narrow[0]) == [], name
