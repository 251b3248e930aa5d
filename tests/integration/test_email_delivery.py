"""Email goes once: senders at once, a mail server that is slow, down, or refuses once, a
database that is locked just after an email went, a sender killed mid-send, and staff
sending given-up emails again. Each sender is a real `flask send-outbox` process, the
mail server a real SMTP server on loopback, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from portal.cases import emails
from portal.cases.operation import operation
from portal.data.base import utcnow
from portal.data.outbox import OutboxMessage
from tests.integration.staff_support import make_staff, sign_in
from tests.support import by_hand, csrf_token

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).parent / "flask")


# A site: its own database (so the outbox holds only what a test puts there) -------------

@dataclass
class Site:
    backend: str
    url: str
    app: Flask
    jobs_path: Path

    @property
    def db(self) -> Any:
        return self.app.extensions["sqlalchemy"]

    def env(self, **settings: Any) -> dict[str, str]:
        """The environment of a process run against this site."""
        return {**os.environ, "PORTAL_ENV": "test", "DATABASE_URL": self.url,
                "SECRET_KEY": "delivery-test-secret-key-" + "x" * 32, "MAIL_BACKEND": "smtp",
                "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": "1",
                "JOBS_SQLITE_PATH": str(self.jobs_path),
                **{name: str(value) for name, value in settings.items()}}

    def flask(self, *args: str, **settings: Any) -> subprocess.Popen[str]:
        return subprocess.Popen([FLASK, "--app", "portal", *args], cwd=ROOT,
                                env=self.env(**settings), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def empty_outbox(self) -> None:
        with self.app.app_context(), by_hand():
            self.db.session.execute(sa.delete(OutboxMessage))
            self.db.session.commit()

    def queue(self, count: int, tag: str) -> list[str]:
        """Queue `count` emails, one to each of `count` addresses. Returns the addresses."""
        addresses = [f"{tag}-{number}@example.com" for number in range(count)]
        with self.app.app_context():
            for number, address in enumerate(addresses):
                operation(emails.send)("family_sign_in", address, locale="en",
                                       dedupe=f"{tag}:{number}", minutes=15,
                                       link=f"https://example.org/{tag}/{number}")
            self.db.session.commit()
        return addresses

    def rows(self) -> list[OutboxMessage]:
        with self.app.app_context():
            found = list(self.db.session.scalars(sa.select(OutboxMessage)
                                                 .order_by(OutboxMessage.id)))
            self.db.session.expunge_all()
            self.db.session.rollback()
        return found


def make_site(backend: str, workdir: Path, databases: list[Iterator[str]]) -> Site:
    from tests.conftest import _postgres_database, make_app

    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'portal.sqlite3'}"
    else:
        database = _postgres_database()
        url = next(database)
        databases.append(database)
    jobs_path = workdir / "jobs.sqlite3"
    return Site(backend, url, make_app(url, JOBS_SQLITE_PATH=str(jobs_path)), jobs_path)


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Site]]:
    made: dict[str, Site] = {}
    databases: list[Iterator[str]] = []

    def site_for(backend: str) -> Site:
        if backend not in made:
            made[backend] = make_site(backend, tmp_path_factory.mktemp(backend), databases)
        return made[backend]

    yield site_for
    for site in made.values():
        with site.app.app_context():
            site.db.engine.dispose()
    for database in databases:
        next(database, None)  # drops it


@pytest.fixture
def site(sites: Callable[[str], Site], backend: str) -> Site:
    found = sites(backend)
    found.empty_outbox()
    return found


# A real SMTP server that can be slow, refuse, or hold an email before taking it ----------

@dataclass
class MailServer:
    port: int
    delay: float = 0.0  # seconds before answering each email
    refuse_next: int = 0  # answer "try again later" to this many emails
    hold: threading.Event = field(default_factory=threading.Event)  # set: wait before answering
    arrived: threading.Event = field(default_factory=threading.Event)
    on_accept: Callable[[], None] | None = None  # just before an email is taken
    accepted: list[email.message.EmailMessage] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)  # the Message-ID of every email offered

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.seen.append(str(message["Message-ID"]))
        self.arrived.set()
        while self.hold.is_set():  # a sender killed now never hears back: nothing taken
            await asyncio.sleep(0.02)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.refuse_next > 0:
            self.refuse_next -= 1
            return "451 4.3.0 Try again later"
        if self.on_accept is not None:
            self.on_accept()
        self.accepted.append(message)
        return "250 2.0.0 OK"

    def delivered(self) -> Counter[str]:
        """How many times each address got an email."""
        return Counter(str(m["To"]) for m in self.accepted)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    from aiosmtpd.controller import Controller

    server = MailServer(port=free_port())
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    try:
        yield server
    finally:
        server.hold.clear()
        controller.stop()


def finished(process: subprocess.Popen[str], timeout: float = 120) -> tuple[str, str]:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"exit {process.returncode}\n{out}\n{err}"
    return out, err


def sent_count(output: str) -> int:
    return int(output.split("Sent ", 1)[1].split(",", 1)[0])


# Many senders at once -----------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("senders", [2, 4])
def test_senders_at_once_send_each_email_once(site, mail_server, senders):
    """Overlapping `send-outbox` runs (a slow mail server, an every-minute cron) once sent
    every email twice on PostgreSQL and crashed on "database is locked" on SQLite."""
    addresses = site.queue(40, f"at-once-{senders}")
    mail_server.delay = 0.15  # 6 seconds for one sender alone: they overlap
    running = [site.flask("send-outbox", "--limit", "1000", MAIL_PORT=mail_server.port)
               for _ in range(senders)]
    outputs = [finished(process) for process in running]

    assert mail_server.delivered() == Counter({address: 1 for address in addresses})
    assert len({str(m["Message-ID"]) for m in mail_server.accepted}) == 40
    counts = [sent_count(out) for out, _ in outputs]
    assert sum(counts) == 40
    assert sum(1 for count in counts if count) >= 2, counts  # they did share the work
    for row in site.rows():
        assert row.sent_at is not None and row.attempts == 1, (row.id, row.attempts)
        assert row.claimed_by is None and row.claimed_until is None


# A mail server that is down, then back --------------------------------------------------

def send_outbox(app: Flask, **settings: Any) -> str:
    saved = {name: app.config[name] for name in settings}
    app.config.update(settings)
    try:
        result = app.test_cli_runner().invoke(args=["send-outbox", "--limit", "1000"])
    finally:
        app.config.update(saved)
    assert result.exit_code == 0, result.output
    return result.output


def test_five_runs_with_the_mail_server_down_give_nothing_up(site):
    """Five `send-outbox` runs in a row used to give every email up for good."""
    site.queue(3, "five-runs")
    for _ in range(5):
        send_outbox(site.app, MAIL_PORT=free_port(), MAIL_MAX_ATTEMPTS=5)
    for row in site.rows():
        assert row.given_up_at is None and row.sent_at is None
        assert row.attempts == 1  # tried once: the next try waits its turn
        assert row.next_attempt_at > utcnow() + timedelta(seconds=30)
        assert row.last_error.startswith("ConnectionRefusedError")


def test_an_email_tried_again_keeps_its_message_id(site, mail_server):
    site.queue(1, "same-id")
    mail_server.refuse_next = 1
    settings = {"MAIL_PORT": mail_server.port, "MAIL_RETRY_SECONDS": 1}
    out, _ = finished(site.flask("send-outbox", **settings))
    assert "Sent 0, failed 1" in out
    (row,) = site.rows()
    assert row.attempts == 1 and "451" in row.last_error
    time.sleep(max(0.0, (row.next_attempt_at - utcnow()).total_seconds()) + 0.1)
    out, _ = finished(site.flask("send-outbox", **settings))
    assert "Sent 1, failed 0" in out
    assert len(mail_server.seen) == 2 and mail_server.seen[0] == mail_server.seen[1]
    assert mail_server.seen[0].startswith(f"<outbox-{row.id}.")
    assert mail_server.seen[0].endswith("@127.0.0.1>")  # the host of BASE_URL
    (row,) = site.rows()
    assert row.sent_at is not None and row.attempts == 2


def staff_client(app: Flask, role: str) -> Any:
    client = app.test_client()
    sign_in(client, make_staff(app, role))
    return client


def test_given_up_emails_are_listed_and_sent_again_once_the_server_is_back(site, mail_server):
    """With the mail server down longer than every retry, each email is given up; staff
    see them (never their words) and send them all again with one button."""
    addresses = site.queue(5, "given-up")
    down = {"MAIL_PORT": free_port(), "MAIL_RETRY_SECONDS": [1, 1], "MAIL_MAX_ATTEMPTS": 3}
    for attempt in range(1, 4):
        send_outbox(site.app, **down)
        rows = site.rows()
        assert all(row.attempts == attempt for row in rows)
        assert all((row.given_up_at is not None) == (attempt == 3) for row in rows)
        if attempt < 3:
            time.sleep(1.1)
    assert "Sent 0, failed 0" in send_outbox(site.app, **down)  # given up: not tried

    manager = staff_client(site.app, "register_manager")
    page = manager.get("/staff/emails")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "5 emails could not be sent" in html
    assert html.count("gi***@example.com") == 5
    assert "ConnectionRefusedError" in html and "family_sign_in" in html
    assert "https://example.org/given-up" not in html  # never what the email said
    assert not any(address in html for address in addresses)

    done = manager.post("/staff/emails/send-again", data={"csrf_token": csrf_token(html)})
    assert done.status_code == 302 and done.headers["Location"].endswith(
        "/staff/emails?sent_again=5")
    after = manager.get(done.headers["Location"]).get_data(as_text=True)
    assert "5 emails will be sent again." in after
    assert "No emails have been given up on" in after
    assert all(row.given_up_at is None and row.attempts == 0 for row in site.rows())

    mail_server.delay = 0.05
    out = send_outbox(site.app, MAIL_PORT=mail_server.port)
    assert "Sent 5, failed 0" in out
    assert mail_server.delivered() == Counter({address: 1 for address in addresses})
    assert all(row.sent_at is not None and row.attempts == 1 for row in site.rows())
    with site.app.app_context():
        events = site.db.session.execute(sa.text(
            "SELECT detail FROM audit_events WHERE action = 'outbox.sent_again'")).all()
    assert len(events) >= 1


# The database locked just after an email went ---------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_sender_meeting_a_locked_database_after_sending_still_marks_it(site, mail_server):
    """Under web traffic, `send-outbox` crashed on "database is locked" after sending an
    email and before marking it sent: the next run sent it again (one family got the same
    email five times). Here the lock is held longer than the sender waits for it."""
    (address,) = site.queue(1, "locked")
    database = site.url.removeprefix("sqlite:///")
    locker = sqlite3.connect(database, timeout=30, isolation_level=None,
                             check_same_thread=False)
    # Held longer than the sender waits for a lock, so its write fails with "locked".
    busy_ms = 2000 if "SQLITE_BUSY_TIMEOUT_MS" in site.app.config else 15000
    release = threading.Timer(busy_ms / 1000 + 2, lambda: locker.execute("COMMIT"))

    def lock_the_database() -> None:  # as the mail server takes the email
        locker.execute("BEGIN IMMEDIATE")
        release.start()

    mail_server.on_accept = lock_the_database
    try:
        out, err = finished(site.flask("send-outbox", MAIL_PORT=mail_server.port,
                                       SQLITE_BUSY_TIMEOUT_MS=busy_ms))
    finally:
        release.cancel()
        locker.close()
    assert "Sent 1, failed 0" in out
    assert "did not take" in err  # it met the lock, and waited it out
    mail_server.on_accept = None
    again, _ = finished(site.flask("send-outbox", MAIL_PORT=mail_server.port))
    assert "Sent 0, failed 0" in again
    assert mail_server.delivered() == Counter({address: 1})
    (row,) = site.rows()
    assert row.sent_at is not None and row.attempts == 1 and row.claimed_by is None


# A sender killed while the mail server has not yet taken the email -----------------------------

@pytest.mark.slow
def test_a_killed_senders_email_is_sent_by_another_once_its_claim_ends(site, mail_server):
    (address,) = site.queue(1, "killed")
    claim = {"MAIL_CLAIM_SECONDS": 4, "MAIL_PORT": mail_server.port}
    mail_server.hold.set()
    first = site.flask("send-outbox", **claim)
    try:
        assert mail_server.arrived.wait(60), "the first sender never reached DATA"
    finally:
        first.kill()  # kill -9: no chance to tidy up
        first.communicate()
    mail_server.hold.clear()
    (row,) = site.rows()
    assert row.claimed_by is not None and row.sent_at is None and row.attempts == 0
    claim_ends = row.claimed_until

    second, _ = finished(site.flask("send-outbox", **claim))
    if utcnow() < claim_ends:  # it ran while the claim held: it must have left it alone
        assert "Sent 0, failed 0" in second
    time.sleep(max(0.0, (claim_ends - utcnow()).total_seconds()) + 0.2)
    third, _ = finished(site.flask("send-outbox", **claim))
    assert "Sent 1" in second + third

    assert mail_server.delivered() == Counter({address: 1})
    (row,) = site.rows()
    assert row.sent_at is not None and row.attempts == 1 and row.claimed_by is None
    assert mail_server.seen[0] == mail_server.seen[-1]  # the same Message-ID both times


# Who may send given-up emails again -------------------------------------------------------------

def _given_up_by_hand(app: Flask, tag: str) -> int:
    db = app.extensions["sqlalchemy"]
    with app.app_context():
        operation(emails.send)("family_sign_in", f"{tag}@example.com", locale="en",
                               dedupe=f"{tag}:given-up", minutes=15,
                               link="https://example.org/x")
        db.session.commit()
        with by_hand():
            row = db.session.scalars(sa.select(OutboxMessage).where(
                OutboxMessage.dedupe_key == f"{tag}:given-up")).one()
            row.attempts, row.given_up_at, row.last_error = 7, utcnow(), "TimeoutError"
            db.session.commit()
        return row.id


def _state(app: Flask, message_id: int) -> tuple[int, bool]:
    db = app.extensions["sqlalchemy"]
    with app.app_context():
        row = db.session.get(OutboxMessage, message_id)
        return row.attempts, row.given_up_at is not None


def test_a_triage_officer_cannot_send_given_up_emails_again(app):
    tag = f"refused-{app.config['SQLALCHEMY_DATABASE_URI'][:6]}"
    message_id = _given_up_by_hand(app, tag)
    officer = staff_client(app, "triage_officer")
    token = csrf_token(officer.get("/staff/queue").get_data(as_text=True))
    for path in ("/staff/emails", "/staff/admin/emails"):
        assert officer.get(path).status_code == 403
        assert officer.post(f"{path}/send-again", data={"csrf_token": token}).status_code == 403
    assert _state(app, message_id) == (7, True)


@pytest.mark.parametrize("role, page", [("register_manager", "/staff/emails"),
                                        ("admin", "/staff/admin/emails")])
def test_register_managers_and_admins_send_given_up_emails_again(app, role, page):
    tag = f"{role}-{app.config['SQLALCHEMY_DATABASE_URI'][:6]}"
    message_id = _given_up_by_hand(app, tag)
    client = staff_client(app, role)
    home = client.get("/staff/admin/staff" if role == "admin" else "/staff/queue")
    assert f'href="{page}"' in home.get_data(as_text=True)  # in their menu: "Emails not sent"
    html = client.get(page).get_data(as_text=True)
    assert "Send them again" in html and f"{tag[:2]}***@example.com" in html
    other = "/staff/admin/emails" if role == "register_manager" else "/staff/emails"
    assert client.get(other).status_code == 403  # each role has its own page
    done = client.post(f"{page}/send-again", data={"csrf_token": csrf_token(html)})
    assert done.status_code == 302
    assert _state(app, message_id) == (0, False)


def test_a_refused_email_in_the_same_process_leaves_no_connection_open(site, mail_server):
    """A mail server that refuses an email mid-batch: the sender closes that connection
    before the next email (it was left for the garbage collector, a ResourceWarning that
    pytest turns into an error here)."""
    import gc

    site.queue(2, "refused-in-process")
    mail_server.refuse_next = 1
    output = send_outbox(site.app, MAIL_PORT=mail_server.port)
    gc.collect()  # an unclosed socket would warn now, failing this test
    assert "Sent 1, failed 1" in output, output
    assert len(mail_server.accepted) == 1
