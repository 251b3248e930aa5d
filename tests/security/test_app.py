"""Safety nets around the whole app: headers, settings, access rules, audit, schema, mail."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal import create_app
from portal.common.access import access_rule
from portal.config import ConfigError, load
from portal.data import audit
from portal.data.base import Base
from portal.data.outbox import OutboxMessage
from portal.extensions import db
from tests.support import REAL_DETAILS, by_hand

ROOT = Path(__file__).resolve().parents[2]


def test_every_page_sends_security_headers_with_a_fresh_nonce(sqlite_client):
    first = sqlite_client.get("/request")
    second = sqlite_client.get("/request")
    policy = first.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    html = first.get_data(as_text=True)
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts)
    assert nonce not in second.headers["Content-Security-Policy"]
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    assert first.headers["X-Frame-Options"] == "DENY"
    assert first.headers["Cache-Control"] == "no-store"  # a child's details never cached


def test_the_session_cookie_is_protected(sqlite_client):
    sqlite_client.get("/request")
    response = sqlite_client.post("/request/start", data={"csrf_token": re.search(
        r'name="csrf_token" value="([^"]+)"',
        sqlite_client.get("/request").get_data(as_text=True)).group(1)})
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("dsr_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("environ", [
    {},
    {"SECRET_KEY": "x" * 40},
    {"DATABASE_URL": "sqlite:///x.db"},
    {"SECRET_KEY": "short", "DATABASE_URL": "sqlite:///x.db"},
])
def test_production_refuses_to_start_without_a_secret_and_a_database(environ):
    with pytest.raises(ConfigError):
        load({"PORTAL_ENV": "production", **environ})




def test_production_settings_are_taken_from_the_environment():
    config = load({"PORTAL_ENV": "production", "SECRET_KEY": "s" * 40, **REAL_DETAILS,
                   "DATABASE_URL": "postgres://u@db/dsr", "DRAFT_TTL_DAYS": "14"})
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/dsr"
    assert config["DRAFT_TTL_DAYS"] == 14
    assert config["SESSION_COOKIE_SECURE"] is True
    with pytest.raises(ConfigError):
        load({"PORTAL_ENV": "production", "SECRET_KEY": "s" * 40, **REAL_DETAILS,
              "DATABASE_URL": "sqlite:///x.db", "DRAFT_TTL_DAYS": "soon"})


def test_every_route_declares_who_may_use_it(sqlite_app):
    missing = [
        rule.rule for rule in sqlite_app.url_map.iter_rules()
        if rule.endpoint != "static"
        and access_rule(sqlite_app.view_functions[rule.endpoint]) is None
    ]
    assert missing == []


def test_views_never_query_the_database_directly():
    """Queries live in portal/data; views call named functions (easy to review and test).
    Statements that change rows in bulk live in the application layer, portal/cases."""
    offenders = []
    for path in (ROOT / "portal").rglob("*.py"):
        where = path.relative_to(ROOT / "portal").parts[0]
        if where in {"data", "migrations"}:
            continue
        allowed = {"update", "delete", "insert"} if where == "cases" else set()
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "sqlalchemy":
                names = {alias.name for alias in node.names} - allowed
                if names & {"select", "update", "delete", "insert", "text"}:
                    offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_friendly_error_pages(sqlite_client):
    missing = sqlite_client.get("/no-such-page")
    assert missing.status_code == 404 and "Page not found" in missing.get_data(as_text=True)
    wrong = sqlite_client.delete("/request")
    assert wrong.status_code == 405
    big = sqlite_client.post("/request/start", data={"x": "a" * (3 * 1024 * 1024)})
    assert big.status_code == 413
    for response in (missing, wrong, big):
        assert "Need help now?" in response.get_data(as_text=True)


def test_language_switch_never_redirects_off_site(sqlite_client):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = sqlite_client.get("/language/en", query_string={"next": target})
        assert response.headers["Location"] == "/"
    assert sqlite_client.get("/language/xx").status_code == 404
    ok = sqlite_client.get("/language/en", query_string={"next": "/about/ratings"})
    assert ok.headers["Location"] == "/about/ratings"


def test_audit_events_cannot_be_changed_or_deleted(app, app_context):
    from portal.cases import audit as recorder
    from portal.cases.operation import Actor, operation

    event = operation(recorder.record)(Actor.system(), "test.event", "test", "1")
    db.session.commit()
    for statement in (
        sa.update(audit.AuditEvent).where(audit.AuditEvent.id == event.id)
        .values(action="rewritten"),
        sa.delete(audit.AuditEvent).where(audit.AuditEvent.id == event.id),
    ):
        with pytest.raises(sa.exc.DatabaseError), by_hand():
            db.session.execute(statement)
            db.session.flush()
        db.session.rollback()
    assert db.session.get(audit.AuditEvent, event.id).action == "test.event"


def test_the_migrations_build_exactly_the_models(app, app_context):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def queue(*, to: str, link: str, dedupe: str) -> None:
    from portal.cases import emails
    from portal.cases.operation import operation

    operation(emails.send)("family_sign_in", to, locale="en", link=link, minutes=15,
                           dedupe=dedupe)


def test_the_outbox_is_sent_over_real_smtp_once(app, app_context, smtp_server):
    handler, port = smtp_server
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    try:
        for _ in range(2):  # the same message queued twice is kept once
            queue(to="smtp-once@example.com", link="https://example.org/DSR-ACDE-FGHJ",
                  dedupe="smtp-test-1")
        db.session.commit()
        runner = app.test_cli_runner()
        first = runner.invoke(args=["send-outbox", "--limit", "100000"])
        second = runner.invoke(args=["send-outbox", "--limit", "100000"])
    finally:
        app.config.update(MAIL_PORT=1)
    assert first.exit_code == 0 and second.exit_code == 0
    ours = [m for m in handler.messages if m["To"] == "smtp-once@example.com"]
    assert len(ours) == 1
    assert ours[0]["Subject"] == "Your link to sign in"
    plain, html = ours[0].get_payload()  # multipart/alternative: the same words twice
    assert "DSR-ACDE-FGHJ" in plain.get_payload(decode=True).decode()
    assert "DSR-ACDE-FGHJ" in html.get_payload(decode=True).decode()
    sent = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.dedupe_key == "smtp-test-1")).one()
    assert sent.sent_at is not None and sent.attempts == 1


def test_a_mail_server_that_is_down_is_retried_later(app, app_context):
    queue(to="retry@example.com", link="https://example.org/later", dedupe="smtp-retry-1")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["send-outbox", "--limit", "100000"])
    assert result.exit_code == 0 and "failed" in result.output
    message = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.dedupe_key == "smtp-retry-1")).one()
    assert message.sent_at is None and message.attempts >= 1 and message.given_up_at is None


def test_the_app_starts_in_development_without_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "development")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'dev.sqlite3'}")
    app = create_app()
    assert app.config["MAIL_BACKEND"] == "console"


def test_cached_pages_still_get_a_fresh_nonce_each_time(sqlite_client):
    nonces = set()
    for _ in range(3):
        response = sqlite_client.get("/about/ratings")
        nonce = re.search(r"'nonce-([^']+)'",
                          response.headers["Content-Security-Policy"]).group(1)
        html = response.get_data(as_text=True)
        assert f'nonce="{nonce}"' in html and "placeholder" not in html
        nonces.add(nonce)
    assert len(nonces) == 3


def test_forms_do_not_grow_with_each_request(sqlite_app):
    """Each form gets its whitespace filter once, however many times it is built."""
    from portal.questions.forms import ChildNameForm

    with sqlite_app.test_request_context():
        sizes = {len(ChildNameForm(meta={"csrf": False}).child_name.filters) for _ in range(5)}
    assert sizes == {1}


def test_the_session_cookie_is_renewed_when_answers_are_saved(sqlite_client):
    sqlite_client.start_request()
    viewed = sqlite_client.get("/request/who")
    assert "Set-Cookie" not in viewed.headers  # just looking changes nothing
    saved = sqlite_client.submit("/request/who", {"who": "parent"})
    cookie = saved.headers["Set-Cookie"]
    assert "Expires=" in cookie  # kept for as long as the draft is
