"""Reflow (WCAG 1.4.10): every public information page, the crisis page, the eligibility
check and every consent page reachable in a browser fits a 320 CSS pixel wide screen
without scrolling sideways, and also at desktop width, with no axe-core problems at
either width. Long email addresses are used wherever a page shows one back.

The request itself is sent over HTTP in the browser's own session (the journey has its
own browser test); everything after that is done by visible labels, as a person would."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from portal.public.content import PAGES
from tests.browser.conftest import axe_violations
from tests.support import flatten, parent_answers, years_ago

pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 640}
WIDE = {"width": 1280, "height": 800}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
# Long, unbroken addresses such as people really have: 60 characters or more.
PARENT_EMAIL = "firstname.middlename.lastname.household@longfamilyname-example.com"
OTHER_PARENT_EMAIL = "another.parent.with.parental.responsibility@longer-example-domain.com"
YOUNG_EMAIL = "young.person.with.a.very.long.email.address@example-school-domain.org.uk"
LATER_EMAIL = "young.person.for.changing.their.mind.later@another-long-domain.example"

_WIDEST = """() => {
  const limit = document.documentElement.clientWidth;
  return [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > limit + 0.5
                   || e.scrollWidth > Math.max(e.clientWidth, limit) + 0.5)
    .slice(-5)
    .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}`
                + ` right=${Math.round(e.getBoundingClientRect().right)}`
                + ` scrollWidth=${e.scrollWidth}`);
}"""


def reflows(page: Any, what: str) -> None:
    """At 320 x 640 and at desktop width: nothing scrolls sideways and axe finds nothing."""
    page.wait_for_load_state()
    for size in (NARROW, WIDE):
        page.set_viewport_size(size)
        scroll, client = page.evaluate(
            "() => [document.documentElement.scrollWidth,"
            " document.documentElement.clientWidth]")
        assert scroll <= client, (
            f"{what} at {size['width']}px scrolls sideways ({scroll} > {client}): "
            f"{page.evaluate(_WIDEST)}")
        assert axe_violations(page) == [], f"{what} at {size['width']}px"
    page.set_viewport_size(NARROW)  # go on as someone on a small phone


# Information pages, crisis help and the eligibility check ----------------------------

INFORMATION = ["/", "/help-now", *[f"/about/{slug}" for slug in PAGES]]


@pytest.mark.parametrize("path", INFORMATION)
def test_information_pages_reflow(page, path):
    page.set_viewport_size(NARROW)
    assert page.goto(path).status == 200
    reflows(page, path)


def test_the_eligibility_check_reflows(page):
    page.set_viewport_size(NARROW)
    page.goto("/check/age")
    reflows(page, "age question")
    page.get_by_role("button", name="Continue").click()
    reflows(page, "age question, with an error")
    page.get_by_label("Under 18").check()
    page.get_by_role("button", name="Continue").click()
    reflows(page, "needs question")
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Continue").click()
    reflows(page, "worries question")
    page.get_by_label("I'm not sure").check()
    page.get_by_role("button", name="Continue").click()
    assert page.url.endswith("/check/result")
    reflows(page, "eligibility result")


# Consent ------------------------------------------------------------------------------

def _post(page: Any, path: str, data: dict[str, Any]) -> Any:
    form = page.request.get(path).text()
    pairs = [("csrf_token", CSRF.search(form).group(1)), *flatten(data)]
    body = "&".join(f"{k}={urllib.parse.quote_plus(v)}" for k, v in pairs)
    return page.request.post(path, data=body, max_redirects=0, headers={
        "Content-Type": "application/x-www-form-urlencoded"})


def send_request(page: Any, born: date, email: str) -> str:
    """The request, sent over HTTP in this browser's session; returns its reference."""
    start = page.request.get("/request").text()
    page.request.post("/request/start", form={"csrf_token": CSRF.search(start).group(1)},
                      max_redirects=0)
    for slug, data in parent_answers(born=born, **{"contact-details": {
            "contact_email": email, "contact_phone": ""}}):
        assert _post(page, f"/request/{slug}", data).status == 302, slug
    check = page.request.get("/request/check-answers").text()
    key = re.search(r'name="submission_key" value="([^"]+)"', check).group(1)
    sent = page.request.post("/request/check-answers", max_redirects=0, form={
        "csrf_token": CSRF.search(check).group(1), "submission_key": key})
    return str(sent.headers["location"].rsplit("/", 1)[1])


def mail_link(live_db: Any, address: str, kind: str, path: str) -> str:
    with live_db.connect() as connection:
        body = connection.execute(sa.text(
            "SELECT body FROM outbox_messages WHERE to_address = :a AND kind = :k "
            "ORDER BY id DESC"), {"a": address, "k": kind}).scalars().first()
    assert body, f"no {kind} email to {address}"
    return str(re.search(rf"https?://[^/\s]+(/{path}/\S+)", body).group(1))


@contextmanager
def another_browser(browser: Any, live_server: str, state: Any = None) -> Iterator[Any]:
    """A page in another browser (or, given `state`, a copy of this one's cookies), also
    for pages served with an error status (403, 404, 410), which the `page` fixture
    would report as console errors."""
    context = browser.new_context(base_url=live_server, viewport=NARROW,
                                  storage_state=state)
    try:
        yield context.new_page()
    finally:
        context.close()


def back(page: Any) -> None:
    page.get_by_role("link", name="Back", exact=True).click()


def test_a_parents_consent_pages_reflow(page, browser, live_server, live_db):
    page.set_viewport_size(NARROW)
    reference = send_request(page, years_ago(13), PARENT_EMAIL)
    page.goto(f"/request/sent/{reference}")
    assert PARENT_EMAIL in page.locator("main").inner_text()
    reflows(page, "request sent, with a long email address")

    page.get_by_role("button", name="Give consent now").click()
    reflows(page, "parental responsibility")
    page.get_by_role("button", name="Continue").click()
    reflows(page, "parental responsibility, with an error")

    # Without parental responsibility: the link goes to someone who has it.
    page.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    reflows(page, "someone else must consent")
    back(page)
    assert page.url.endswith(f"/consent/{reference}")
    page.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Send the link").click()
    reflows(page, "someone else must consent, with an error")
    page.get_by_label("Their email address").fill(OTHER_PARENT_EMAIL)
    page.get_by_role("button", name="Send the link").click()
    assert OTHER_PARENT_EMAIL in page.locator("main").inner_text()
    reflows(page, "link sent, with a long email address")
    invitation = mail_link(live_db, OTHER_PARENT_EMAIL, "consent_invitation", "consent/link")
    with another_browser(browser, live_server) as other_parent:
        other_parent.goto(invitation)
        reflows(other_parent, "a parent's consent link")
        other_parent.get_by_role("button", name="Continue").click()
        assert other_parent.url.endswith(f"/consent/{reference}")
        reflows(other_parent, "parental responsibility, from a link")
        assert other_parent.goto(invitation).status == 410
        reflows(other_parent, "a used link")
        assert other_parent.goto("/consent/link/not-a-real-link").status == 404
        reflows(other_parent, "a link that does not work")

    # With parental responsibility: read and sign.
    page.goto(f"/consent/{reference}")
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Continue").click()
    reflows(page, "consent text")
    back(page)
    assert page.url.endswith(f"/consent/{reference}")
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Give consent").click()
    reflows(page, "consent text, with errors")
    page.get_by_label("Your relationship to the child").fill("Mother")
    page.get_by_label(re.compile("I agree")).check()
    page.get_by_label("Type your full name to sign").fill("Alexandra Example-Longsurname")
    page.get_by_role("button", name="Give consent").click()
    assert "/consent/signed/" in page.url
    signed = page.url
    reflows(page, "consent given")

    page.get_by_role("link", name="View and print the consent record").click()
    reflows(page, "consent record")
    back(page)
    assert page.url == signed

    # Ask the young person: by email (a long address), then with a code on screen.
    page.get_by_role("link", name=re.compile("Send Sammy a link")).click()
    reflows(page, "how to ask the young person")
    page.get_by_role("button", name="Continue").click()
    reflows(page, "how to ask the young person, with an error")
    page.get_by_label("Send it to their email address").check()
    page.get_by_role("button", name="Continue").click()
    reflows(page, "young person's email address")
    back(page)
    assert page.url.endswith(f"/consent/{reference}/ask-young-person")
    page.get_by_label("Send it to their email address").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Send the link").click()
    reflows(page, "young person's email address, with an error")
    page.get_by_role("textbox").fill(YOUNG_EMAIL)
    page.get_by_role("button", name="Send the link").click()
    assert YOUNG_EMAIL in page.locator("main").inner_text()
    reflows(page, "young person's link sent, with a long email address")

    page.goto(signed)
    page.get_by_role("link", name=re.compile("Send Sammy a link")).click()
    page.get_by_label("Show a code on this screen").check()
    page.get_by_role("button", name="Continue").click()
    reflows(page, "QR code and link")
    back(page)
    assert page.url.endswith(f"/consent/{reference}/ask-young-person")

    # The young person's link opened in the parent's browser is refused.
    with another_browser(browser, live_server, page.context.storage_state()) as parents:
        response = parents.goto(mail_link(live_db, YOUNG_EMAIL, "young_person_invitation",
                                          "young-person"))
        assert response.status == 403
        reflows(parents, "young person's link in a parent's browser")

    # The parent withdraws from the receipt page.
    page.goto(signed)
    page.get_by_role("button", name="Withdraw consent").click()
    assert page.url.endswith("/withdraw/confirm")
    reflows(page, "withdraw consent")
    back(page)
    assert page.url == signed
    page.get_by_role("button", name="Withdraw consent").click()
    page.get_by_label("Your full name").fill("")
    page.get_by_role("button", name="Withdraw consent").click()
    reflows(page, "withdraw consent, with an error")
    page.get_by_label("Your full name").fill("Alexandra Example-Longsurname")
    page.get_by_role("button", name="Withdraw consent").click()
    assert page.url.endswith("/withdraw/done")
    reflows(page, "withdrawal receipt")
    page.goto(signed)
    reflows(page, "consent withdrawn")
    page.goto(f"/consent/{reference}")
    reflows(page, "request closed")

    # The withdrawal link from the email, on another device, after it was used up here.
    path = mail_link(live_db, PARENT_EMAIL, "consent_receipt", "withdraw/link")
    page.context.clear_cookies()
    page.goto(path)
    reflows(page, "withdraw link")
    page.get_by_role("button", name="Continue").click()
    reflows(page, "withdraw link after consent was withdrawn")


def test_a_young_persons_consent_pages_reflow(page, browser, live_server, live_db):
    page.set_viewport_size(NARROW)
    reference = send_request(page, years_ago(16, days=40), "parent.of.sixteen@example.com")
    page.goto(f"/consent/{reference}")
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Your relationship to the child").fill("Father")
    page.get_by_label(re.compile("I agree")).check()
    page.get_by_label("Type your full name to sign").fill("Chris Example")
    page.get_by_role("button", name="Give consent").click()
    page.get_by_role("link", name=re.compile("Send Sammy a link")).click()
    page.get_by_label("Show a code on this screen").check()
    page.get_by_role("button", name="Continue").click()
    link = page.get_by_text(re.compile(r"/young-person/start/")).inner_text().strip()
    path = re.sub(r"^https?://[^/]+", "", link)

    page.context.clear_cookies()  # the young person's own phone
    page.goto(path)
    reflows(page, "young person's welcome")
    page.get_by_role("button", name="Start").click()
    reflows(page, "Easy Read page")
    page.get_by_role("button", name=re.compile("Next")).click()
    reflows(page, "young person's answer")
    back(page)
    assert page.url.endswith("/young-person")
    page.get_by_role("button", name=re.compile("Next")).click()
    page.get_by_role("button", name="Send my answer").click()
    reflows(page, "young person's answer, with errors")
    page.get_by_label("Yes").check()
    page.get_by_label("Write your name").fill("Sammy")
    page.get_by_role("button", name="Send my answer").click()
    assert "/young-person/thank-you/" in page.url
    thanks = page.url
    reflows(page, "young person's thank you")
    page.get_by_role("button", name="Send me a link").click()
    reflows(page, "young person's thank you, with an error")
    page.get_by_label("Your email address (optional)").fill(LATER_EMAIL)
    page.get_by_role("button", name="Send me a link").click()
    assert LATER_EMAIL in page.locator("main").inner_text()
    reflows(page, "young person's thank you, with a long email address")

    page.get_by_role("button", name="I have changed my mind").click()
    assert page.url.endswith("/withdraw/confirm")
    reflows(page, "young person changes their mind")
    back(page)
    assert page.url == thanks
    page.get_by_role("button", name="I have changed my mind").click()
    page.get_by_label("Write your name").fill("Sammy")
    page.get_by_role("button", name="Take back my answer").click()
    assert page.url.endswith("/withdraw/done")
    reflows(page, "young person's withdrawal receipt")
    page.goto(thanks)
    reflows(page, "young person's thank you, after changing their mind")

    with another_browser(browser, live_server) as later:
        assert later.goto(path).status == 410  # the link was used up
        reflows(later, "a used link")

    # Time passes: they are 18 now, and this register is not for them.
    with live_db.begin() as connection:
        connection.execute(sa.text(
            "UPDATE support_requests SET child_date_of_birth = :born WHERE reference = :r"),
            {"born": years_ago(18, 1), "r": reference})
    page.goto("/young-person")
    assert "You are 18 or over" in page.locator("h1").inner_text()
    reflows(page, "young person is 18 or over")
    with another_browser(browser, live_server) as parent:  # a request not yet closed
        other = send_request(parent, years_ago(17), "parent.of.seventeen@example.com")
        with live_db.begin() as connection:
            connection.execute(sa.text(
                "UPDATE support_requests SET child_date_of_birth = :born "
                "WHERE reference = :r"), {"born": years_ago(18, 1), "r": other})
        parent.goto(f"/consent/{other}")
        assert "Sammy is 18 or over" in parent.locator("h1").inner_text()
        reflows(parent, "the child is 18 or over")
