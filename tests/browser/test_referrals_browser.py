"""Referrals in headless Chromium, by the visible labels: a social worker refers a child
and the parent consents from the link emailed to them; a looked-after child's request
(care order) is completed by the council's social worker from their own link. axe-core
checks every new page on the way."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from tests.browser.test_case_changes_browser import clean
from tests.browser.test_consent_browser import _post, mail_link, state_of
from tests.integration.test_referrals import referral_answers

pytestmark = pytest.mark.browser


def _continue(page: Any) -> None:
    page.get_by_role("button", name="Continue").click()


def social_worker_refers(page: Any, tag: str, *, care: str, consent_from: str,
                         consent_email: str) -> str:
    """The pages new to a professional by their labels (axe on each); the others, which
    the parent's journey test covers, posted in the same browser session."""
    answers = dict(referral_answers(tag=tag, care=care, consent_from=consent_from,
                                    family_email=consent_email))
    page.goto("/request")
    page.get_by_role("button", name="Start now").click()
    page.get_by_label("A professional (social care, education or health)").check()
    _continue(page)
    clean(page, "your name")
    page.get_by_label("What is your name?").fill("Jo Carter")
    _continue(page)
    clean(page, "your job")
    page.get_by_label("What is your job?").fill("Social worker")
    _continue(page)
    clean(page, "your organisation")
    page.get_by_label("Which organisation do you work for?").fill("Northshire Council")
    _continue(page)
    _continue(page)  # nothing typed: refused, and the page says why
    clean(page, "your email address, with an error")
    page.get_by_label("What is your email address?").fill(f"jo.{tag}@council.example")
    _continue(page)
    for slug in ("child-name", "date-of-birth", "nhs-number", "postcode", "where-they-live"):
        assert _post(page, f"/request/{slug}", answers[slug]).status == 302, slug
    page.goto("/request/care-status")
    clean(page, "looked after by a council")
    page.get_by_label("Yes, under a care order" if care == "care_order"
                      else "No", exact=True).check()
    _continue(page)
    if care == "care_order":
        clean(page, "which council")
        page.get_by_label("Which council looks after them?").fill("Northshire Council")
        _continue(page)
    for slug in ("education", "autism", "learning-disability", "hospital", "happening-now",
                 "services", "tried", "would-help", "communication"):
        assert _post(page, f"/request/{slug}", answers[slug]).status == 302, slug
    page.goto("/request/consent-from")
    clean(page, "who gives consent")
    page.get_by_label("The child's social worker, for the council" if consent_from ==
                      "council" else "A parent or carer with parental responsibility").check()
    _continue(page)
    clean(page, "their name")
    page.get_by_label("What is the name of the person we should ask for consent?").fill(
        "Jo Carter" if consent_from == "council" else "Alex Example")
    _continue(page)
    assert _post(page, "/request/language", answers["language"]).status == 302
    page.goto("/request/contact-details")
    clean(page, "the contact details of the person who gives consent")
    page.get_by_label("Email address").fill(consent_email)
    _continue(page)
    page.get_by_label("Email", exact=True).check()
    _continue(page)
    page.get_by_role("button", name="Send request").click()
    assert "/request/sent/" in page.url
    clean(page, "request sent, by a professional")
    assert page.get_by_role("heading", name="Who gives consent").is_visible()
    return page.url.rsplit("/", 1)[1]


def test_a_social_worker_refers_and_the_parent_consents_from_the_emailed_link(
        page, new_browser, live_db):
    tag = uuid.uuid4().hex[:8]
    parent_address = f"alex.{tag}@example.com"
    reference = social_worker_refers(page, tag, care="none", consent_from="parent",
                                     consent_email=parent_address)
    assert page.get_by_role("button", name="Give consent now").count() == 0
    assert state_of(live_db, reference) == "awaiting_consent"

    parent = new_browser()
    parent.goto(mail_link(live_db, parent_address, "consent_invitation", "consent/link"))
    parent.get_by_role("button", name="Continue").click()
    parent.get_by_label("Yes", exact=True).check()
    parent.get_by_role("button", name="Continue").click()
    clean(parent, "consent text, with the question about the professional")
    parent.get_by_label("Your relationship to the child").fill("Mother")
    parent.get_by_label(re.compile("^I agree")).check()
    parent.get_by_role("group", name="May Jo Carter see how the request is going?") \
        .get_by_label("Yes", exact=True).check()
    parent.get_by_label("Type your full name to sign").fill("Alex Example")
    parent.get_by_role("button", name="Give consent").click()
    assert "/consent/signed/" in parent.url
    assert state_of(live_db, reference) == "ready_for_triage"
    assert mail_link(live_db, f"jo.{tag}@council.example", "referral_may_follow",
                     "account") == "/account/sign-in"


def test_a_care_order_childs_request_is_completed_by_the_councils_social_worker(
        page, new_browser, live_db):
    tag = uuid.uuid4().hex[:8]
    work = f"jo.{tag}@council.example"
    reference = social_worker_refers(page, tag, care="care_order", consent_from="council",
                                     consent_email=work)
    assert state_of(live_db, reference) == "awaiting_consent"

    inbox = new_browser()  # the social worker opens the link from their work email
    inbox.goto(mail_link(live_db, work, "referral_council_consent", "consent/council/link"))
    clean(inbox, "the council's consent link")
    inbox.get_by_role("button", name="Continue").click()
    clean(inbox, "consent for the council")
    assert inbox.get_by_label("Council", exact=True).input_value() == "Northshire Council"
    inbox.get_by_label("Your job").fill("Social worker")
    inbox.get_by_label("Type your full name to sign").fill("Jo Carter")
    inbox.get_by_role("button", name="Give consent for the council").click()
    clean(inbox, "consent for the council, with errors")
    assert inbox.get_by_label("Your job").input_value() == "Social worker"
    inbox.get_by_label(re.compile("^The child is under a care order")).check()
    inbox.get_by_label(re.compile("^For the council, I agree")).check()
    inbox.get_by_label("No", exact=True).check()
    inbox.get_by_role("button", name="Give consent for the council").click()
    assert "/consent/council/done/" in inbox.url
    clean(inbox, "consent given for the council")
    assert inbox.get_by_text("care order (Children Act 1989 s.31)").is_visible()
    assert state_of(live_db, reference) == "ready_for_triage"
