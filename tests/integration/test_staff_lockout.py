"""Staff lockout by account and address: a stranger who keeps getting a password wrong
locks out only themselves; an account tried from many places is slowed for everyone,
the real person included, but never locked."""

from __future__ import annotations

import time

from tests.integration.staff_support import PASSWORD, current_code, make_staff

REFUSED = "Those details are not right, or there have been too many tries"


def at(app, address: str):
    """A new browser at this address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def try_password(app, address: str, email: str, password: str):
    return at(app, address).submit("/staff/sign-in", {"email": email, "password": password})


def moved_on(response) -> bool:
    """The password was taken: on to the code (a refusal shows the form again)."""
    return response.status_code == 302 and response.headers["Location"].endswith(
        "/staff/sign-in/code")


def test_a_stranger_cannot_lock_a_member_of_staff_out(app):
    user = make_staff(app, "triage_officer")
    for _ in range(app.config["STAFF_LOCKOUT_FAILURES"] + 3):
        refused = try_password(app, "203.0.113.20", user.email, "Winter2026!")
        assert refused.status_code == 200 and REFUSED in refused.get_data(as_text=True)
    # The stranger's address is locked out of this account, even with the right password.
    stranger = try_password(app, "203.0.113.20", user.email, PASSWORD)
    assert stranger.status_code == 200 and REFUSED in stranger.get_data(as_text=True)
    # The member of staff, at their own desk, signs in: password, then code.
    desk = at(app, "198.51.100.20")
    assert moved_on(desk.submit("/staff/sign-in", {"email": user.email,
                                                   "password": PASSWORD}))
    done = desk.submit("/staff/sign-in/code", {"code": current_code(user.totp_secret)})
    assert done.status_code == 302 and done.headers["Location"].endswith("/staff/")


def test_wrong_codes_lock_that_address_out_too(app):
    user = make_staff(app, "triage_officer")
    thief = at(app, "203.0.113.21")  # has the password, not the phone
    assert moved_on(thief.submit("/staff/sign-in", {"email": user.email,
                                                    "password": PASSWORD}))
    for _ in range(app.config["STAFF_LOCKOUT_FAILURES"]):
        wrong = thief.submit("/staff/sign-in/code", {"code": "000000"})
        assert wrong.status_code == 200 and REFUSED in wrong.get_data(as_text=True)
    right = thief.submit("/staff/sign-in/code", {"code": current_code(user.totp_secret)})
    assert right.status_code == 200 and REFUSED in right.get_data(as_text=True)


def test_an_account_tried_from_many_addresses_is_slowed_never_locked(app, monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_SLOWED_SECONDS", 1)
    # Fewer than the default, to keep the test short (each try is a password hash).
    monkeypatch.setitem(app.config, "STAFF_ACCOUNT_FAILURES",
                        app.config["STAFF_LOCKOUT_FAILURES"] + 2)
    user = make_staff(app, "register_manager")
    for number in range(app.config["STAFF_ACCOUNT_FAILURES"]):  # a different address each
        try_password(app, f"203.0.113.{100 + number}", user.email, "Autumn2026!")
    # Slowed: one try at a time from each address. The real person's first try works...
    assert moved_on(try_password(app, "198.51.100.21", user.email, PASSWORD))
    # ...and one more straight after is refused, even with the right password...
    again = try_password(app, "198.51.100.21", user.email, PASSWORD)
    assert again.status_code == 200 and REFUSED in again.get_data(as_text=True)
    # ...until their next try comes round (STAFF_SLOWED_SECONDS): never locked out.
    time.sleep(1.2)
    assert moved_on(try_password(app, "198.51.100.21", user.email, PASSWORD))
    # The attackers are slowed the same way: one more try each, then refused.
    try_password(app, "203.0.113.100", user.email, "Autumn2027!")
    late = try_password(app, "203.0.113.100", user.email, PASSWORD)
    assert late.status_code == 200 and REFUSED in late.get_data(as_text=True)


def test_before_an_account_is_slowed_its_people_are_not(app):
    user = make_staff(app, "triage_officer")
    for number in range(app.config["STAFF_LOCKOUT_FAILURES"] - 1):
        try_password(app, f"203.0.113.{40 + number}", user.email, "Spring2026!")
    for _ in range(3):  # as many tries as they like, each moving on
        assert moved_on(try_password(app, "198.51.100.22", user.email, PASSWORD))
