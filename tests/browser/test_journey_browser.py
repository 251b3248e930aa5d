"""A parent's whole journey in headless Chromium, with and without JavaScript.

With JavaScript on, axe-core checks every page of the journey against WCAG 2.2 A and AA,
and each question page again while it shows its validation errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations
from tests.support import years_ago

pytestmark = pytest.mark.browser

REFERENCE = re.compile(r"^DSR-[ACDEFGHJKMNPQRTUVWXY34679]{4}-[ACDEFGHJKMNPQRTUVWXY34679]{4}$")
BORN = years_ago(13)


def _radio(name: str, value: str) -> Callable[[Any], None]:
    return lambda page: page.check(f"input[name={name}][value={value}]")


def _fill(**values: str) -> Callable[[Any], None]:
    def fill(page: Any) -> None:
        for name, value in values.items():
            page.fill(f"[name='{name}']", value)
    return fill


def _boxes(name: str, *values: str, **text: str) -> Callable[[Any], None]:
    def tick(page: Any) -> None:
        for value in values:
            page.check(f"input[name={name}][value={value}]")
        _fill(**text)(page)
    return tick


def _nothing(page: Any) -> None:
    return None


# (page, how a parent answers it, a wrong or missing answer that must be refused)
JOURNEY: list[tuple[str, Callable[[Any], None], Callable[[Any], None]]] = [
    ("who", _radio("who", "parent"), _nothing),
    ("child-name", _fill(child_name="Robin Example", child_preferred_name="Rob"),
     _fill(child_name="")),
    ("date-of-birth", _fill(**{"child_dob-day": str(BORN.day),
                              "child_dob-month": str(BORN.month),
                              "child_dob-year": str(BORN.year)}),
     _fill(**{"child_dob-day": "31", "child_dob-month": "2", "child_dob-year": "2015"})),
    ("nhs-number", _fill(nhs_number="943 476 5919"), _fill(nhs_number="943 476 5918")),
    ("postcode", _fill(postcode="LS1 4AP"), _fill(postcode="not a postcode")),
    ("where-they-live", _radio("living_situation", "family_home"), _nothing),
    ("education", _fill(education_setting="Example Academy"), _fill(education_setting="")),
    ("autism", _radio("autism", "diagnosed"), _nothing),
    ("learning-disability", _radio("learning_disability", "waiting"), _nothing),
    ("hospital", _radio("in_hospital", "no"), _nothing),
    ("happening-now", _boxes("risks", "severe_distress", "school_exclusion",
                             risks_in_own_words="He has not been to school for a month."),
     _nothing),
    ("services", _boxes("services", "camhs", "gp"), _nothing),
    ("tried", _fill(tried="Short days at school."), _fill(tried="x" * 5001)),
    ("would-help", _fill(would_help="Someone to bring the services together."),
     _fill(would_help="x" * 5001)),
    ("communication", _fill(communication_needs="Uses a picture board."),
     _fill(communication_needs="x" * 5001)),
    ("language", _fill(preferred_language="English"), _fill(preferred_language="")),
    ("your-name", _fill(requester_name="Jo Example"), _fill(requester_name="")),
    ("contact-details", _fill(contact_email="jo@example.com", contact_phone=""),
     _fill(contact_email="jo@", contact_phone="12")),
    ("contact-method", _radio("contact_method", "email"), _nothing),
]


def _continue(page: Any) -> None:
    page.get_by_role("button", name="Continue").click()


def _eligibility(page: Any, check_axe: bool) -> None:
    page.goto("/")
    if check_axe:
        assert axe_violations(page) == []
    page.get_by_role("button", name="Check if the register is right for them").click()
    for name, value in (("answer", "under_18"), ("answer", "suspected"), ("answer", "yes")):
        if check_axe:
            assert axe_violations(page) == [], page.url
        page.check(f"input[name={name}][value={value}]")
        _continue(page)
    assert page.url.endswith("/check/result")
    if check_axe:
        assert axe_violations(page) == []
    page.get_by_role("button", name="Ask for them to be added").click()
    assert page.url.endswith("/request")
    if check_axe:
        assert axe_violations(page) == []
    page.get_by_role("button", name="Start now").click()


def _finish(page: Any, check_axe: bool) -> str:
    assert page.url.endswith("/request/check-answers")
    body = page.locator("main").inner_text()
    for shown in ("Robin Example", "943 476 5919", "LS1 4AP", "jo@example.com"):
        assert shown in body
    if check_axe:
        assert axe_violations(page) == []
    page.get_by_role("button", name=re.compile("Send")).click()
    reference = page.locator("#reference").inner_text().strip()
    assert REFERENCE.match(reference), reference
    assert "What happens next" in page.locator("main").inner_text()
    if check_axe:
        assert axe_violations(page) == []
    return reference


def test_a_parent_completes_the_journey_and_every_page_passes_axe(page):
    _eligibility(page, check_axe=True)
    for slug, answer, wrong in JOURNEY:
        assert page.url.endswith(f"/request/{slug}"), (page.url, slug)
        assert axe_violations(page) == [], slug
        wrong(page)
        _continue(page)
        assert page.url.endswith(f"/request/{slug}"), slug
        summary = page.locator(".govuk-error-summary")
        # The page posts back to itself: wait for the answer rather than read the old page.
        summary.wait_for(state="visible", timeout=10_000)
        # GOV.UK Frontend moves focus to the summary so a screen reader reads it.
        assert page.evaluate(
            "() => document.activeElement.closest('.govuk-error-summary') !== null"), slug
        assert page.title().startswith("Error:"), slug
        assert axe_violations(page) == [], f"{slug} with errors"
        # The summary link takes the parent to the field in question.
        summary.locator("a").first.click()
        assert page.evaluate("() => document.activeElement.tagName") in {
            "INPUT", "TEXTAREA"}, slug
        answer(page)
        _continue(page)
    _finish(page, check_axe=True)


def test_the_journey_works_without_javascript(no_js_page):
    page = no_js_page
    _eligibility(page, check_axe=False)
    for slug, answer, _wrong in JOURNEY:
        assert page.url.endswith(f"/request/{slug}"), (page.url, slug)
        answer(page)
        _continue(page)
    _finish(page, check_axe=False)


def test_the_information_pages_pass_axe(page):
    from portal.public.content import PAGES

    for path in ["/help-now", *[f"/about/{slug}" for slug in PAGES]]:
        page.goto(path)
        assert axe_violations(page) == [], path


def test_the_crisis_link_is_one_tap_away_on_a_phone(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        page.goto("/request")
        link = page.get_by_role("link", name="Need help now?")
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box["y"] < 640  # on the first screen, no scrolling
        link.click()
        assert page.url.endswith("/help-now")
        expect(page.locator("a[href='tel:999']")).to_be_visible()
        # Nothing on the page is wider than a small phone screen.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
        assert axe_violations(page) == []
    finally:
        context.close()
