"""A newcomer follows the README's "Try it" on a development server, in Chromium: sends a
request, reads the consent email at /dev/emails and follows its link, signs in as the
demo register manager with the code `flask staff-code` prints, adds the child and shows
the rating, then signs in as the family with the link from /dev/emails and sees it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from portal.demo import DEMO_PASSWORD
from tests.browser.conftest import axe_violations
from tests.browser.test_consent_browser import send_request
from tests.live import ROOT, gunicorn, migrate
from tests.support import years_ago

pytestmark = pytest.mark.browser
FLASK = str(Path(sys.executable).parent / "flask")


def flask(database_url: str, *args: str) -> str:
    """A command as a newcomer runs it after `make run` (development settings)."""
    done = subprocess.run([FLASK, "--app", "portal", *args], cwd=ROOT, check=True,
                          capture_output=True, text=True,
                          env={**os.environ, "PORTAL_ENV": "development",
                               "DATABASE_URL": database_url})
    return done.stdout


@pytest.fixture(scope="module")
def development(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('try') / 'portal.sqlite3'}"
    migrate(url)
    printed = flask(url, "seed-demo")
    assert "manager@demo.example" in printed and DEMO_PASSWORD in printed
    with gunicorn(url, workers=1, threads=4,
                  extra_env={"PORTAL_ENV": "development", "MAIL_BACKEND": "console"}) as base:
        yield base, url


def clean(page: Any, what: str) -> None:
    assert axe_violations(page) == [], what


def open_email(page: Any, subject: str, to: str) -> None:
    """Open /dev/emails and follow the link in the newest email with this subject to `to`."""
    page.goto("/dev/emails")
    clean(page, "emails sent")
    card = page.locator(".govuk-summary-card").filter(has_text=subject).filter(
        has_text=to).first
    link = card.get_by_role("link").first
    assert re.match(rf"{re.escape(page.url.split('/dev/')[0])}/", link.inner_text()), (
        "the link points at the server being used")
    link.click()


def test_a_newcomer_tries_every_side_from_the_readme(browser, development):
    base, database_url = development
    tag = uuid.uuid4().hex[:6]
    email = f"newcomer.{tag}@example.com"
    child = f"Robin {tag} Example"
    family = browser.new_context(base_url=base).new_page()
    reference = send_request(family, years_ago(10), email, **{
        "child-name": {"child_name": child, "child_preferred_name": "Robin"}})

    # 2. Give consent: the link is in "We have your request", read at /dev/emails.
    open_email(family, "We have your request", email)
    clean(family, "consent link")
    family.get_by_role("button", name="Continue").click()
    family.get_by_label("Yes", exact=True).check()
    family.get_by_role("button", name="Continue").click()
    family.get_by_label("Your relationship to the child").fill("Mother")
    family.get_by_label(re.compile("I agree")).check()
    family.get_by_label("Type your full name to sign").fill("Alex Example")
    family.get_by_role("button", name="Give consent").click()
    assert "Consent given" in family.locator("h1").inner_text()

    # 3. Sign in as the demo register manager; the code comes from a command.
    staff = browser.new_context(base_url=base).new_page()
    staff.goto("/staff/sign-in")
    staff.get_by_label("Email address").fill("manager@demo.example")
    staff.get_by_label("Password").fill(DEMO_PASSWORD)
    staff.get_by_role("button", name="Continue").click()
    code = flask(database_url, "staff-code", "manager@demo.example").strip()
    staff.get_by_label("Enter your code").fill(code)
    staff.get_by_role("button", name="Sign in").click()
    assert staff.url.endswith("/staff/queue")
    clean(staff, "queue")
    staff.get_by_role("link", name=child).click()
    staff.get_by_role("button", name="Add to the register").click()
    staff.get_by_label("Why this rating?").fill("Trying the service.")
    staff.get_by_role("button", name="Add to the register").click()
    assert "/staff/register/" in staff.url
    staff.get_by_role("button", name="Show the rating to the family").click()
    clean(staff, "register entry")

    # 4. Follow it as the family, signing in with the link from /dev/emails.
    follower = browser.new_context(base_url=base).new_page()
    follower.goto("/account/sign-in")
    follower.get_by_label("Email address").fill(email)
    follower.get_by_role("button", name="Send me a link").click()
    open_email(follower, "Your link to sign in", email)
    follower.get_by_role("button", name="Continue").click()
    assert reference in follower.locator("main").inner_text()
    follower.get_by_role("link", name="Robin", exact=True).click()
    status = follower.locator("#status").inner_text()
    assert "On the register" in status
    assert "Their rating" in follower.locator("main").inner_text()
    clean(follower, "the family's request")
    for opened in (family, staff, follower):
        opened.context.close()
