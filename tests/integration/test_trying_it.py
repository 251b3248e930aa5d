"""Trying the service on your own machine: demo requests, a demo staff account per role
that signs in with a code from a command (no authenticator app), demo families who can
sign in to follow their request; and none of it anywhere but development."""

from __future__ import annotations

import re

import pytest

from portal.demo import DEMO_PASSWORD, DEMO_STAFF
from tests.integration.test_family import family_signs_in


@pytest.fixture
def seeded(app):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return result.output


def test_seed_demo_says_how_to_sign_in_as_each_kind_of_staff(app, seeded):
    assert DEMO_PASSWORD in seeded
    for role, email, _name in DEMO_STAFF:
        assert email in seeded and role.value in seeded
    assert "staff-code" in seeded
    again = app.test_cli_runner().invoke(args=["seed-demo"])  # safe to run again
    assert again.exit_code == 0 and "0 request(s) added" in again.output


def test_a_demo_register_manager_signs_in_with_the_printed_code(app, seeded):
    client = app.test_client()
    moved = client.submit("/staff/sign-in", {"email": "manager@demo.example",
                                             "password": DEMO_PASSWORD})
    assert moved.headers["Location"].endswith("/staff/sign-in/code")  # codes already set up
    code = app.test_cli_runner().invoke(args=["staff-code", "manager@demo.example"])
    assert code.exit_code == 0 and re.fullmatch(r"\d{6}\n", code.output)
    done = client.submit("/staff/sign-in/code", {"code": code.output.strip()})
    assert done.headers["Location"].endswith("/staff/")
    queue = client.get("/staff/queue").get_data(as_text=True)
    assert "Example" in queue and "Rhea Manager (demo)" in queue


def test_demo_families_can_sign_in_to_follow_their_request(app, seeded):
    family = family_signs_in(app, "family1@example.com")
    assert "Ada Example" in family.get("/account/").get_data(as_text=True)


@pytest.mark.parametrize("command", [["seed-demo"], ["staff-code", "manager@demo.example"]])
def test_the_demo_commands_refuse_outside_development(app, command):
    app.config["PORTAL_ENV"] = "production"
    try:
        result = app.test_cli_runner().invoke(args=command)
    finally:
        app.config["PORTAL_ENV"] = "test"
    assert result.exit_code != 0 and "refuses to run here" in result.output
