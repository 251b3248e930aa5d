"""Production starts only with real details: no example phone numbers, addresses or links.

With PORTAL_ENV=production (the default) the app, the `flask` commands and gunicorn refuse
to start while any setting a family or a mail server relies on is missing or still the
example shipped for trying the service out, and say in one message every setting to put
right. Development and test keep their local defaults.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

from portal import create_app
from portal.config import ConfigError, load
from tests.live import free_port
from tests.support import REAL_DETAILS

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Every setting config.py reads from the environment.
SETTINGS = sorted(set(re.findall(
    r'(?:env\.get|_[a-z]+)\((?:env, )?"([A-Z][A-Z0-9_]+)"',
    (ROOT / "portal" / "config.py").read_text())))
# What production needs beyond a secret and a database, when email goes by SMTP.
NEEDED = ["TOTP_ENCRYPTION_KEYS", "ORGANISATION_NAME", "CRISIS_LINE_PHONE",
          "CRISIS_LINE_HOURS", "CONTACT_PHONE", "CONTACT_EMAIL", "BASE_URL", "MAIL_SERVER",
          "MAIL_FROM"]
SECRET = "production-secret-" + "k" * 32
NOTIFY_KEY = f"dsr_live-{uuid.uuid4()}-{uuid.uuid4()}"


def real_settings(database_url: str) -> dict[str, str]:
    """A production environment with every detail real."""
    return {"PORTAL_ENV": "production", "SECRET_KEY": SECRET, "DATABASE_URL": database_url,
            **REAL_DETAILS,
            "MAIL_FROM": "Dynamic Support Register <dsr.noreply@nhs.net>"}


def lines_naming(message: str) -> list[str]:
    """The settings the refusal names, one per line, in order."""
    return re.findall(r"^  ([A-Z][A-Z0-9_]+): ", message, re.MULTILINE)


def refusal(environ: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as refused:
        load(environ)
    return str(refused.value)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'production.sqlite3'}"


@pytest.fixture
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The process environment with none of the service's settings in it."""
    for name in (*SETTINGS, "PORTAL_ENV"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def subprocess_env(settings: dict[str, str]) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if k not in (*SETTINGS, "PORTAL_ENV")},
            **settings}


# What is refused -------------------------------------------------------------------------

def test_the_settings_this_file_knows_are_the_ones_config_reads():
    assert {"SECRET_KEY", "DATABASE_URL", *NEEDED, "NOTIFY_API_KEY",
            "NOTIFY_TEMPLATE_ID", "NOTIFY_BASE_URL", "NOTIFY_REPLY_TO_ID"} <= set(SETTINGS)


def test_a_secret_and_a_database_alone_are_refused_naming_every_setting(
        clean_environ, database_url):
    for name, value in {"PORTAL_ENV": "production", "SECRET_KEY": SECRET,
                        "DATABASE_URL": database_url}.items():
        clean_environ.setenv(name, value)
    with pytest.raises(ConfigError) as refused:
        create_app()
    message = str(refused.value)
    assert lines_naming(message) == NEEDED
    for placeholder in ("0800 000 0000", "0300 000 0000", "http://127.0.0.1:5000",
                        "dsr-noreply@example.nhs.uk", "dsr@example.nhs.uk",
                        "Example Integrated Care Board"):
        assert placeholder in message  # what would have been shown or used
    assert "crisis page" in message and "emailed links" in message  # what each one is for
    assert "PORTAL_ENV=development" in message


def test_nothing_set_names_the_secret_and_database_too_without_showing_a_secret():
    message = refusal({"PORTAL_ENV": "production"})
    assert lines_naming(message) == ["SECRET_KEY", "DATABASE_URL", *NEEDED]
    short = refusal({**real_settings("sqlite:///x.db"), "SECRET_KEY": "tiny-secret-value"})
    assert lines_naming(short) == ["SECRET_KEY"] and "tiny-secret-value" not in short


@pytest.mark.parametrize(("name", "value"), [
    ("CRISIS_LINE_PHONE", "0800 000 0000"),
    ("CRISIS_LINE_PHONE", "08000000000"),
    ("CRISIS_LINE_PHONE", "+44 800 000 0000"),
    ("CRISIS_LINE_PHONE", "to be confirmed"),
    ("CRISIS_LINE_PHONE", ""),
    ("CONTACT_PHONE", "0300 000 0000"),
    ("CONTACT_EMAIL", "dsr@example.nhs.uk"),
    ("CONTACT_EMAIL", "team@example.com"),
    ("CONTACT_EMAIL", "not an address"),
    ("TEAM_EMAIL", "triage@example.org"),
    ("MAIL_FROM", "dsr-noreply@example.nhs.uk"),
    ("MAIL_FROM", "Register <noreply@dsr.example>"),
    ("BASE_URL", "http://127.0.0.1:5000"),
    ("BASE_URL", "http://dsr.northfield.nhs.uk"),
    ("BASE_URL", "https://localhost:8443"),
    ("BASE_URL", "https://dsr.example.org"),
    ("ORGANISATION_NAME", "Example Integrated Care Board"),
    ("MAIL_SERVER", ""),
])
def test_a_placeholder_is_refused_even_when_set_on_purpose(name, value):
    message = refusal({**real_settings("sqlite:///x.db"), name: value})
    assert lines_naming(message) == [name]


def test_the_real_details_start_and_are_what_families_see(clean_environ, database_url):
    for name, value in real_settings(database_url).items():
        clean_environ.setenv(name, value)
    app = create_app()
    assert app.config["BASE_URL"] == "https://dsr.northfield.nhs.uk"
    assert app.config["MAIL_FROM"] == "Dynamic Support Register <dsr.noreply@nhs.net>"
    client = app.test_client()
    crisis = client.get("/help-now").get_data(as_text=True)
    assert "0808 157 0192" in crisis and "Every day, 8am to midnight" in crisis
    assert "0800 000 0000" not in crisis
    contact = client.get("/about/contact").get_data(as_text=True)
    for shown in ("0113 496 0123", "dsr.team@nhs.net", "Northfield Integrated Care Board"):
        assert shown in contact
    assert "0300 000 0000" not in contact and "example.nhs.uk" not in contact


# Email in production -----------------------------------------------------------------------

def test_notify_needs_its_key_and_template_and_not_an_smtp_server(database_url):
    notify = {**real_settings(database_url), "MAIL_BACKEND": "notify"}
    del notify["MAIL_SERVER"], notify["MAIL_FROM"]  # Notify sends from its own address
    assert lines_naming(refusal(notify)) == ["NOTIFY_API_KEY", "NOTIFY_TEMPLATE_ID"]

    notify.update(NOTIFY_API_KEY=NOTIFY_KEY, NOTIFY_TEMPLATE_ID=str(uuid.uuid4()))
    config = load(notify)
    assert config["MAIL_BACKEND"] == "notify"
    assert config["NOTIFY_BASE_URL"] == "https://api.notifications.service.gov.uk"

    wrong = refusal({**notify, "NOTIFY_API_KEY": "half-a-key-" + NOTIFY_KEY[-20:],
                     "NOTIFY_TEMPLATE_ID": "welcome", "NOTIFY_REPLY_TO_ID": "reply",
                     "NOTIFY_BASE_URL": "http://api.notifications.service.gov.uk"})
    assert lines_naming(wrong) == ["NOTIFY_API_KEY", "NOTIFY_TEMPLATE_ID",
                                   "NOTIFY_REPLY_TO_ID", "NOTIFY_BASE_URL"]
    assert NOTIFY_KEY[-20:] not in wrong  # the key is never shown


def test_printing_email_to_the_console_is_refused_in_production(database_url):
    message = refusal({**real_settings(database_url), "MAIL_BACKEND": "console"})
    assert lines_naming(message) == ["MAIL_BACKEND"]


@pytest.mark.parametrize("portal_env", ["production", "development", "test"])
def test_a_mail_backend_that_does_not_exist_is_refused_everywhere(portal_env):
    with pytest.raises(ConfigError, match="console, smtp, notify"):
        load({**real_settings("sqlite:///x.db"), "PORTAL_ENV": portal_env,
              "MAIL_BACKEND": "notfy"})


# Development and tests keep their defaults -------------------------------------------------

@pytest.mark.parametrize("portal_env", ["development", "test"])
def test_trying_it_locally_needs_no_settings(portal_env):
    config = load({"PORTAL_ENV": portal_env})
    assert config["CRISIS_LINE_PHONE"] == "0800 000 0000"
    assert config["BASE_URL"] == "http://127.0.0.1:5000"
    assert config["MAIL_BACKEND"] == "console"


# The commands and the server ---------------------------------------------------------------

def flask(settings: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "flask"), "--app", "portal", *args], cwd=ROOT,
                          env=subprocess_env(settings), capture_output=True, text=True,
                          timeout=120)


@pytest.mark.slow
def test_flask_commands_refuse_then_run_with_real_details(database_url):
    refused = flask({"PORTAL_ENV": "production", "SECRET_KEY": SECRET,
                     "DATABASE_URL": database_url}, "upgrade-db")
    assert refused.returncode != 0
    assert "Database is up to date" not in refused.stdout
    assert lines_naming(refused.stderr) == NEEDED

    ran = flask(real_settings(database_url), "upgrade-db")
    assert ran.returncode == 0, ran.stderr
    assert "Database is up to date" in ran.stdout


def gunicorn(settings: dict[str, str], port: int) -> subprocess.Popen[str]:
    env = subprocess_env({**settings, "GUNICORN_BIND": f"127.0.0.1:{port}",
                          "GUNICORN_WORKERS": "1", "GUNICORN_THREADS": "2"})
    return subprocess.Popen([str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py",
                             "portal:create_app()"], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def stop(process: subprocess.Popen[Any]) -> None:
    process.terminate()
    try:
        process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()


def page(url: str, process: subprocess.Popen[Any]) -> str:
    """The page at `url` once the server answers (it may still be starting)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1]
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return str(response.read().decode())
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise AssertionError(f"gunicorn did not answer {url}")


@pytest.mark.slow
def test_gunicorn_refuses_then_serves_with_real_details(database_url):
    port = free_port()
    refused = gunicorn({"PORTAL_ENV": "production", "SECRET_KEY": SECRET,
                        "DATABASE_URL": database_url}, port)
    try:
        _, errors = refused.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        stop(refused)
        raise
    assert refused.returncode != 0
    assert set(NEEDED) <= set(lines_naming(errors))

    assert flask(real_settings(database_url), "upgrade-db").returncode == 0
    serving = gunicorn(real_settings(database_url), port)
    try:
        crisis = page(f"http://127.0.0.1:{port}/help-now", serving)
    finally:
        stop(serving)
    assert "0808 157 0192" in crisis
