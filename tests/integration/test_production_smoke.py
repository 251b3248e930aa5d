"""The service started as an area would run it, and used.

Production settings on PostgreSQL, the job store in Redis, a local SMTP server that is slow
to accept each email. The commands are the ones in deploy/systemd/ (the database upgrade,
gunicorn with deploy/gunicorn.conf.py and 4 workers, two job workers). A family sends a
request over HTTP and their email arrives once; more families send theirs while one job
worker is killed in the middle of sending; every email still arrives exactly once; /readyz
says ready; everything stops cleanly.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import REQUIRE_POSTGRES, _postgres_database, missing_dependency
from tests.integration.test_concurrency import _one_request
from tests.live import free_port
from tests.support import REAL_DETAILS

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
UNITS = ROOT / "deploy" / "systemd"
MESSAGE_ID = re.compile(r"<outbox-(\d+)\.")
SECONDS_PER_EMAIL = 0.4  # how long the mail server takes before it accepts each email


def unit_command(unit: str) -> list[str]:
    """The ExecStart of a systemd unit, pointed at this checkout and its virtualenv."""
    text = (UNITS / unit).read_text()
    line = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    directory = next(line for line in text.splitlines()
                     if line.startswith("WorkingDirectory=")).split("=", 1)[1]
    command = shlex.split(line.split("=", 1)[1])
    venv_bin = f"{directory}/.venv/bin/"
    assert command[0].startswith(venv_bin), command
    return [str(BIN / command[0][len(venv_bin):]), *command[1:]]


class SlowMailServer:
    """An SMTP server that waits before accepting each email, and counts only the emails
    it accepted while the sender was still there to hear it."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.accepted: list[Any] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(SECONDS_PER_EMAIL)
        if server.transport is None or server.transport.is_closing():
            return "451 the sender went away"  # never accepted: the sender must try again
        from email import message_from_bytes, policy

        self.accepted.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def message_ids(self) -> list[str]:
        return [str(message["Message-ID"]) for message in self.accepted]


@pytest.fixture
def smoke_database() -> Iterator[str]:
    yield from _postgres_database()


@pytest.fixture
def redis_url() -> str:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=2):
            pass
    except OSError:
        missing_dependency("Redis at 127.0.0.1:6379", REQUIRE_POSTGRES)
    return "redis://127.0.0.1:6379/0"


def _get(base: str, path: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(base + path, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _wait(what: str, check: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"waited {seconds:.0f} s: {what}")


def _outbox(engine: sa.Engine) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(sa.text(
            "SELECT id, to_address, sent_at, attempts, given_up_at FROM outbox_messages "
            "ORDER BY id")))


@pytest.mark.slow
@pytest.mark.postgres
def test_the_service_runs_as_deployed_and_delivers_every_email_once(
        smoke_database: str, redis_url: str, tmp_path: Path) -> None:
    mail = SlowMailServer()
    mail.controller.start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PORTAL_ENV": "production",
        "SECRET_KEY": "smoke-test-secret-key-" + uuid.uuid4().hex,
        "DATABASE_URL": smoke_database,
        **REAL_DETAILS,
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(mail.port),
        "MAIL_FROM": "dsr.noreply@nhs.net",
        "MAIL_CLAIM_SECONDS": "5",
        "JOBS_BACKEND": "redis",
        "JOBS_REDIS_URL": redis_url,
        "JOBS_NAME": f"smoke-{uuid.uuid4().hex[:8]}",
        # Several servers share Redis for the limits too; every family here comes from
        # one address, so the limit on sending requests is set for a busy shared office.
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_KEY_PREFIX": f"smoke-{uuid.uuid4().hex[:8]}",
        "RATELIMIT_WRITES": "200 per hour",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "4",
        "HOME": str(tmp_path),  # nothing of gunicorn's lands in a real home folder
    }
    env.pop("PYTHONPATH", None)
    logs = {name: open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - closed below
            for name in ("upgrade", "web", "worker-1", "worker-2")}
    processes: dict[str, subprocess.Popen[bytes]] = {}
    engine = sa.create_engine(smoke_database)

    def start(name: str, unit: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(unit_command(unit), cwd=ROOT, env=env,
                                   stdout=logs[name], stderr=subprocess.STDOUT)
        processes[name] = process
        return process

    def log(name: str) -> str:
        return (tmp_path / f"{name}.log").read_text(errors="replace")[-3000:]

    try:
        upgrade = subprocess.run(unit_command("dsr-upgrade.service"), cwd=ROOT, env=env,
                                 stdout=logs["upgrade"], stderr=subprocess.STDOUT, timeout=120)
        assert upgrade.returncode == 0, log("upgrade")
        start("web", "dsr-web.service")
        start("worker-1", "dsr-worker.service")
        start("worker-2", "dsr-worker.service")
        _wait("the web server to answer /healthz",
              lambda: _reachable(base) and _get(base, "/healthz")[0] == 200, 60)

        # A family sends a request over HTTP; the email saying so arrives, once.
        sent = _one_request(base, 1)
        assert sent is not None, "the request was not acknowledged"
        _wait("the first email", lambda: len(mail.accepted) >= 1, 90)
        first = _outbox(engine)
        assert len(first) == 1 and first[0].to_address == "alex@example.com"
        _wait("the first email to be marked sent",
              lambda: _outbox(engine)[0].sent_at is not None, 30)
        time.sleep(2 * SECONDS_PER_EMAIL)
        assert len(mail.accepted) == 1
        assert sent[1] in mail.accepted[0].get_body(("plain",)).get_content()

        # More families send theirs; a job worker is killed in the middle of sending.
        for n in range(2, 14):
            assert _one_request(base, n) is not None
        queued = len(_outbox(engine))
        assert queued >= 13
        _wait("sending to be under way", lambda: len(mail.accepted) >= 3, 90)
        processes["worker-1"].send_signal(signal.SIGKILL)
        processes["worker-1"].wait(timeout=10)
        assert len(mail.accepted) < queued, "the batch was over before the worker was killed"

        # The other worker takes the killed one's email once its claim has run out.
        _wait("every email to be delivered",
              lambda: all(row.sent_at is not None for row in _outbox(engine)), 150)
        time.sleep(2 * SECONDS_PER_EMAIL)
        ids = mail.message_ids()
        numbers = sorted(int(MESSAGE_ID.search(i).group(1)) for i in ids)
        assert numbers == [row.id for row in _outbox(engine)], "lost or doubled"
        assert all(row.attempts >= 1 and row.given_up_at is None for row in _outbox(engine))

        status, body = _get(base, "/readyz")
        assert status == 200, body

        # Everything stops cleanly.
        for name in ("web", "worker-2"):
            processes[name].send_signal(signal.SIGTERM)
        for name in ("web", "worker-2"):
            assert processes[name].wait(timeout=60) == 0, log(name)
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
        for handle in logs.values():
            handle.close()
        engine.dispose()
        mail.controller.stop()


def _reachable(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=2):
            return True
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False
