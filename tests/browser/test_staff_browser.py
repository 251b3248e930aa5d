"""A member of staff signs in with a password and a code, triages a request a family sent,
and adds the child to the register. axe-core checks every staff page on the way."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations
from tests.browser.test_consent_browser import send_request
from tests.live import ROOT
from tests.support import years_ago

pytestmark = pytest.mark.browser
PASSWORD = "Lantern-Heron-Meadow-77"


# The new member of staff opens their set-up link and chooses their password.
CHOOSE = """
import re, sys
from portal import create_app
client = create_app().test_client()
page = client.get(sys.argv[1]).get_data(as_text=True)
token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
done = client.post(sys.argv[1], data={"csrf_token": token, "password": sys.argv[2],
                                      "confirm": sys.argv[2]})
assert done.status_code == 302, done.status_code
"""


def create_staff(database_url: str, role: str, name: str) -> str:
    """Made with the real command, as an operator would; its owner chooses the password
    through the set-up link the command prints."""
    email = f"{role}.{uuid.uuid4().hex[:6]}@example.org"
    env = {**os.environ, "PORTAL_ENV": "test", "DATABASE_URL": database_url}
    made = subprocess.run(
        [str(Path(sys.executable).parent / "flask"), "--app", "portal", "create-staff", email,
         "--name", name, "--role", role],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    path = re.search(r"/staff/set-up/\S+", made.stdout).group(0)
    subprocess.run([sys.executable, "-c", CHOOSE, path, PASSWORD], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    return email


def clean(page, what: str) -> None:
    assert axe_violations(page) == [], what


def sign_in(page, email: str) -> None:
    page.goto("/staff/sign-in")
    clean(page, "sign in")
    page.get_by_role("button", name="Continue").click()
    clean(page, "sign in, with errors")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    assert page.url.endswith("/staff/sign-in/set-up-codes")
    expect(page.locator("svg.app-qr")).to_be_visible()
    clean(page, "set up codes")
    key = page.locator("#totp-key").inner_text().replace(" ", "")
    page.get_by_label("Code from the app").fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="Continue").click()


def test_staff_sign_in_triage_and_accept_with_a_rating(page, browser, live_server,
                                                        live_database):
    family_context = browser.new_context(base_url=live_server)
    try:
        family = family_context.new_page()
        reference = send_request(family, years_ago(11), "triage.family@example.com")
        family.goto(f"/consent/{reference}")
        family.get_by_label("Yes").check()
        family.get_by_role("button", name="Continue").click()
        family.get_by_label("Your relationship to the child").fill("Mother")
        family.get_by_label(re.compile("I agree")).check()
        family.get_by_label("Type your full name to sign").fill("Alex Example")
        family.get_by_role("button", name="Give consent").click()
    finally:
        family_context.close()

    sign_in(page, create_staff(live_database, "triage_officer", "Tess Triage"))
    assert page.url.endswith("/staff/queue")
    clean(page, "queue")
    row = page.locator("tr", has_text=reference)
    row.get_by_role("link").click()
    assert page.locator("h1").inner_text() == "Sam Example"
    assert "Consent is complete" in page.locator("main").inner_text()
    clean(page, "request")
    page.get_by_role("button", name="Assign to me").click()
    assert "Assigned to Tess Triage" in page.locator("main").inner_text()
    page.get_by_role("button", name="Add to the register").click()
    clean(page, "accept")
    assert page.get_by_label("Amber").is_checked()  # the suggestion, pre-selected
    page.get_by_role("button", name="Add to the register").click()
    assert "Enter why you chose this rating" in page.locator(".govuk-error-summary").inner_text()
    clean(page, "accept, with errors")
    page.get_by_label("Red").check()
    page.get_by_label("Why this rating?").fill("Placement at risk this month.")
    page.get_by_label("Keyworker (optional)").fill("Kim Keyworker")
    page.get_by_role("button", name="Add to the register").click()

    assert "/staff/register/" in page.url
    details = page.locator("#details").inner_text()
    assert "Red" in details and "Kim Keyworker" in details
    clean(page, "register entry")
    page.get_by_text("Add an action").click()
    clean(page, "register entry, action form open")
    page.get_by_role("link", name="Register", exact=True).click()
    assert "Sam Example" in page.locator("main").inner_text()
    clean(page, "register")

    page.get_by_role("button", name="Sign out").click()
    assert page.url.endswith("/staff/sign-in")
    assert page.goto("/staff/queue").url.endswith("/staff/sign-in?next=/staff/queue")


def test_manager_and_admin_pages_pass_axe(page, live_database):
    sign_in(page, create_staff(live_database, "register_manager", "Morgan Manager"))
    page.goto("/staff/audit")
    clean(page, "audit log")
    for path, what in (("/staff/attention", "needs attention"),
                       ("/staff/meeting?date=2099-01-01", "meeting"),
                       ("/staff/dashboard", "dashboard"),
                       ("/staff/queue?show=all", "queue, all open requests")):
        page.goto(path)
        clean(page, what)
    page.goto("/staff/meeting?date=2099-01-01")
    if page.get_by_role("button", name="Save the outcome").count():
        page.get_by_role("button", name="Save the outcome").first.click()
        clean(page, "meeting, with errors")
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, create_staff(live_database, "admin", "Ada Admin"))
    assert page.url.endswith("/staff/admin/staff")
    clean(page, "staff accounts")
    page.get_by_role("button", name="Add a staff member").click()
    page.get_by_role("button", name="Add").click()
    clean(page, "add staff, with errors")
