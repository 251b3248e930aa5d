"""Fixtures: the app on SQLite and on PostgreSQL, a client that checks every page."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

os.environ.setdefault("PORTAL_ENV", "test")

from portal import create_app  # noqa: E402
from portal.data.migrate import upgrade  # noqa: E402
from tests.support import csrf_token, flatten, page_problems, parent_answers  # noqa: E402

PG_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("DSR_REQUIRE_POSTGRES") == "1"
_missing: list[str] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in _missing:
        terminalreporter.write_line(f"!!! {line}", red=True, bold=True)


def pytest_sessionfinish(session: pytest.Session) -> None:
    # Under pytest-xdist each process tells the main one what it could not run.
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["dsr_missing"] = list(_missing)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    for line in getattr(node, "workeroutput", {}).get("dsr_missing", []):
        if line not in _missing:
            _missing.append(line)


def missing_dependency(what: str, required: bool) -> None:
    """Skip loudly, or fail when CI says the dependency is required."""
    message = f"{what} is not available: these tests did NOT run"
    if message not in _missing:
        _missing.append(message)
    if required:
        pytest.fail(message + " (required here)", pytrace=False)
    pytest.skip(message)


# Databases ---------------------------------------------------------------------------

def _postgres_database() -> Iterator[str]:
    import psycopg

    plain = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    name = f"dsr_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(plain, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        missing_dependency(f"PostgreSQL at {PG_ADMIN_URL}", REQUIRE_POSTGRES)
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(plain, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal.sqlite3'}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    yield from _postgres_database()


def make_app(database_url: str, **extra: Any) -> Flask:
    config = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key-" + "x" * 32,
        "MAIL_BACKEND": "smtp",
        "MAIL_PORT": 1,  # nothing is sent unless a test starts an SMTP server
        "SERVER_NAME": None,
    }
    config.update(extra)
    app = create_app(config)
    app.test_client_class = CheckingClient
    with app.app_context():
        upgrade()
        from portal.cases.consent import publish_bundled_texts
        from portal.extensions import db

        publish_bundled_texts()
        db.session.commit()
    return app


_apps: dict[str, Flask] = {}


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def app(backend: str, request: pytest.FixtureRequest) -> Flask:
    """The app, once on SQLite and once on PostgreSQL, schema made by the migrations."""
    if backend not in _apps:
        url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_url")
        _apps[backend] = make_app(url)
    return _apps[backend]


@pytest.fixture
def sqlite_app(sqlite_url: str) -> Flask:
    if "sqlite" not in _apps:
        _apps["sqlite"] = make_app(sqlite_url)
    return _apps["sqlite"]


@pytest.fixture
def app_context(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


# Clients -----------------------------------------------------------------------------

class CheckingClient(FlaskClient):
    """A test client that checks every HTML page it receives for basic accessibility
    and form-safety problems (one h1, a title, lang, unique ids, CSRF on forms)."""

    def open(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        response = super().open(*args, **kwargs)
        if response.mimetype == "text/html" and response.status_code != 302:
            problems = page_problems(response.get_data(as_text=True))
            assert not problems, f"{response.request.path}: {problems}"
        return response

    def submit(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """GET a page, then POST its form with the page's CSRF token, as a browser would."""
        page = self.get(url)
        assert page.status_code == 200, f"GET {url} -> {page.status_code}"
        pairs = [("csrf_token", csrf_token(page.get_data(as_text=True)))]
        pairs += flatten(data or {})
        return self.post(url, data=_multidict(pairs), **kwargs)

    def start_request(self) -> None:
        page = self.get("/request")
        assert page.status_code == 200
        response = self.post("/request/start",
                             data={"csrf_token": csrf_token(page.get_data(as_text=True))})
        assert response.status_code == 302

    def answer_all(self, **overrides: Any) -> Any:
        """Start a request and answer every question. Returns the last response."""
        self.start_request()
        response = None
        for slug, data in parent_answers(**overrides):
            response = self.submit(f"/request/{slug}", data)
            assert response.status_code == 302, (slug, response.get_data(as_text=True)[:2000])
        return response


def _multidict(pairs: list[tuple[str, str]]) -> Any:
    from werkzeug.datastructures import MultiDict

    return MultiDict(pairs)


@pytest.fixture
def client(app: Flask) -> CheckingClient:
    return app.test_client()  # type: ignore[return-value]


@pytest.fixture
def sqlite_client(sqlite_app: Flask) -> CheckingClient:
    return sqlite_app.test_client()  # type: ignore[return-value]


# SMTP ----------------------------------------------------------------------------------

@pytest.fixture
def smtp_server() -> Iterator[Any]:
    """A real SMTP server on loopback that keeps what it receives."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    class Keep(Message):
        def __init__(self) -> None:
            super().__init__()
            self.messages: list[Any] = []

        def handle_message(self, message: Any) -> None:
            self.messages.append(message)

    import socket

    with socket.socket() as probe:  # aiosmtpd cannot listen on port 0: find a free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Keep()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


ROOT = Path(__file__).resolve().parent.parent
