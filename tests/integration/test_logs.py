"""Logs an operator can follow: one JSON object per line, every line of a request with its
id, and never a token from an emailed link, a family's details or an error's message;
gunicorn's access log the same."""

from __future__ import annotations

import json
import logging
import re
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from werkzeug.routing.converters import AnyConverter, IntegerConverter

from portal import create_app
from portal.common import logs
from portal.config import ConfigError, load
from portal.data.migrate import upgrade
from portal.extensions import db
from tests.live import ROOT, gunicorn, migrate
from tests.support import REAL_DETAILS, csrf_token

FAMILY_EMAIL = "logs-test-family@example.com"
SECRET = "logs-test-secret-" + "t" * 32  # the live server's too: it checks the links


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('logs') / 'portal.sqlite3'}"
    app = new_app(url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


def new_app(url: str, **settings: Any) -> Flask:
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET,
                       "MAIL_BACKEND": "smtp", "MAIL_PORT": 1, "SERVER_NAME": None,
                       "LOG_FORMAT": "json", **settings})


@pytest.fixture
def app(database: str) -> Iterator[Flask]:
    app = new_app(database)
    yield app
    with app.app_context():
        db.engine.dispose()


def sign_in_token(app: Flask, email: str = FAMILY_EMAIL) -> str:
    from portal.cases import family as family_cases
    from portal.cases import links as link_cases

    with app.app_context():
        token = link_cases.issue(family_cases.SIGN_IN, ttl=timedelta(minutes=15),
                                 subject=email)
        db.session.commit()
    return token


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every line, each of which must be one JSON object."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def request_lines(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in entries if entry["logger"] == "portal.request"]


# The app's own logs ----------------------------------------------------------------------

def test_each_request_is_one_json_line_with_its_id_and_the_token_redacted(app, capsys):
    token = sign_in_token(app)
    client = app.test_client()
    page = client.get(f"/account/sign-in/{token}?from=email")
    assert page.status_code == 200
    done = client.post(f"/account/sign-in/{token}",
                       data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert done.status_code == 302

    err = capsys.readouterr().err
    assert token not in err
    assert FAMILY_EMAIL not in err
    shown, signed_in = request_lines(json_lines(err))[-2:]
    assert shown["request_id"] == page.headers["X-Request-ID"]
    assert signed_in["request_id"] == done.headers["X-Request-ID"]
    assert shown["request_id"] != signed_in["request_id"]
    assert shown["method"] == "GET" and signed_in["method"] == "POST"
    assert shown["path"] == "/account/sign-in/[redacted]?from=email"
    assert signed_in["path"] == "/account/sign-in/[redacted]"
    assert (shown["status"], signed_in["status"]) == (200, 302)
    assert isinstance(shown["duration_ms"], int | float) and shown["duration_ms"] >= 0
    assert shown["level"] == "INFO"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", shown["time"])


def test_every_line_of_a_request_carries_its_id_and_an_error_shows_no_message(
        database, capsys):
    app = new_app(database)

    @app.get("/test/breaks")
    def breaks() -> str:
        logging.getLogger("portal.test").info("Looking up a record")
        raise RuntimeError("Jane Example, 12 Acacia Road, NHS 943 476 5919")

    response = app.test_client().get("/test/breaks", headers={"X-Request-ID": "lb-7f3a9"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "lb-7f3a9"
    entries = json_lines(capsys.readouterr().err)
    mine = [entry for entry in entries if entry.get("request_id") == "lb-7f3a9"]
    assert [entry["logger"] for entry in mine] == [
        "portal.test", "portal.common.errors", "portal.request"]
    assert all(entry["path"] == "/test/breaks" and entry["method"] == "GET"
               for entry in mine)
    error = mine[1]
    assert error["level"] == "ERROR"
    assert error["error"]["type"] == "builtins.RuntimeError"
    assert any("test_logs.py" in frame and "in breaks" in frame
               for frame in error["error"]["frames"])
    assert mine[2]["status"] == 500
    everything = json.dumps(entries)
    assert "Acacia" not in everything and "Jane" not in everything


def test_a_settings_error_keeps_its_message_which_names_only_settings(capsys):
    logs.configure("json", "INFO")
    try:
        raise ConfigError("LOG_FORMAT must be json or text, not 'xml'")
    except ConfigError:
        logging.getLogger("portal.test").exception("Could not start")
    try:
        raise ValueError("Jane Example")
    except ValueError:
        logging.getLogger("portal.test").exception("Could not read")
    settings, other = json_lines(capsys.readouterr().err)
    assert settings["error"]["message"] == "LOG_FORMAT must be json or text, not 'xml'"
    assert "message" not in other["error"] and "Jane" not in json.dumps(other)


@pytest.mark.parametrize(("sent", "kept"), [
    ("lb-7f3a9c01", True),
    ("Root=1-67891233-abcdef012345678912345678", True),
    ("not a request id", False),
    ("x" * 129, False),
    ("<script>", False),
])
def test_an_incoming_request_id_is_kept_only_when_it_looks_like_one(app, capsys, sent, kept):
    response = app.test_client().get("/request", headers={"X-Request-ID": sent})
    given = response.headers["X-Request-ID"]
    assert (given == sent) is kept
    if not kept:
        assert re.fullmatch(r"[0-9a-f]{32}", given)
    assert request_lines(json_lines(capsys.readouterr().err))[-1]["request_id"] == given


def test_every_response_has_a_request_id_even_an_error(app):
    client = app.test_client()
    ids = {client.get(path).headers["X-Request-ID"]
           for path in ("/request", "/no-such-page", "/healthz", "/assets/no-such-file.css")}
    assert len(ids) == 4


def test_text_logs_for_people_in_development(database, capsys):
    assert load({"PORTAL_ENV": "development"})["LOG_FORMAT"] == "text"
    app = new_app(database, LOG_FORMAT="text")
    response = app.test_client().get("/request")
    line = capsys.readouterr().err.strip().splitlines()[-1]
    short_id = response.headers["X-Request-ID"][:8]
    assert re.fullmatch(rf"\d\d:\d\d:\d\d INFO +\[{short_id}\] portal\.request: "
                        r"GET /request 200", line), line


def test_json_logs_by_default_in_production():
    production = {
        "PORTAL_ENV": "production", "SECRET_KEY": "production-secret-" + "k" * 32,
        "DATABASE_URL": "postgresql://dsr@db.internal/dsr", **REAL_DETAILS,
    }
    assert load(production)["LOG_FORMAT"] == "json"
    assert load({**production, "LOG_FORMAT": "text"})["LOG_FORMAT"] == "text"


def test_an_unknown_log_format_or_level_stops_the_app(database):
    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        new_app(database, LOG_FORMAT="xml")
    with pytest.raises(ConfigError, match="LOG_LEVEL"):
        new_app(database, LOG_LEVEL="LOUD")


def test_health_checks_are_not_written_at_info(app, capsys):
    client = app.test_client()
    client.get("/healthz")
    client.get("/readyz")
    assert request_lines(json_lines(capsys.readouterr().err)) == []
    logs.configure("json", "DEBUG")
    client.get("/healthz")
    written = request_lines(json_lines(capsys.readouterr().err))
    assert [(entry["path"], entry["level"]) for entry in written] == [("/healthz", "DEBUG")]
    logs.configure("json", "INFO")


# Redaction, for every page the app has -----------------------------------------------------

def sample_path(app: Flask, rule: Any, token: str) -> str:
    values: dict[str, Any] = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        values[name] = (1 if isinstance(converter, IntegerConverter)
                        else sorted(converter.items)[0] if isinstance(converter, AnyConverter)
                        else token if name == "token" else "DSR-ABCD-EFGH")
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def test_tokens_are_redacted_from_every_link_page_and_other_paths_are_kept(app):
    """What gunicorn's access log sees: the path alone, without the app's routes."""
    token = sign_in_token(app)
    token_pages = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = sample_path(app, rule, token)
        if "token" in rule.arguments:
            token_pages.append(rule.rule)
            assert token not in logs.redact_path(path), rule.rule
            assert logs.redact_path(path).count(logs.REDACTED) == 1, rule.rule
        else:
            assert logs.redact_path(path) == path, rule.rule
    assert len(token_pages) >= 5, token_pages


@pytest.mark.parametrize(("query", "written"), [
    ("next=/account/&lang=cy", "next=/account/&lang=cy"),
    ("token=abc", "token=[redacted]"),
    ("email=family%40example.com", "email=[redacted]"),
    ("to=someone@example.com", "to=[redacted]"),
    ("next=/account/sign-in/" + "A1b2" * 10, "next=[redacted]"),
    ("link=" + "Zz9_" * 8, "link=[redacted]"),
])
def test_query_strings_keep_what_is_safe(query, written):
    assert logs.redact_query(query) == written


def test_the_development_server_s_request_lines_are_redacted_too(app, capsys):
    token = sign_in_token(app)
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    werkzeug = logging.getLogger("werkzeug")
    keep = Keep()
    werkzeug.addHandler(keep)
    try:
        werkzeug.warning('%s - - [%s] %s', "127.0.0.1", "23/Nov/2026 10:00:00",
                         f'"GET /account/sign-in/{token} HTTP/1.1" 200 -')
    finally:
        werkzeug.removeHandler(keep)
    assert records == ['127.0.0.1 - - [23/Nov/2026 10:00:00] '
                       '"GET /account/sign-in/[redacted] HTTP/1.1" 200 -']


# gunicorn ----------------------------------------------------------------------------------

@pytest.mark.slow
def test_gunicorn_s_access_log_is_json_with_the_request_id_and_no_token(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    migrate(url)
    app = new_app(url)
    token = sign_in_token(app)
    access_log = tmp_path / "access.log"
    output = tmp_path / "server.log"
    with output.open("w") as server_output, gunicorn(
            url, workers=1, config=str(ROOT / "deploy" / "gunicorn.conf.py"),
            output=server_output,
            extra_env={"GUNICORN_ACCESS_LOG": str(access_log), "LOG_FORMAT": "json",
                       "LOG_LEVEL": "INFO", "SECRET_KEY": SECRET}) as base:
        ask = urllib.request.Request(
            f"{base}/account/sign-in/{token}?email={FAMILY_EMAIL}",
            headers={"X-Request-ID": "edge-5d1c2b", "Referer": f"{base}/account/sign-in/"
                     f"{token}"})
        with urllib.request.urlopen(ask, timeout=10) as response:
            assert response.status == 200
            assert response.headers["X-Request-ID"] == "edge-5d1c2b"
    written = access_log.read_text()
    server = output.read_text()
    assert token not in written and token not in server
    assert FAMILY_EMAIL not in written and FAMILY_EMAIL not in server
    entry = next(entry for entry in json_lines(written)
                 if entry["request_id"] == "edge-5d1c2b")
    assert entry == {**entry, "logger": "gunicorn.access", "method": "GET",
                     "path": "/account/sign-in/[redacted]", "query": "email=[redacted]",
                     "status": 200}
    assert isinstance(entry["duration_ms"], int)
    # The app's own line for the same request, in the server's output.
    app_entry = next(entry for entry in json_lines_in(server)
                     if entry.get("request_id") == "edge-5d1c2b")
    assert app_entry["path"] == "/account/sign-in/[redacted]?email=[redacted]"


def json_lines_in(text: str) -> list[dict[str, Any]]:
    """The JSON lines among a server's output."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]
