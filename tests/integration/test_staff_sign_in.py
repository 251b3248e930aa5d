"""Staff sign-in: password and two-factor code, lockout, timeouts, signing out everywhere."""

from __future__ import annotations

import time

import pyotp
import sqlalchemy as sa
from bs4 import BeautifulSoup

from portal.common.auth import decrypt_secret
from portal.data.staff import SignInAttempt, StaffUser
from tests.integration.staff_support import (
    PASSWORD,
    current_code,
    forget_last_code,
    make_staff,
    post_form,
    sign_in,
)
from tests.support import by_hand

REFUSED = "Those details are not right, or there have been too many tries"


def test_first_sign_in_sets_up_codes_with_a_qr_code(app, client):
    user = make_staff(app, "triage_officer", enrolled=False)
    moved = client.submit("/staff/sign-in", {"email": user.email.upper(),
                                             "password": PASSWORD})
    assert moved.headers["Location"].endswith("/staff/sign-in/set-up-codes")
    page = client.get("/staff/sign-in/set-up-codes").get_data(as_text=True)
    assert "<svg" in page  # the QR code, drawn on the server
    key = BeautifulSoup(page, "html.parser").find(id="totp-key").get_text().replace(" ", "")
    done = client.submit("/staff/sign-in/set-up-codes", {"code": pyotp.TOTP(key).now()})
    assert done.headers["Location"].endswith("/staff/")
    assert client.get("/staff/queue").status_code == 200
    with app.app_context():
        stored = app.extensions["sqlalchemy"].session.get(StaffUser, user.id)
        assert stored.totp_confirmed_at is not None
        assert stored.totp_secret != key and decrypt_secret(stored.totp_secret) == key


def test_the_same_answer_for_unknown_users_wrong_passwords_and_wrong_codes(app, client):
    user = make_staff(app, "triage_officer")
    answers = []
    for email, password in (("nobody@example.org", PASSWORD), (user.email, "wrong-password")):
        page = client.submit("/staff/sign-in", {"email": email, "password": password})
        assert page.status_code == 200
        answers.append(BeautifulSoup(page.get_data(as_text=True), "html.parser")
                       .select_one(".govuk-error-summary").get_text(" ", strip=True))
    client.submit("/staff/sign-in", {"email": user.email, "password": PASSWORD})
    wrong_code = client.submit("/staff/sign-in/code", {"code": "000000"})
    answers.append(BeautifulSoup(wrong_code.get_data(as_text=True), "html.parser")
                   .select_one(".govuk-error-summary").get_text(" ", strip=True))
    assert len(set(answers)) == 1 and REFUSED in answers[0]


def test_an_unknown_email_takes_as_long_as_a_real_one(app, client):
    user = make_staff(app, "triage_officer")

    def timed(email: str) -> float:
        start = time.perf_counter()
        client.submit("/staff/sign-in", {"email": email, "password": "not the password"})
        return time.perf_counter() - start

    known = min(timed(user.email) for _ in range(2))
    unknown = min(timed(f"x{user.email}") for _ in range(2))
    assert unknown > known * 0.5  # both pay for an argon2 check


def test_lockout_after_repeated_failures_even_with_the_right_password(app, client):
    user = make_staff(app, "triage_officer")
    for _ in range(app.config["STAFF_LOCKOUT_FAILURES"]):
        client.submit("/staff/sign-in", {"email": user.email, "password": "wrong-password"})
    locked = client.submit("/staff/sign-in", {"email": user.email, "password": PASSWORD})
    assert locked.status_code == 200 and REFUSED in locked.get_data(as_text=True)
    other = app.test_client()  # the limit is in the database, not this browser
    assert other.submit("/staff/sign-in", {"email": user.email,
                                           "password": PASSWORD}).status_code == 200
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        # The wait is over: the failures are older than the lockout window.
        from datetime import timedelta

        from portal.data.base import utcnow
        from portal.data.staff import email_key

        with by_hand():
            db.session.execute(sa.update(SignInAttempt).where(
                SignInAttempt.key == email_key(user.email)).values(
                at=utcnow() - timedelta(minutes=app.config["STAFF_LOCKOUT_MINUTES"] + 1)))
        db.session.commit()
    assert sign_in(app.test_client(), user).status_code == 302


def test_a_code_works_only_once(app, client):
    user = make_staff(app, "triage_officer")
    # The very code used once (a fresh one would be due if the clock passed a 30-second
    # step between the two sign-ins).
    code = current_code(user.totp_secret)
    client.submit("/staff/sign-in", {"email": user.email, "password": PASSWORD})
    assert client.submit("/staff/sign-in/code", {"code": code}).status_code == 302
    again = app.test_client()
    again.submit("/staff/sign-in", {"email": user.email, "password": PASSWORD})
    replay = again.submit("/staff/sign-in/code", {"code": code})
    assert replay.status_code == 200 and REFUSED in replay.get_data(as_text=True)


def test_signing_out_ends_every_session(app, client):
    user = make_staff(app, "register_manager")
    sign_in(client, user)
    forget_last_code(app, user)
    laptop = app.test_client()
    sign_in(laptop, user)
    assert laptop.get("/staff/register").status_code == 200
    post_form(client, "/staff/register", "/staff/sign-out", {})
    assert client.get("/staff/register").status_code == 302
    assert laptop.get("/staff/register").headers["Location"].startswith("/staff/sign-in")


def test_disabling_an_account_ends_its_sessions(app, client):
    admin = make_staff(app, "admin")
    user = make_staff(app, "triage_officer")
    sign_in(client, user)
    admin_client = app.test_client()
    sign_in(admin_client, admin)
    post_form(admin_client, "/staff/admin/staff", f"/staff/admin/staff/{user.id}/disable", {})
    assert client.get("/staff/queue").status_code == 302
    forget_last_code(app, user)
    refused = app.test_client().submit("/staff/sign-in", {"email": user.email,
                                                          "password": PASSWORD})
    assert REFUSED in refused.get_data(as_text=True)


def test_idle_for_30_minutes_or_signed_in_for_12_hours_means_signing_in_again(app, client):
    user = make_staff(app, "triage_officer")
    sign_in(client, user)
    with client.session_transaction() as session:  # (signed in at, last seen)
        session["auth_times"] = [session["auth_times"][0], int(time.time()) - 31 * 60]
    moved = client.get("/staff/queue")
    assert "timed_out=1" in moved.headers["Location"]
    assert "left for a long time" in client.get(moved.headers["Location"]).get_data(
        as_text=True)
    forget_last_code(app, user)
    sign_in(client, user)
    with client.session_transaction() as session:
        session["auth_times"] = [int(time.time()) - 12 * 3600 - 5, int(time.time())]
    assert client.get("/staff/queue").status_code == 302
