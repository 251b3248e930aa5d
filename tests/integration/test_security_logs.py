"""What the logs hold when something goes wrong: never a family's answers (not even in a
database error, however a log handler prints it), an incident reference the person can
quote that is also on the log line, and on every line of a request its route, the
client's address and who was signed in (an id or fingerprint, never a name or email)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from portal.data.family import email_fingerprint
from portal.extensions import db
from tests.integration.staff_support import make_staff, sign_in
from tests.support import by_hand, csrf_token

INCIDENT = re.compile(r"ERR-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")
# What this family types: none of it may reach a log.
CHILD = "Zebedee Leakcheck"
BORN = date(2014, 3, 17)
POSTCODE = "ZE2 9XJ"
PARENT = "Quillon Leakcheck"
EMAIL = "quillon.leakcheck@example.com"
PERSONAL = [CHILD, "Zebedee", "Leakcheck", BORN.isoformat(), POSTCODE, PARENT,
            EMAIL, "quillon", "placement_unstable", "family_strain",
            "School say they struggle"]


@pytest.fixture
def json_logs(app: Flask) -> Iterator[None]:
    """The app's logs as JSON for one test (the shared app writes text by default)."""
    from portal.common import logs

    logs.configure("json", "INFO")
    yield
    logs.configure(str(app.config["LOG_FORMAT"]), str(app.config["LOG_LEVEL"]))


@pytest.fixture
def any_handler(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The portal's log records as any other handler would print them (Python's own
    formatter, exception message and all): an operator's extra handler, or pytest's."""
    portal = logging.getLogger("portal")
    portal.addHandler(caplog.handler)
    try:
        yield caplog
    finally:
        portal.removeHandler(caplog.handler)


@pytest.fixture
def refused_submission(app: Flask, backend: str) -> Iterator[None]:
    """The database refuses this family's request when it is sent (a trigger on the
    table: a mistake in the database, not a busy one), and only theirs."""
    with app.app_context(), by_hand():
        if backend == "sqlite":
            db.session.execute(sa.text(
                "CREATE TRIGGER refuse_one_child BEFORE INSERT ON support_requests "
                f"WHEN NEW.child_name = '{CHILD}' "
                "BEGIN SELECT RAISE(ABORT, 'refused'); END"))
        else:
            db.session.execute(sa.text(
                "CREATE FUNCTION refuse_one_child() RETURNS trigger AS $$ "
                "BEGIN RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql"))
            db.session.execute(sa.text(
                "CREATE TRIGGER refuse_one_child BEFORE INSERT ON support_requests "
                f"FOR EACH ROW WHEN (NEW.child_name = '{CHILD}') "
                "EXECUTE FUNCTION refuse_one_child()"))
        db.session.commit()
    try:
        yield
    finally:
        with app.app_context(), by_hand():
            if backend == "sqlite":
                db.session.execute(sa.text("DROP TRIGGER refuse_one_child"))
            else:
                db.session.execute(sa.text(
                    "DROP TRIGGER refuse_one_child ON support_requests"))
                db.session.execute(sa.text("DROP FUNCTION refuse_one_child()"))
            db.session.commit()


def client_from(app: Flask, address: str) -> Any:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def send(client: Any) -> Any:
    page = client.get("/request/check-answers")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    key = re.search(r'name="submission_key" value="([^"]+)"', html)
    assert key
    return client.post("/request/check-answers", data={
        "csrf_token": csrf_token(html), "submission_key": key.group(1)})


def test_a_database_error_logs_none_of_the_familys_answers_and_gives_a_reference(
        app, refused_submission, json_logs, any_handler, capsys):
    client = client_from(app, "198.51.100.23")
    client.answer_all(
        child_name={"child_name": CHILD, "child_preferred_name": ""},
        date_of_birth={"child_dob-day": str(BORN.day), "child_dob-month": str(BORN.month),
                       "child_dob-year": str(BORN.year)},
        postcode={"postcode": POSTCODE},
        your_name={"requester_name": PARENT},
        contact_details={"contact_email": EMAIL, "contact_phone": ""})
    capsys.readouterr()
    any_handler.clear()

    failed = send(client)

    assert failed.status_code == 500
    stderr = capsys.readouterr().err
    everything = stderr + "\n" + any_handler.text
    assert "Unhandled error" in everything
    for value in PERSONAL:
        assert value.lower() not in everything.lower(), f"{value!r} is in the logs"
    page = failed.get_data(as_text=True)
    shown = INCIDENT.findall(page)
    assert len(set(shown)) == 1, "the page gives one reference to quote"
    assert "tell us this reference" in page
    lines = [line for line in json_lines(stderr)
             if line.get("request_id") == failed.headers["X-Request-ID"]]
    error = next(line for line in lines if line["level"] == "ERROR")
    assert error["incident"] == shown[0]
    assert error["error"]["type"].startswith("sqlalchemy.exc.")
    finished = next(line for line in lines if line["logger"] == "portal.request")
    assert finished["status"] == 500 and finished["incident"] == shown[0]
    assert finished["route"] == "/request/check-answers"
    assert finished["client"] == "198.51.100.23"


def test_incident_references_are_short_quotable_and_distinct():
    from portal.common.logs import new_incident_reference

    references = {new_incident_reference() for _ in range(200)}
    assert len(references) == 200
    assert all(INCIDENT.fullmatch(reference) for reference in references)


def test_each_line_names_the_route_the_client_and_the_staff_member_by_id(
        app, json_logs, capsys):
    user = make_staff(app, "triage_officer")
    client = client_from(app, "203.0.113.41")
    sign_in(client, user)
    capsys.readouterr()

    refused = client.get("/staff/audit")  # register managers only

    assert refused.status_code == 403
    lines = [line for line in json_lines(capsys.readouterr().err)
             if line.get("request_id") == refused.headers["X-Request-ID"]]
    finished = next(line for line in lines if line["logger"] == "portal.request")
    assert finished["route"] == "/staff/audit"
    assert finished["client"] == "203.0.113.41"
    assert (finished["actor_type"], finished["actor_id"]) == ("staff", str(user.id))
    text = json.dumps(lines)
    assert user.email not in text and user.name not in text


def test_a_family_member_is_named_in_the_logs_by_fingerprint_only(app, json_logs, capsys):
    from tests.integration.test_family import family_signs_in
    from tests.integration.test_staff_casework import ready_request

    req = ready_request(app)
    client = family_signs_in(app, req.contact_email)
    capsys.readouterr()

    page = client.get(f"/account/requests/{req.reference}")

    assert page.status_code == 200
    lines = [line for line in json_lines(capsys.readouterr().err)
             if line.get("request_id") == page.headers["X-Request-ID"]]
    finished = next(line for line in lines if line["logger"] == "portal.request")
    assert finished["actor_type"] == "family"
    assert finished["actor_id"] == email_fingerprint(req.contact_email)
    assert req.contact_email not in json.dumps(lines)


def test_the_engine_hides_bound_parameters(app):
    with app.app_context():
        assert db.engine.hide_parameters
