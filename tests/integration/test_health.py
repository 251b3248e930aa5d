"""Health, readiness and metrics, as a load balancer and a monitoring system use them; the
client's address behind a proxy.

Each test has a database of its own: readiness depends on the email queue, which the
shared databases fill with whatever other tests queued."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, request

from portal import create_app
from portal.data.base import utcnow
from portal.data.health import head_revision, scripts
from portal.data.migrate import downgrade, upgrade
from portal.data.outbox import OutboxMessage
from portal.extensions import db
from tests.conftest import _postgres_database
from tests.live import free_port
from tests.support import by_hand

TOKEN = "metrics-" + "k" * 32


_made: list[Flask] = []


def new_app(url: str, **settings: Any) -> Flask:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "t" * 40,
                      "MAIL_BACKEND": "smtp", "MAIL_PORT": 1, "SERVER_NAME": None,
                      **settings})
    _made.append(app)
    return app


@pytest.fixture(autouse=True)
def _close_connections() -> Iterator[None]:
    """Each app this test made lets its database connections go before the database is
    dropped."""
    yield
    while _made:
        with _made.pop().app_context():
            db.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'health.sqlite3'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def migrated(database_url: str) -> Iterator[str]:
    app = new_app(database_url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield database_url


def ready(client: Any) -> tuple[int, dict[str, Any]]:
    response = client.get("/readyz")
    assert response.mimetype == "application/json"
    assert "Set-Cookie" not in response.headers
    return response.status_code, response.get_json()


def queue_email(app: Flask, *, created: timedelta, retry_at: timedelta | None = None,
                given_up: bool = False, sent: bool = False) -> int:
    """An email queued `created` ago (negative timedeltas: in the future)."""
    now = utcnow()
    with app.app_context(), by_hand():
        message = OutboxMessage(
            kind="family_sign_in", to_address="family@example.org", subject="Sign in",
            body="...", locale="en", created_at=now - created,
            next_attempt_at=None if retry_at is None else now - retry_at,
            given_up_at=now if given_up else None, sent_at=now if sent else None,
            attempts=1 if retry_at is not None else 0)
        db.session.add(message)
        db.session.commit()
        return message.id


def change_email(app: Flask, message_id: int, **values: Any) -> None:
    with app.app_context(), by_hand():
        db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.id == message_id)
                           .values(**values))
        db.session.commit()


# /healthz ---------------------------------------------------------------------------------

def unreachable(backend: str, tmp_path: Any) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'no-such-folder' / 'portal.sqlite3'}"
    return f"postgresql+psycopg://postgres:secret-password@127.0.0.1:{free_port()}/dsr"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_healthz_answers_without_the_database_and_readyz_names_it(backend, tmp_path):
    client = new_app(unreachable(backend, tmp_path)).test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers
    assert response.headers["X-Request-ID"]

    status, body = ready(client)
    assert status == 503
    assert body["status"] == "not ready"
    assert body["failing"] == ["database"]
    assert body["checks"]["database"]["ok"] is False
    assert "secret-password" not in str(body) and "no-such-folder" not in str(body)


# /readyz ----------------------------------------------------------------------------------

def test_ready_when_the_database_answers_at_the_code_s_schema_and_no_email_is_late(migrated):
    status, body = ready(new_app(migrated).test_client())
    assert status == 200, body
    assert body["status"] == "ready" and body["failing"] == []
    assert body["checks"]["schema"] == {"ok": True, "current": head_revision(),
                                        "head": head_revision()}
    assert body["checks"]["email"]["ok"] is True
    assert body["checks"]["email"]["limit_minutes"] == 15


def test_not_ready_while_the_schema_is_behind_the_code(migrated):
    app = new_app(migrated)
    before = scripts().get_revision(head_revision()).down_revision
    with app.app_context():
        downgrade(before)
        db.engine.dispose()
    status, body = ready(app.test_client())
    assert status == 503
    assert body["failing"] == ["schema"]
    assert body["checks"]["schema"] == {"ok": False, "current": before,
                                        "head": head_revision()}
    assert body["checks"]["email"]["ok"] is None  # looked at once the schema is right

    with app.app_context():
        upgrade()
        db.engine.dispose()
    assert ready(app.test_client())[0] == 200


def test_not_ready_when_an_email_has_been_due_too_long(migrated):
    app = new_app(migrated)
    client = app.test_client()
    late = queue_email(app, created=timedelta(minutes=20))
    status, body = ready(client)
    assert status == 503
    assert body["failing"] == ["email"]
    assert 19.5 <= body["checks"]["email"]["oldest_due_minutes"] < 60
    assert body["checks"]["email"]["limit_minutes"] == 15

    # Sent at last: ready again.
    change_email(app, late, sent_at=utcnow())
    assert ready(client)[0] == 200


def test_emails_given_up_or_waiting_for_a_retry_do_not_count_until_the_retry_is_due(
        migrated):
    app = new_app(migrated)
    client = app.test_client()
    queue_email(app, created=timedelta(hours=3), given_up=True)
    waiting = queue_email(app, created=timedelta(hours=2), retry_at=-timedelta(minutes=10))
    queue_email(app, created=timedelta(minutes=2))  # new: being sent
    assert ready(client)[0] == 200

    # The retry was due 5 minutes ago: still within the limit.
    change_email(app, waiting, next_attempt_at=utcnow() - timedelta(minutes=5))
    assert ready(client)[0] == 200
    # Due for 40 minutes and not sent: the sender has stopped.
    change_email(app, waiting, next_attempt_at=utcnow() - timedelta(minutes=40))
    status, body = ready(client)
    assert status == 503 and body["failing"] == ["email"]
    assert body["checks"]["email"]["oldest_due_minutes"] >= 39.5


def test_the_email_limit_is_a_setting_and_0_leaves_the_queue_out(migrated):
    app = new_app(migrated)
    queue_email(app, created=timedelta(minutes=20))
    assert ready(app.test_client())[0] == 503
    assert ready(new_app(migrated, READY_MAX_EMAIL_AGE_MINUTES=30).test_client())[0] == 200
    status, body = ready(new_app(migrated, READY_MAX_EMAIL_AGE_MINUTES=0).test_client())
    assert status == 200 and "email" not in body["checks"]


def test_health_pages_need_no_session_csrf_or_sign_in(migrated):
    client = new_app(migrated).test_client()
    client.get("/request")  # a browser that has a session already
    for path in ("/healthz", "/readyz"):
        response = client.get(path, headers={"Accept": "text/html"})
        assert response.status_code == 200, path
        assert "Set-Cookie" not in response.headers, path
        assert response.headers["Cache-Control"] == "no-store"
        assert client.head(path).status_code == 200


# /metrics -------------------------------------------------------------------------------

def metrics(client: Any, token: str | None = TOKEN) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get("/metrics", headers=headers)


def value(text: str, name: str, labels: str = "") -> float:
    found = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, re.MULTILINE)
    assert found, f"{name}{labels} not in:\n{text}"
    return float(found.group(1))


def test_metrics_are_off_unless_a_token_is_set_and_then_need_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'metrics.sqlite3'}"
    assert metrics(new_app(url).test_client()).status_code == 404
    client = new_app(url, METRICS_TOKEN=TOKEN).test_client()
    assert metrics(client, None).status_code == 401
    assert metrics(client, "wrong-" + TOKEN).status_code == 401
    response = metrics(client, None)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "dsr_" not in response.get_data(as_text=True)


def test_metrics_count_the_email_queue_the_triage_queue_and_responses(migrated):
    from portal.cases.consent import publish_bundled_texts
    from portal.demo import seed

    app = new_app(migrated, METRICS_TOKEN=TOKEN)
    with app.app_context():
        publish_bundled_texts()
        seed()
        db.session.commit()
        waiting = db.session.execute(sa.text(
            "SELECT count(*) FROM support_requests WHERE state = 'ready_for_triage'"
        )).scalar_one()
        unsent = db.session.execute(sa.text(
            "SELECT count(*) FROM outbox_messages WHERE sent_at IS NULL")).scalar_one()
        db.session.rollback()
    assert waiting > 0 and unsent > 0
    queue_email(app, created=timedelta(days=2), given_up=True)
    client = app.test_client()

    first = metrics(client)
    assert first.status_code == 200
    assert first.mimetype == "text/plain"
    text = first.get_data(as_text=True)
    assert value(text, "dsr_database_up") == 1
    assert value(text, "dsr_schema_at_head") == 1
    assert value(text, "dsr_emails_unsent") == unsent
    assert value(text, "dsr_emails_given_up") == 1
    assert value(text, "dsr_requests_waiting_for_triage") == waiting
    assert "family" not in text and "@" not in text  # counts only

    def not_found(text: str) -> float:
        found = re.search(r'^dsr_http_responses_total\{status="404",process="\d+"\} (\S+)$',
                          text, re.MULTILINE)
        return float(found.group(1)) if found else 0.0

    for _ in range(3):
        assert client.get("/no-such-page").status_code == 404
    assert not_found(metrics(client).get_data(as_text=True)) - not_found(text) == 3


# Behind a proxy ---------------------------------------------------------------------------

def seen_by(trusted: int, headers: dict[str, str], tmp_path: Any) -> dict[str, str]:
    app = new_app(f"sqlite:///{tmp_path / 'proxy.sqlite3'}", TRUSTED_PROXIES=trusted)

    @app.get("/test/who-is-asking")
    def who_is_asking() -> dict[str, str]:
        return {"address": str(request.remote_addr), "scheme": request.scheme}

    return app.test_client().get("/test/who-is-asking", headers=headers).get_json()


def test_behind_one_proxy_the_client_s_address_and_scheme_come_from_it(tmp_path):
    forwarded = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    assert seen_by(1, forwarded, tmp_path) == {"address": "203.0.113.9", "scheme": "https"}
    # Whatever the client put before the proxy's own entry is ignored.
    spoofed = {"X-Forwarded-For": "198.51.100.1, 203.0.113.9"}
    assert seen_by(1, spoofed, tmp_path)["address"] == "203.0.113.9"


def test_with_no_trusted_proxy_forwarded_headers_are_ignored(tmp_path):
    forwarded = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    assert seen_by(0, forwarded, tmp_path) == {"address": "127.0.0.1", "scheme": "http"}


# The production command -------------------------------------------------------------------

@pytest.mark.slow
def test_the_readme_s_production_command_serves_health_checks_without_a_control_socket(
        tmp_path):
    """The command README.md gives, as written: gunicorn with deploy/gunicorn.conf.py."""
    import os
    import shlex
    import subprocess
    import time
    import urllib.error
    import urllib.request

    from tests.live import GUNICORN, ROOT
    from tests.live import migrate as migrate_live

    readme = (ROOT / "README.md").read_text()
    found = re.search(r"`(gunicorn [^`]+)`", readme)
    assert found, "README.md gives no gunicorn command"
    command = shlex.split(found.group(1))
    url = f"sqlite:///{tmp_path / 'served.sqlite3'}"
    migrate_live(url)
    port = free_port()
    home = tmp_path / "home"
    home.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "XDG_RUNTIME_DIR"}
    env.update({"PORTAL_ENV": "test", "DATABASE_URL": url, "SECRET_KEY": "s" * 40,
                "HOME": str(home), "GUNICORN_BIND": f"127.0.0.1:{port}",
                "GUNICORN_WORKERS": "1", "GUNICORN_THREADS": "2"})
    process = subprocess.Popen([str(GUNICORN), *command[1:]], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        answers: dict[str, int] = {}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(answers) < 2:
            assert process.poll() is None, f"gunicorn exited with {process.returncode}"
            try:
                for path in ("/healthz", "/readyz"):
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}",
                                                timeout=2) as response:
                        answers[path] = response.status
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        assert answers == {"/healthz": 200, "/readyz": 200}
        assert not (home / ".gunicorn").exists(), "gunicorn opened a control socket"
    finally:
        process.terminate()
        process.wait(timeout=15)
