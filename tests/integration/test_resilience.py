"""When the database is away or busy, and when two people save at once.

Faults are made for real: on SQLite another connection holds the write lock (BEGIN
IMMEDIATE) past the app's busy timeout; on PostgreSQL the app talks to the server through
a forwarder the test cuts (connections dropped, new ones refused), or another connection
holds every table locked past the app's lock timeout. The machine's PostgreSQL server
itself is never stopped.
"""

from __future__ import annotations

import re
import socket
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import Flask
from markupsafe import escape
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.data.base import Base
from portal.data.register import RegisterNote
from portal.data.requests import SupportRequest
from tests.conftest import make_app
from tests.integration.staff_support import make_staff, sign_in, version_on
from tests.integration.test_consent import send_request
from tests.integration.test_family import family_signs_in
from tests.integration.test_staff_casework import _accept, ready_request
from tests.live import free_port
from tests.support import REFERENCE_RE, csrf_token, parent_answers

RETRY_AFTER = "30"
TYPED = "We tried a shorter school day & a support worker <twice>."


# Faults ---------------------------------------------------------------------------------

class Forwarder:
    """A TCP forwarder to PostgreSQL that a test can cut (every connection dropped, new
    ones refused, as when the server is unreachable or restarting) and restore."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = free_port()
        self._open: set[socket.socket] = set()
        self._guard = threading.Lock()
        self._listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            _close(listener)
        with self._guard:
            live, self._open = self._open, set()
        for sock in live:
            _close(sock)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target, timeout=5)
                server.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self._guard:
                self._open |= {client, server}
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with self._guard:
                self._open -= {source, sink}
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


@dataclass
class Faulty:
    """An app, and a way to make its database away or busy for a while."""

    name: str
    app: Flask
    fault: Callable[[], AbstractContextManager[None]]


def _settings(folder: Path) -> dict[str, Any]:
    return {"SQLITE_BUSY_TIMEOUT_MS": 1000, "DATABASE_LOCK_TIMEOUT_MS": 1000,
            "DATABASE_CONNECT_TIMEOUT": 2, "AUDIT_LOOK_WAIT_MS": 400,
            "AUDIT_SPOOL_DIR": str(folder / "looks"), "RETRY_AFTER_SECONDS": 30}


@contextmanager
def sqlite_locked(path: Path) -> Iterator[None]:
    """Another process writing for longer than the app waits for its lock."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.fixture(scope="module")
def busy_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Faulty:
    folder = tmp_path_factory.mktemp("busy-sqlite")
    path = folder / "portal.sqlite3"
    app = make_app(f"sqlite:///{path}", **_settings(folder))
    return Faulty("sqlite_locked", app, lambda: sqlite_locked(path))


@pytest.fixture(scope="module")
def forwarded_postgres(postgres_url: str, tmp_path_factory: pytest.TempPathFactory
                       ) -> Iterator[tuple[Flask, Forwarder, str]]:
    address = sa.engine.make_url(postgres_url)
    forwarder = Forwarder(address.host or "127.0.0.1", address.port or 5432)
    through = address.set(host="127.0.0.1", port=forwarder.port)
    app = make_app(through.render_as_string(hide_password=False),
                   # as in production: a connection the server dropped is noticed
                   SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
                   **_settings(tmp_path_factory.mktemp("busy-postgres")))
    yield app, forwarder, postgres_url
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()
    forwarder.cut()


@contextmanager
def postgres_away(forwarder: Forwarder) -> Iterator[None]:
    forwarder.cut()
    try:
        yield
    finally:
        forwarder.restore()


@contextmanager
def postgres_locked(url: str) -> Iterator[None]:
    """Another connection holds every table for longer than the app's lock timeout."""
    engine = sa.create_engine(url)
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    try:
        with engine.connect() as connection:
            transaction = connection.begin()
            connection.execute(sa.text(f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE"))
            try:
                yield
            finally:
                transaction.rollback()
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite_locked", "postgres_away", "postgres_locked"])
def faulty(request: pytest.FixtureRequest) -> Faulty:
    if request.param == "sqlite_locked":
        return request.getfixturevalue("busy_sqlite")  # type: ignore[no-any-return]
    app, forwarder, url = request.getfixturevalue("forwarded_postgres")
    if request.param == "postgres_away":
        return Faulty(request.param, app, lambda: postgres_away(forwarder))
    return Faulty(request.param, app, lambda: postgres_locked(url))


# Helpers --------------------------------------------------------------------------------

def _db(app: Flask) -> Any:
    return app.extensions["sqlalchemy"]


def _up_to(client: Any, slug: str) -> None:
    """Start a request and answer every question before `slug`."""
    client.start_request()
    for name, data in parent_answers():
        if name == slug:
            return
        assert client.submit(f"/request/{name}", data).status_code == 302, name


def _form(html: str, index: int = -1) -> tuple[str, list[tuple[str, str]]]:
    """(action, fields) of a form on the page (the last one unless told)."""
    form = BeautifulSoup(html, "html.parser").find_all("form", method="post")[index]
    fields = []
    for field in form.find_all(["input", "textarea"]):
        if not field.get("name"):
            continue
        if field.name == "textarea":
            fields.append((field["name"], field.get_text()))
        elif field.get("type") not in {"radio", "checkbox"} or field.has_attr("checked"):
            fields.append((field["name"], field.get("value", "")))
    return form.get("action") or "", fields


def _post(client: Any, action: str, fields: list[tuple[str, str]]) -> Any:
    from werkzeug.datastructures import MultiDict

    return client.post(action, data=MultiDict(fields))


def _key(html: str) -> str:
    return re.search(r'name="submission_key" value="([^"]+)"', html).group(1)


def _unavailable(response: Any) -> str:
    html = response.get_data(as_text=True)
    assert response.status_code == 503, (response.status_code, html[:3000])
    assert response.headers["Retry-After"] == RETRY_AFTER
    return html


# The request journey (when the database is away) -----------------------------------

def test_an_answer_sent_while_the_database_is_away_is_shown_again_and_not_saved(faulty):
    client = faulty.app.test_client()
    _up_to(client, "tried")
    page = client.get("/request/tried").get_data(as_text=True)
    with faulty.fault():
        html = _unavailable(client.post("/request/tried", data={
            "csrf_token": csrf_token(page), "tried": TYPED}))
    assert "Your answer has not been saved yet." in html
    assert "Wait 30 seconds, then press Continue again." in html
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("textarea", attrs={"name": "tried"}).get_text() == TYPED  # as typed
    assert soup.find("h1").get_text(strip=True) == "What has been tried so far?"
    # Nothing was saved; sending it again once the database is back saves it.
    assert TYPED not in client.get("/request/tried").get_data(as_text=True)
    action, fields = _form(html)
    assert _post(client, action or "/request/tried", fields).status_code == 302
    assert str(escape(TYPED)) in client.get("/request/tried").get_data(as_text=True)


def test_send_while_the_database_is_away_says_not_sent_and_then_sends_once(faulty):
    client = faulty.app.test_client()
    client.answer_all()
    page = client.get("/request/check-answers").get_data(as_text=True)
    key = _key(page)
    with faulty.fault():
        html = _unavailable(client.post("/request/check-answers", data={
            "csrf_token": csrf_token(page), "submission_key": key}))
    assert "Your request has not been sent yet." in html
    action, fields = _form(html)
    assert ("submission_key", key) in fields  # Send again sends the same request
    sent = _post(client, action or "/request/check-answers", fields)
    assert sent.status_code == 302 and "/request/sent/" in sent.headers["Location"]
    again = _post(client, action or "/request/check-answers", fields)  # and only once
    assert again.headers["Location"] == sent.headers["Location"]
    with faulty.app.app_context():
        assert _db(faulty.app).session.scalar(sa.select(sa.func.count()).select_from(
            SupportRequest).where(SupportRequest.idempotency_key == key)) == 1


def test_the_confirmation_page_shows_while_the_database_is_away(faulty):
    client = faulty.app.test_client()
    reference = send_request(client, email=f"fam.{uuid.uuid4().hex[:8]}@example.com")
    stranger = faulty.app.test_client()
    with faulty.fault():
        shown = client.get(f"/request/sent/{reference}")
        html = shown.get_data(as_text=True)
        assert shown.status_code == 200
        assert REFERENCE_RE.search(html).group(1) == reference
        assert "Request sent" in html and "Give consent now" in html
        # Only the browser that sent it, as always.
        assert stranger.get(f"/request/sent/{reference}").status_code == 404


def test_a_commit_that_fails_after_the_page_was_built_keeps_the_answer(forwarded_postgres):
    """The page's changes were made and its redirect built; then the commit failed (the
    server went away at that moment). The person sees the question again, not a 500."""
    app, forwarder, _ = forwarded_postgres
    client = app.test_client()
    _up_to(client, "tried")
    page = client.get("/request/tried").get_data(as_text=True)
    cut = []

    def server_goes_away(_session: Session) -> None:
        if not cut:
            cut.append(True)
            forwarder.cut()

    event.listen(Session, "before_commit", server_goes_away)
    try:
        response = client.post("/request/tried", data={"csrf_token": csrf_token(page),
                                                        "tried": TYPED})
    finally:
        event.remove(Session, "before_commit", server_goes_away)
        forwarder.restore()
    assert cut
    html = _unavailable(response)
    assert "Your answer has not been saved yet." in html
    assert BeautifulSoup(html, "html.parser").find("textarea").get_text() == TYPED
    assert TYPED not in client.get("/request/tried").get_data(as_text=True)


# Any other form, and pages that read ------------------------------------------------

def test_any_form_gets_the_503_page_keeps_what_was_typed_and_saves_once_after(faulty):
    app = faulty.app
    client = app.test_client()
    sign_in(client, make_staff(app, "triage_officer", name="Tess Triage"))
    entry_url = _accept(client, ready_request(app))
    entry_id = int(entry_url.rsplit("/", 1)[1])
    page = client.get(entry_url).get_data(as_text=True)
    note = "Called mum: <school> meeting on Friday & CAMHS asked."
    with faulty.fault():
        html = _unavailable(client.post(f"/staff/register/{entry_id}/notes", data={
            "csrf_token": csrf_token(page), "note-version": version_on(page, "note-version"),
            "note-body": note}))
        looked = client.get(entry_url)
    assert "Sorry, nothing has been saved yet" in html
    assert str(escape(note)) in html  # what was typed, shown back
    assert "password" not in html.lower()
    if faulty.name == "sqlite_locked":  # reading needs no lock on SQLite
        assert looked.status_code == 200
    else:
        assert "Sorry, this page is not working right now" in _unavailable(looked)
    with app.app_context():
        assert not [n for n in _db(app).session.scalars(sa.select(RegisterNote).where(
            RegisterNote.entry_id == entry_id))]  # nothing half-saved
    action, fields = _form(html)
    assert ("note-body", note) in fields
    assert _post(client, action, fields).status_code == 302  # "Try again"
    with app.app_context():
        bodies = _db(app).session.scalars(sa.select(RegisterNote.body).where(
            RegisterNote.entry_id == entry_id)).all()
    assert bodies == [note]


def test_signing_in_while_the_database_is_away_never_shows_the_password(faulty):
    client = faulty.app.test_client()
    page = client.get("/staff/sign-in").get_data(as_text=True)
    secret = "Heron-Meadow-Lantern-42"
    with faulty.fault():
        html = _unavailable(client.post("/staff/sign-in", data={
            "csrf_token": csrf_token(page), "email": "tess@example.org",
            "password": secret}))
    assert secret not in html
    assert ("email", "tess@example.org") in _form(html)[1]


# Pages that never wait on the database ------------------------------------------------

CALM_PAGES = ("/help-now", "/about/contact", "/help-now?back=/request/tried")


def _everyone(app: Flask) -> dict[str, Any]:
    """A browser for each kind of visitor, each with its session cookie."""
    anyone = app.test_client()
    in_a_journey = app.test_client()
    _up_to(in_a_journey, "tried")
    staff = app.test_client()
    sign_in(staff, make_staff(app, "register_manager"))
    email = f"fam.{uuid.uuid4().hex[:8]}@example.com"
    send_request(app.test_client(), email=email)
    family = family_signs_in(app, email)
    return {"anyone": anyone, "in a journey": in_a_journey, "staff": staff,
            "family": family}


def test_crisis_and_contact_pages_never_touch_the_database(app):
    browsers = _everyone(app)
    with app.app_context():
        engine = _db(app).engine
    used: list[str] = []

    def checkout(*_args: Any) -> None:
        used.append("connection")

    event.listen(engine, "engine_connect", checkout)
    try:
        for who, browser in browsers.items():
            for path in CALM_PAGES:
                response = browser.get(path)
                assert response.status_code == 200, (who, path)
                assert not used, f"{path} used the database for {who}"
    finally:
        event.remove(engine, "engine_connect", checkout)


def test_crisis_and_contact_pages_answer_while_the_database_is_away(faulty):
    browsers = _everyone(faulty.app)
    with faulty.fault():
        for who, browser in browsers.items():
            for path in CALM_PAGES:
                response = browser.get(path)
                assert response.status_code == 200, (faulty.name, who, path)
        page = browsers["anyone"].get("/help-now").get_data(as_text=True)
    assert "999" in page
