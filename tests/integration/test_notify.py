"""Email through GOV.UK Notify (MAIL_BACKEND=notify), on SQLite and on PostgreSQL.

A family's request queues its emails; `flask send-outbox` sends them through the real
Notify client to a local server that answers the calls that client makes as Notify's API
does: it checks the JSON web token (signed with the key's secret, issued by the service),
the JSON sent, and answers 201, or an error the way Notify words its errors.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
import sqlalchemy as sa

from portal.common.mail import (
    REFERENCE_HEADER,
    SEND_ERRORS,
    PermanentSendError,
    Transport,
    build,
)
from portal.data.outbox import OutboxMessage
from portal.extensions import db
from tests.live import free_port
from tests.support import by_hand, csrf_token

SERVICE_ID = str(uuid.uuid4())
SECRET = str(uuid.uuid4())
API_KEY = f"dsr_portal_test-{SERVICE_ID}-{SECRET}"
TEMPLATE_ID = str(uuid.uuid4())
REPLY_TO_ID = str(uuid.uuid4())
NOTIFY_FIELDS = {"email_address", "template_id", "personalisation", "reference",
                 "email_reply_to_id"}

# Notify's own error answers (https://docs.notifications.service.gov.uk/rest-api.html).
INVALID_ADDRESS = (400, "ValidationError", "email_address Not a valid email address")
NO_TEMPLATE = (400, "BadRequestError", "Template not found")
RATE_LIMITED = (429, "RateLimitError",
                "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds")
SERVER_ERROR = (500, "Exception", "Internal server error")


@dataclass
class LocalNotify:
    """What the local Notify received, and how it answers each address."""

    base_url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    refused_tokens: int = 0
    answers: dict[str, tuple[int, str, str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, address: str) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.received if r["email_address"] == address]


def _error(status: int, error: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"errors": [{"error": error, "message": message}], "status_code": status}


def _handler(notify: LocalNotify) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet: the test reads what it kept
            pass

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            status, answer = self.answer()
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def answer(self) -> tuple[int, dict[str, Any]]:
            if self.path != "/v2/notifications/email":
                return _error(404, "NotFound", "Not found")
            auth = self.headers.get("Authorization", "")
            try:
                token = auth.removeprefix("Bearer ")
                assert jwt.get_unverified_header(token) == {"typ": "JWT", "alg": "HS256"}
                claims = jwt.decode(token, SECRET, algorithms=["HS256"])
                assert claims["iss"] == SERVICE_ID
                assert abs(claims["iat"] - time.time()) <= 30
            except (AssertionError, KeyError, jwt.InvalidTokenError):
                with notify.lock:
                    notify.refused_tokens += 1
                return _error(403, "AuthError",
                              "Invalid token: API key not found")
            if self.headers.get("Content-Type") != "application/json":
                return _error(400, "BadRequestError", "Content-Type must be JSON")
            sent = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if not set(sent) <= NOTIFY_FIELDS or "email_address" not in sent:
                return _error(400, "ValidationError", "Additional properties not allowed")
            if sent.get("template_id") != TEMPLATE_ID:
                return _error(*NO_TEMPLATE)
            if set(sent.get("personalisation") or {}) != {"subject", "body"}:
                return _error(400, "BadRequestError", "Missing personalisation: body")
            with notify.lock:
                notify.received.append(sent)
                failure = notify.answers.get(sent["email_address"])
            if failure:
                return _error(*failure)
            notification_id = str(uuid.uuid4())
            return 201, {
                "id": notification_id,
                "reference": sent.get("reference"),
                "content": {"subject": sent["personalisation"]["subject"],
                            "body": sent["personalisation"]["body"],
                            "from_email": "dsr@notifications.service.gov.uk",
                            "one_click_unsubscribe_url": None},
                "uri": f"{notify.base_url}/v2/notifications/{notification_id}",
                "template": {"id": TEMPLATE_ID, "version": 1,
                             "uri": f"{notify.base_url}/services/{SERVICE_ID}/templates/"
                                    f"{TEMPLATE_ID}"},
            }

    return Handler


@pytest.fixture
def notify(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalNotify]:
    """A local Notify API, and the app set to send through it."""
    received = LocalNotify()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(received))
    received.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    for name, value in {"MAIL_BACKEND": "notify", "NOTIFY_API_KEY": API_KEY,
                        "NOTIFY_TEMPLATE_ID": TEMPLATE_ID, "NOTIFY_REPLY_TO_ID": "",
                        "NOTIFY_BASE_URL": received.base_url}.items():
        monkeypatch.setitem(app.config, name, value)
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def new_address() -> str:
    return f"notify-{uuid.uuid4().hex[:10]}@example.com"


def send_request(client: Any, email: str) -> None:
    """A parent sends a request, giving `email`: the service queues its emails."""
    client.answer_all(**{"contact-details": {"contact_email": email, "contact_phone": ""}})
    page = client.get("/request/check-answers").get_data(as_text=True)
    key = re.search(r'name="submission_key" value="([^"]+)"', page).group(1)
    sent = client.post("/request/check-answers",
                       data={"csrf_token": csrf_token(page), "submission_key": key})
    assert sent.status_code == 302


def send_outbox(app: Any) -> Any:
    result = app.test_cli_runner().invoke(args=["send-outbox", "--limit", "100000"])
    assert result.exit_code == 0, result.output
    return result


def rows_to(app: Any, address: str) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.to_address == address).order_by(OutboxMessage.id)))
        db.session.expunge_all()
    return rows


def make_due(app: Any, address: str) -> None:
    """Bring a retry's time forward to now, as if the wait had passed."""
    with app.app_context():
        with by_hand():
            db.session.execute(sa.update(OutboxMessage).where(
                OutboxMessage.to_address == address).values(next_attempt_at=None))
        db.session.commit()


def as_notify_shows(body: str) -> str:
    return body.replace("\r\n", "\n").rstrip("\n")


# Sent ------------------------------------------------------------------------------------

def test_each_email_reaches_notify_once_with_its_subject_words_and_reference(
        app, client, notify):
    address = new_address()
    send_request(client, address)
    queued = rows_to(app, address)
    assert [row.kind for row in queued] == ["request_received"]

    send_outbox(app)
    send_outbox(app)  # a second run sends nothing again

    received = notify.to(address)
    assert len(received) == len(queued) == 1
    (row,), (got,) = queued, received
    assert got["template_id"] == TEMPLATE_ID
    assert got["personalisation"] == {"subject": row.subject,
                                      "body": as_notify_shows(row.body)}
    assert "/consent/" in got["personalisation"]["body"]  # the parent's consent link
    assert got["reference"] == str(row.id)
    assert "email_reply_to_id" not in got  # Notify's default reply-to address
    assert [r.sent_at is not None for r in rows_to(app, address)] == [True]
    assert notify.refused_tokens == 0


def test_replies_go_to_the_reply_to_address_chosen_in_notify(app, client, notify,
                                                             monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFY_REPLY_TO_ID", REPLY_TO_ID)
    address = new_address()
    send_request(client, address)
    send_outbox(app)
    assert [got["email_reply_to_id"] for got in notify.to(address)] == [REPLY_TO_ID]


# Not sent --------------------------------------------------------------------------------

@pytest.mark.parametrize("answer", [SERVER_ERROR, RATE_LIMITED], ids=["500", "429"])
def test_when_notify_fails_the_email_waits_and_goes_later(app, client, notify, answer):
    address = new_address()
    notify.answers[address] = answer
    send_request(client, address)

    send_outbox(app)
    (row,) = rows_to(app, address)
    assert row.sent_at is None and row.given_up_at is None and row.attempts == 1
    assert row.last_error.startswith("NotifyUnavailable: GOV.UK Notify answered "
                                     f"{answer[0]}")
    assert row.next_attempt_at is not None  # later, not at once
    send_outbox(app)
    assert len(notify.to(address)) == 1

    del notify.answers[address]  # Notify is back
    make_due(app, address)
    send_outbox(app)
    (row,) = rows_to(app, address)
    assert row.sent_at is not None and row.attempts == 2
    assert len(notify.to(address)) == 2  # refused once, then taken once
    send_outbox(app)
    assert len(notify.to(address)) == 2


def test_when_notify_cannot_be_reached_the_email_waits(app, client, notify, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFY_BASE_URL", f"http://127.0.0.1:{free_port()}")
    address = new_address()
    send_request(client, address)
    send_outbox(app)
    (row,) = rows_to(app, address)
    assert row.sent_at is None and row.given_up_at is None and row.attempts == 1

    monkeypatch.setitem(app.config, "NOTIFY_BASE_URL", notify.base_url)
    make_due(app, address)
    send_outbox(app)
    assert rows_to(app, address)[0].sent_at is not None
    assert len(notify.to(address)) == 1


def test_an_address_notify_will_never_accept_is_given_up_at_once(app, client, notify):
    address = new_address()
    notify.answers[address] = INVALID_ADDRESS
    send_request(client, address)
    send_outbox(app)
    (row,) = rows_to(app, address)
    assert row.sent_at is None and row.attempts == 1 and row.given_up_at is not None
    assert row.last_error == ("NotifyRefused: GOV.UK Notify answered 400: ValidationError: "
                              "email_address Not a valid email address")
    make_due(app, address)
    send_outbox(app)
    assert len(notify.to(address)) == 1


@pytest.mark.parametrize(("answer", "permanent"), [
    (INVALID_ADDRESS, True), (SERVER_ERROR, False), (RATE_LIMITED, False),
    (NO_TEMPLATE, False)])
def test_the_transport_says_which_refusals_are_for_good(app, app_context, notify, answer,
                                                        permanent):
    address = new_address()
    notify.answers[address] = answer
    row = OutboxMessage(id=424242, to_address=address, subject="Hello", body="Words",
                        locale="en", kind="test")
    transport = Transport()
    try:
        with pytest.raises(SEND_ERRORS) as refused:
            transport.send(build(row))
    finally:
        transport.close()
    assert isinstance(refused.value, PermanentSendError) is permanent
    assert f"answered {answer[0]}: {answer[1]}: {answer[2]}" in str(refused.value)
    assert address not in str(refused.value)
    assert [got["reference"] for got in notify.to(address)] == ["424242"]


@pytest.mark.parametrize("setup", ["wrong key", "wrong template"])
def test_a_mistake_in_the_notify_setup_keeps_every_email_to_send_once_it_is_fixed(
        app, client, notify, monkeypatch, caplog, setup):
    if setup == "wrong key":
        monkeypatch.setitem(app.config, "NOTIFY_API_KEY",
                            f"dsr_portal_test-{SERVICE_ID}-{uuid.uuid4()}")
    else:
        monkeypatch.setitem(app.config, "NOTIFY_TEMPLATE_ID", str(uuid.uuid4()))
    address = new_address()
    send_request(client, address)
    with caplog.at_level(logging.ERROR, logger="portal.common.notify"):
        send_outbox(app)
    (row,) = rows_to(app, address)
    assert row.sent_at is None and row.given_up_at is None
    assert row.last_error.startswith("NotifySetupError: GOV.UK Notify answered")
    assert "NOTIFY_API_KEY" in caplog.text and "NOTIFY_TEMPLATE_ID" in caplog.text
    assert ("403" if setup == "wrong key" else "Template not found") in caplog.text

    monkeypatch.setitem(app.config, "NOTIFY_API_KEY", API_KEY)  # put right
    monkeypatch.setitem(app.config, "NOTIFY_TEMPLATE_ID", TEMPLATE_ID)
    make_due(app, address)
    send_outbox(app)
    assert rows_to(app, address)[0].sent_at is not None
    assert len(notify.to(address)) == 1


def test_without_a_key_nothing_is_sent_and_nothing_is_lost(app, client, notify, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFY_API_KEY", "")
    address = new_address()
    send_request(client, address)
    send_outbox(app)
    (row,) = rows_to(app, address)
    assert row.sent_at is None and row.given_up_at is None and row.attempts == 1
    assert notify.to(address) == []


# What is written down --------------------------------------------------------------------

def test_no_address_or_email_words_reach_the_logs(app, client, notify, caplog, capfd):
    sent_to, failing_to, refused_to = new_address(), new_address(), new_address()
    notify.answers[failing_to] = SERVER_ERROR
    notify.answers[refused_to] = INVALID_ADDRESS
    with caplog.at_level(logging.DEBUG):
        for address in (sent_to, failing_to, refused_to):
            send_request(client, address)
        output = send_outbox(app).output
    assert len(notify.to(sent_to)) == len(notify.to(failing_to)) == 1
    assert "Email" in caplog.text  # the transport did write its lines

    written = caplog.text + output + "".join(capfd.readouterr())
    for address in (sent_to, failing_to, refused_to):
        assert address not in written
        for row in rows_to(app, address):
            assert row.subject and row.body
            assert row.body not in written
            for line in row.body.splitlines():
                if len(line) > 25:  # any of its own sentences or links
                    assert line not in written, line


def test_the_reference_is_never_sent_on_by_smtp(app, app_context, smtp_server, monkeypatch):
    handler, port = smtp_server
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    row = OutboxMessage(id=987654, to_address="smtp-ref@example.com", subject="Hello",
                        body="Words", locale="en", kind="test")
    email = build(row)
    assert email[REFERENCE_HEADER] == "987654"
    transport = Transport()
    try:
        transport.send(email)
    finally:
        transport.close()
    (got,) = [m for m in handler.messages if m["To"] == "smtp-ref@example.com"]
    assert got[REFERENCE_HEADER] is None and got["Subject"] == "Hello"
