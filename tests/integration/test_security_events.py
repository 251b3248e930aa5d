"""Security events leave a trace in the audit log, with the address they came from: failed
staff sign-ins and codes, tries while locked out, refused pages (403), forms without their
security token, bad emailed links, families asking for requests not theirs and rate limits;
none with an email address or a token. Register managers can list them on their own."""

from __future__ import annotations

import json
import uuid
from typing import Any

import sqlalchemy as sa
from flask import Flask
from werkzeug.exceptions import TooManyRequests

from portal.data.audit import AuditEvent
from portal.data.family import email_fingerprint
from portal.extensions import db
from tests.integration.staff_support import PASSWORD, make_staff, sign_in
from tests.support import csrf_token

ADDRESS = "203.0.113.77"


def client_from(app: Flask, address: str = ADDRESS) -> Any:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def events(app: Flask, action: str, subject: str | None = None) -> list[AuditEvent]:
    with app.app_context():
        query = sa.select(AuditEvent).where(AuditEvent.action == action)
        if subject is not None:
            query = query.where(AuditEvent.subject_id == subject)
        found = list(db.session.scalars(query.order_by(AuditEvent.id)))
        db.session.expunge_all()
        return found


def from_address(found: list[AuditEvent], address: str = ADDRESS) -> list[AuditEvent]:
    return [event for event in found if event.detail.get("client") == address]


def test_a_failed_staff_sign_in_is_an_event_with_the_address_and_no_email(app):
    user = make_staff(app, "triage_officer")
    address = f"198.51.100.{uuid.uuid4().int % 200 + 1}"
    client = client_from(app, address)
    stranger = f"nobody-{uuid.uuid4().hex[:8]}@example.org"

    wrong = client.submit("/staff/sign-in", {"email": user.email, "password": "wrong"})
    unknown = client.submit("/staff/sign-in", {"email": stranger, "password": PASSWORD})

    assert wrong.status_code == unknown.status_code == 200
    mine = from_address(events(app, "staff.sign_in_failed"), address)
    assert [(e.actor_type, e.actor_id) for e in mine] == [
        ("staff", str(user.id)), ("anonymous", None)]
    assert mine[0].subject_type == "security" and mine[0].subject_id == f"staff:{user.id}"
    assert mine[0].detail["email"] == email_fingerprint(user.email)
    assert mine[1].detail["email"] == email_fingerprint(stranger)
    assert mine[0].detail["route"] == "/staff/sign-in"
    stored = json.dumps([e.detail for e in mine]) + repr([e.subject_id for e in mine])
    assert user.email not in stored and stranger not in stored and PASSWORD not in stored


def test_tries_while_locked_out_and_wrong_codes_are_events(app):
    user = make_staff(app, "triage_officer")
    client = client_from(app, "198.51.100.201")
    failures = int(app.config["STAFF_LOCKOUT_FAILURES"])
    for _ in range(failures):
        client.submit("/staff/sign-in", {"email": user.email, "password": "wrong"})

    client.submit("/staff/sign-in", {"email": user.email, "password": PASSWORD})

    locked = events(app, "staff.locked_out", f"staff:{user.id}")
    assert len(locked) == 1 and locked[0].detail["client"] == "198.51.100.201"

    other = make_staff(app, "triage_officer")
    coder = client_from(app, "198.51.100.202")
    password = coder.submit("/staff/sign-in", {"email": other.email, "password": PASSWORD})
    assert password.headers["Location"].endswith("/staff/sign-in/code")
    coder.submit("/staff/sign-in/code", {"code": "000000"})
    wrong_code = events(app, "staff.code_failed", f"staff:{other.id}")
    assert [(e.actor_id, e.detail["client"]) for e in wrong_code] == [
        (str(other.id), "198.51.100.202")]


def test_a_refused_page_is_an_event_naming_the_member_of_staff(app):
    user = make_staff(app, "triage_officer")
    client = client_from(app)
    sign_in(client, user)

    assert client.get("/staff/audit").status_code == 403

    refused = [e for e in events(app, "access.forbidden") if e.actor_id == str(user.id)]
    assert len(refused) == 1
    assert refused[0].actor_type == "staff"
    assert refused[0].subject_id == "/staff/audit"
    assert refused[0].detail["client"] == ADDRESS


def test_a_form_without_its_security_token_is_an_event(app):
    address = "198.51.100.203"
    client = client_from(app, address)
    client.get("/request")

    refused = client.post("/request/start", data={"csrf_token": "forged"})

    assert refused.status_code == 400
    mine = from_address(events(app, "access.csrf_refused"), address)
    assert len(mine) == 1 and mine[0].subject_id == "/request/start"
    assert mine[0].actor_type == "anonymous"


def test_a_wrong_or_used_link_is_an_event_without_the_token(app):
    from portal.cases.family import SIGN_IN
    from tests.integration.test_family import sign_in_link
    from tests.integration.test_staff_casework import ready_request

    address = "198.51.100.204"
    forged = "forged-" + uuid.uuid4().hex * 2
    client = client_from(app, address)
    assert client.get(f"/account/sign-in/{forged}").status_code == 404

    req = ready_request(app)
    second = client_from(app, address)
    path = sign_in_link(app, second, req.contact_email)
    page = second.get(path)
    second.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    again = client_from(app, address)
    assert again.get(path).status_code == 410  # used: gone

    mine = from_address(events(app, "link.refused"), address)
    assert [e.detail["problem"] for e in mine] == ["invalid", "used"]
    assert {e.subject_id for e in mine} == {SIGN_IN}
    stored = json.dumps([e.detail for e in mine]) + repr([e.subject_id for e in mine])
    assert forged not in stored and path.rsplit("/", 1)[-1] not in stored


def test_a_family_asking_for_another_familys_request_is_an_event_with_the_address(app):
    from tests.integration.test_family import family_signs_in
    from tests.integration.test_staff_casework import ready_request

    mine, theirs = ready_request(app), ready_request(app)
    client = family_signs_in(app, mine.contact_email)
    client.environ_base["REMOTE_ADDR"] = "198.51.100.205"

    assert client.get(f"/account/requests/{theirs.reference}").status_code == 404

    denied = from_address(events(app, "family.denied"), "198.51.100.205")
    assert len(denied) == 1
    assert denied[0].actor_type == "family"
    assert denied[0].actor_id == email_fingerprint(mine.contact_email)
    assert mine.contact_email not in json.dumps(denied[0].detail)


def test_a_rate_limit_hit_is_an_event(sqlite_url):
    from tests.conftest import make_app

    app = make_app(sqlite_url)

    @app.get("/test/busy")
    def busy() -> str:
        raise TooManyRequests()

    from portal.common.access import public

    public(busy)
    response = client_from(app, "198.51.100.206").get("/test/busy")
    assert response.status_code == 429
    hit = from_address(events(app, "access.rate_limited"), "198.51.100.206")
    assert len(hit) == 1 and hit[0].subject_id == "/test/busy"
    with app.app_context():
        db.engine.dispose()


def test_the_audit_log_lists_security_events_on_their_own(app):
    manager = make_staff(app, "register_manager")
    address = "198.51.100.207"
    stranger = client_from(app, address)
    stranger.submit("/staff/sign-in", {"email": manager.email, "password": "wrong"})
    client = client_from(app, "192.0.2.10")
    sign_in(client, manager)

    everything = client.get("/staff/audit").get_data(as_text=True)
    security = client.get("/staff/audit?show=security").get_data(as_text=True)

    assert "Security events" in everything
    assert ">staff.signed_in<" in everything
    assert ">staff.sign_in_failed<" in security
    assert f"From {address}" in security
    assert ">staff.signed_in<" not in security  # only security events


def test_recording_never_fails_the_page_when_the_audit_log_is_refused(tmp_path, capsys):
    """The database will not take the event (the audit table gone): the page is still
    answered, and the event is still in the log."""
    from tests.conftest import make_app

    app = make_app(f"sqlite:///{tmp_path / 'portal.sqlite3'}")
    with app.app_context():
        from tests.support import by_hand

        with by_hand():
            db.session.execute(sa.text("DROP TABLE audit_events"))
            db.session.commit()
    capsys.readouterr()
    response = client_from(app).post("/request/start", data={"csrf_token": "forged"})
    assert response.status_code == 400
    err = capsys.readouterr().err
    assert "Security event: access.csrf_refused" in err
    assert "Could not write 1 security event(s) to the audit log" in err
    with app.app_context():
        db.engine.dispose()
