"""Finding the way, in headless Chromium, by what a person sees: following a request
sent with only a phone number, the help-now warning after answers that show danger,
changing an answer on "check your answers", and coming back from the crisis page.

axe-core checks every page, in every state it is seen in.
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

BORN = years_ago(13)
DANGER_TEXT = "He tried to jump out of the window tonight. I can't keep him safe"


def _accessible(page: Any, where: str = "") -> None:
    assert axe_violations(page) == [], where or page.url


def _continue(page: Any) -> None:
    page.get_by_role("button", name="Continue").click()


def _fill(label: str, value: str, exact: bool = False) -> Callable[[Any], None]:
    return lambda page: page.get_by_label(label, exact=exact).fill(value)


def _choose(*labels: str) -> Callable[[Any], None]:
    def choose(page: Any) -> None:
        for label in labels:
            page.get_by_label(label, exact=True).check()
    return choose


def _all(*steps: Callable[[Any], None]) -> Callable[[Any], None]:
    def run(page: Any) -> None:
        for step in steps:
            step(page)
    return run


def _journey(happening: Callable[[Any], None],
             contact: Callable[[Any], None]) -> list[tuple[str, Callable[[Any], None]]]:
    """A parent's answers, page by page, given by the labels on the screen."""
    return [
        ("who", _choose("A parent or carer with parental responsibility")),
        ("child-name", _fill("Full name", "Robin Example")),
        ("date-of-birth", _all(_fill("Day", str(BORN.day), exact=True),
                               _fill("Month", str(BORN.month), exact=True),
                               _fill("Year", str(BORN.year), exact=True))),
        ("nhs-number", _fill("What is their NHS number?", "")),
        ("postcode", _fill("What is the postcode where they live?", "LS1 4AP")),
        ("where-they-live", _choose("At home with their family")),
        ("education", _fill("Which school, college or placement do they go to?",
                            "Example Academy")),
        ("autism", _choose("Yes, they have a diagnosis")),
        ("learning-disability", _choose("They are waiting for an assessment")),
        ("hospital", _choose("No")),
        ("happening-now", happening),
        ("services", _choose("GP")),
        ("tried", _fill("What has been tried so far?", "Short days at school.")),
        ("would-help", _fill("What do you think would help?", "A plan.")),
        ("communication", lambda page: None),
        ("language", _fill("Which language would you like us to use?", "English")),
        ("your-name", _fill("What is your name?", "Jo Example")),
        ("contact-details", contact),
        ("contact-method", _choose("Text message")),
    ]


ORDINARY = _all(_choose("The family is finding it very hard to cope"),
                _fill("Tell us what is happening, in your own words",
                      "He finds school hard and we are all tired."))
PHONE_ONLY = _fill("Phone number", "07700 900 982")


def _answer(page: Any, journey: list[tuple[str, Callable[[Any], None]]],
            until: str | None = None, each: Callable[[Any, str], None] | None = None
            ) -> None:
    """Answer each page in turn (checking it with axe first), stopping before `until`."""
    for slug, answer in journey:
        assert page.url.endswith(f"/request/{slug}"), (page.url, slug)
        if slug == until:
            return
        _accessible(page, slug)
        if each is not None:
            each(page, slug)
        answer(page)
        _continue(page)


def _start(page: Any) -> None:
    page.goto("/request")
    page.get_by_role("button", name="Start now").click()


def _send(page: Any) -> None:
    assert page.url.endswith("/request/check-answers")
    _accessible(page, "check answers")
    page.get_by_role("button", name="Send request").click()
    assert "/request/sent/" in page.url
    _accessible(page, "confirmation")


# 2 ------------------------------------------------------------------------------------

def test_a_family_with_only_a_phone_number_adds_an_email_to_follow_online(page):
    page.goto("/")
    _accessible(page, "home")
    expect(page.get_by_role("contentinfo").get_by_role(
        "link", name="Follow your request")).to_be_visible()
    page.get_by_role("main").get_by_role("link", name="Follow your request").click()
    assert page.url.endswith("/account/sign-in")

    _start(page)
    _answer(page, _journey(ORDINARY, PHONE_ONLY))
    _send(page)
    main = page.get_by_role("main")
    assert "We will send text messages to 07700 900 982" in main.inner_text()
    assert "cannot follow your request online yet" in main.inner_text()

    page.get_by_role("button", name="Add email address").click()  # nothing typed
    page.get_by_role("alert").filter(has_text="There is a problem").wait_for(
        state="visible", timeout=10_000)
    assert page.title().startswith("Error:")
    _accessible(page, "confirmation, email missing")

    page.get_by_label("Email address", exact=True).fill("jo@example.com")
    page.get_by_role("button", name="Add email address").click()
    assert "Email address added" in main.inner_text()
    assert "We will send text messages to 07700 900 982" in main.inner_text()
    _accessible(page, "confirmation, email added")
    main.get_by_role("link", name="Follow your request").click()
    assert page.url.endswith("/account/sign-in")
    _accessible(page, "sign in")


# 3 ------------------------------------------------------------------------------------

def _help_now_warning(page: Any, crisis_phone: str) -> None:
    warning = page.get_by_role("region", name="Important")
    expect(warning).to_be_visible()
    assert "do not wait" in warning.inner_text().lower()
    for name, number in (("999", "999"), ("NHS 111", "111"),
                         (crisis_phone, re.sub(r"[^\d+]", "", crisis_phone))):
        link = warning.get_by_role("link", name=name, exact=True)
        expect(link).to_be_visible()
        assert link.get_attribute("href") == f"tel:{number}", name


def test_answers_that_show_danger_bring_the_numbers_to_call_at_once(page, live_server):
    from portal.config import load

    crisis_phone = load({"PORTAL_ENV": "test"})["CRISIS_LINE_PHONE"]
    danger = _all(_choose("A professional has said they may need to go into a "
                          "mental-health hospital soon", "They are in severe distress"),
                  _fill("Tell us what is happening, in your own words", DANGER_TEXT))
    journey = _journey(danger, PHONE_ONLY)
    _start(page)
    _answer(page, journey, until="services")
    _help_now_warning(page, crisis_phone)
    _accessible(page, "the page after, with the warning")
    _answer(page, journey[11:])
    _send(page)
    _help_now_warning(page, crisis_phone)


def test_an_ordinary_request_shows_no_warning(page):
    _start(page)
    journey = _journey(ORDINARY, PHONE_ONLY)
    _answer(page, journey, until="services")
    assert page.get_by_role("region", name="Important").count() == 0


# 4 ------------------------------------------------------------------------------------

def test_changing_who_is_asking_asks_only_the_new_question(page):
    _start(page)
    _answer(page, _journey(ORDINARY, PHONE_ONLY))
    assert page.url.endswith("/request/check-answers")
    _accessible(page, "check answers")
    page.get_by_role("link", name="Change who is asking").click()
    _accessible(page, "who, changing")
    page.get_by_label("Another family member", exact=True).check()
    _continue(page)
    # One new question, then straight back.
    assert page.url.endswith("/request/relationship?change=1")
    _accessible(page, "the new question")
    page.get_by_role("button", name="Continue").click()  # nothing typed: asked again
    assert page.title().startswith("Error:")
    _accessible(page, "the new question, with an error")
    page.get_by_label("How are you related to the child or young person?").fill("Aunt")
    _continue(page)
    assert page.url.endswith("/request/check-answers")
    assert "Aunt" in page.get_by_role("main").inner_text()
    _accessible(page, "check answers, changed")


# 7 ------------------------------------------------------------------------------------

def test_from_a_question_to_the_crisis_page_and_back(page):
    _start(page)
    journey = _journey(ORDINARY, PHONE_ONLY)
    _answer(page, journey, until="postcode")
    page.get_by_label("What is the postcode where they live?").fill("LS1 4AP")
    page.get_by_role("link", name="Need help now?").click()
    assert "/help-now" in page.url
    _accessible(page, "crisis page, from a question")
    assert page.get_by_role("link", name="999", exact=True).get_attribute("href") == "tel:999"
    page.get_by_role("link", name="Go back to your request", exact=True).click()
    assert page.url.endswith("/request/postcode")
    expect(page.get_by_role("heading", name="What is the postcode where they live?")
           ).to_be_visible()
    _accessible(page, "back on the question")
    # Opened from anywhere else, the crisis page offers no way back to a request.
    page.goto("/")
    page.get_by_role("link", name="Need help now?").click()
    assert page.get_by_role("link", name="Go back to your request", exact=True).count() == 0


# 8: the count of characters left, as you type -------------------------------------------

def test_long_answers_count_the_characters_left(page):
    _start(page)
    journey = _journey(ORDINARY, PHONE_ONLY)
    _answer(page, journey, until="tried")
    expect(page.get_by_text("Question 13 of 19")).to_be_visible()
    page.get_by_label("What has been tried so far?").fill("Short days")
    expect(page.get_by_text("You have 4,990 characters remaining")).to_be_visible()
    _accessible(page, "counting")
    page.get_by_label("What has been tried so far?").fill("x" * 5003)
    expect(page.get_by_text("You have 3 characters too many")).to_be_visible()
    _accessible(page, "too many")
