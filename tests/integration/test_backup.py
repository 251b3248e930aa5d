"""Backups with a tested restore.

SQLite: `flask backup PATH` copies the database while another process goes on writing;
`flask restore PATH` puts the copy into a new database file, and the service starts on it
and serves a request's page. The copy is the database at one moment: every table
together, nothing half written, nothing after that moment.

PostgreSQL: the documented pg_dump and pg_restore commands, run exactly as written.
"""

from __future__ import annotations

import hashlib
import http.cookiejar
import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from contextlib import closing
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from portal.commands.records import BACKUP_POSTGRESQL, RESTORE_POSTGRESQL
from portal.data.requests import SupportRequest
from tests.conftest import _postgres_database, make_app
from tests.integration.staff_support import PASSWORD, current_code, make_staff, sign_in
from tests.integration.test_retention import closed, declined, sent
from tests.live import ROOT, gunicorn

FLASK = Path(sys.executable).parent / "flask"

# Sends requests through the application layer, one transaction each, until told to stop.
WRITER = r"""
import sys, uuid
from pathlib import Path
from portal import create_app
from portal.cases import drafts, requests
from tests.integration.test_retention import answers
from tests.support import unique_nhs_number, years_ago

stop = Path(sys.argv[1])
app = create_app()
with app.app_context():
    while not stop.exists():
        tag = uuid.uuid4().hex[:8]
        draft = drafts.start("en")
        drafts.save_answers(draft, answers(f"Robin {tag} Example", years_ago(11),
                                           f"family.{tag}@example.com", unique_nhs_number()))
        requests.send(draft, f"writer-{tag}")
"""


def _environment(database_url: str) -> dict[str, str]:
    return {**os.environ, "PORTAL_ENV": "test", "DATABASE_URL": database_url,
            "SECRET_KEY": "backup-test-secret-key-" + "x" * 32, "MAIL_PORT": "1"}


def flask(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    """A `flask` command, run as an operator would."""
    return subprocess.run([str(FLASK), "--app", "portal", *args], cwd=ROOT,
                          env=_environment(database_url), capture_output=True, text=True,
                          timeout=120)


def _read(path: Path, query: str) -> list[tuple]:
    with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
        db.execute("PRAGMA busy_timeout = 15000")
        return db.execute(query).fetchall()


def _count(path: Path, table: str = "support_requests") -> int:
    return int(_read(path, f"SELECT count(*) FROM {table}")[0][0])  # noqa: S608


def _wait_for(path: Path, requests: int, writer: subprocess.Popen) -> None:
    for _ in range(600):
        if writer.poll() is not None:
            raise AssertionError(f"the writer stopped: {writer.communicate()[1]}")
        if _count(path) >= requests:
            return
        time.sleep(0.1)
    raise AssertionError("the writer wrote nothing")


def _contents(path: Path) -> dict[str, str]:
    """Every table's rows, as a fingerprint per table."""
    tables = [name for (name,) in _read(path, "SELECT name FROM sqlite_master WHERE "
                                               "type = 'table' AND name NOT LIKE 'sqlite_%'")]
    return {name: hashlib.sha256(repr(_read(path, f'SELECT * FROM "{name}" ORDER BY rowid'))
                                 .encode()).hexdigest() for name in tables}  # noqa: S608


def _one_moment(copy: Path, source: Path, before: int, after: int) -> None:
    """The copy is the source as it was at one moment during the backup."""
    assert _read(copy, "PRAGMA integrity_check") == [("ok",)]
    assert _read(copy, "PRAGMA foreign_key_check") == []
    count = _count(copy)
    assert before <= count <= after, (before, count, after)
    # Exactly the first `count` requests the source holds, each with every row its
    # transaction wrote: a copy taken part way through a transaction, or across two
    # moments, would show a request without them (or them without a request).
    assert _read(copy, "SELECT id, reference FROM support_requests ORDER BY id") == _read(
        source, f"SELECT id, reference FROM support_requests ORDER BY id LIMIT {count}")  # noqa: S608
    for what, query in {
        "audit": "SELECT count(*) FROM audit_events WHERE action = 'request.submitted'",
        "timeline": "SELECT count(*) FROM request_timeline WHERE step = 'sent'",
        "emails": "SELECT count(*) FROM outbox_messages WHERE kind = 'request_received'",
        "access": "SELECT count(*) FROM family_access",
    }.items():
        assert _read(copy, query) == [(count,)], what
    assert _count(copy, "request_drafts") == 0  # each draft went with its request


@pytest.mark.slow
def test_a_sqlite_backup_taken_while_the_service_writes_restores_to_that_moment(tmp_path):
    source = tmp_path / "live.sqlite3"
    source_url = f"sqlite:///{source}"
    app = make_app(source_url)
    manager = make_staff(app, "register_manager")
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(stop)], cwd=ROOT,
                              env=_environment(source_url), stderr=subprocess.PIPE,
                              text=True)
    taken = []
    try:
        _wait_for(source, 20, writer)
        for n in range(2):
            copy = tmp_path / f"backup-{n}.sqlite3"
            before = _count(source)
            result = flask("backup", str(copy), database_url=source_url)
            after = _count(source)
            assert result.returncode == 0, result.stderr
            taken.append((copy, before, after, result.stdout))
        _wait_for(source, taken[-1][2] + 5, writer)  # still writing after the last one
    finally:
        stop.touch()
        _, errors = writer.communicate(timeout=60)
    assert writer.returncode == 0, errors

    for copy, before, after, output in taken:
        _one_moment(copy, source, before, after)
        assert "Integrity check: ok" in output
        printed = re.search(r"support_requests\s+(\d+)", output)
        assert printed and int(printed.group(1)) == _count(copy)
        assert not Path(f"{copy}-wal").exists()  # one self-contained file
    assert flask("backup", str(taken[0][0]), database_url=source_url).returncode != 0

    copy = taken[-1][0]
    restored = tmp_path / "restored" / "portal.sqlite3"
    restored.parent.mkdir()
    restored_url = f"sqlite:///{restored}"
    done = flask("restore", str(copy), database_url=restored_url)
    assert done.returncode == 0, done.stderr
    assert "Integrity check: ok" in done.stdout
    assert _contents(restored) == _contents(copy)
    # A restore never writes over a database: not a restored one, not the live one.
    unchanged = _contents(restored)
    for url in (restored_url, source_url):
        refused = flask("restore", str(copy), database_url=url)
        assert refused.returncode != 0 and "already a database" in refused.stderr
    assert _contents(restored) == unchanged

    # The service starts on the restored database and shows a request from the backup.
    request_id, reference = _read(restored, "SELECT id, reference FROM support_requests "
                                            "ORDER BY id DESC LIMIT 1")[0]
    with gunicorn(restored_url, workers=1, threads=2) as base:
        browser = Browser(base)
        browser.sign_in(manager.email, manager.totp_secret)
        status, page = browser.get(f"/staff/requests/{request_id}")
    assert status == 200 and reference in page


class Browser:
    """Just enough of a browser for a staff sign-in: cookies, and each form's token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, str]:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.status, response.read().decode()

    def submit(self, path: str, fields: dict[str, str]) -> str:
        _, page = self.get(path)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({"csrf_token": token, **fields}).encode()
        with self.opener.open(self.base + path, data=data, timeout=30) as response:
            return response.url

    def sign_in(self, email: str, secret: str) -> None:
        assert self.submit("/staff/sign-in", {"email": email, "password": PASSWORD}
                           ).endswith("/staff/sign-in/code")
        assert "/sign-in" not in self.submit("/staff/sign-in/code",
                                             {"code": current_code(secret)})


# PostgreSQL ---------------------------------------------------------------------------------

def _libpq(url: str) -> str:
    """DATABASE_URL as an operator sets it (postgresql://...), which pg_dump reads too."""
    return url.replace("postgresql+psycopg://", "postgresql://")


def _tables(url: str) -> dict[str, int]:
    with psycopg.connect(_libpq(url)) as db:
        names = [name for (name,) in db.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_type = 'BASE TABLE' ORDER BY table_name")]
        return {name: db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]  # noqa: S608
                for name in names}


def _documented(command: str, database_url: str, path: Path) -> list[str]:
    """The documented command, with $DATABASE_URL and PATH filled in."""
    words = command.replace('"$DATABASE_URL"', "DATABASE_URL").split()
    return [_libpq(database_url) if w == "DATABASE_URL" else w.replace("PATH", str(path))
            for w in words]


def test_postgresql_is_backed_up_and_restored_with_the_documented_commands(tmp_path):
    sources, targets = _postgres_database(), _postgres_database()
    source_url, target_url = next(sources), next(targets)
    apps = []
    try:
        app = make_app(source_url)
        apps.append(app)
        manager = make_staff(app, "register_manager")
        kept = [sent(app), declined(app), closed(app)]
        refused = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "x.sqlite3")])
        assert refused.exit_code != 0 and "pg_dump --format=custom" in refused.output
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()
        at_dump = _tables(source_url)
        dump = tmp_path / "portal.dump"

        dumped = subprocess.run(_documented(BACKUP_POSTGRESQL, source_url, dump),
                                capture_output=True, text=True, timeout=120)
        assert dumped.returncode == 0, dumped.stderr
        later = sent(app)  # written after the dump: not in it
        for url in (target_url, source_url):  # into an empty database, and over a used one
            with app.app_context():
                app.extensions["sqlalchemy"].engine.dispose()
            restored = subprocess.run(_documented(RESTORE_POSTGRESQL, url, dump),
                                      capture_output=True, text=True, timeout=120)
            assert restored.returncode == 0 and restored.stderr == "", restored.stderr
            assert _tables(url) == at_dump
            assert at_dump["support_requests"] == 3

        with psycopg.connect(_libpq(target_url)) as db:  # still append-only
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                db.execute("DELETE FROM audit_events")
        app = make_app(target_url)  # the service starts on it, schema up to date
        apps.append(app)
        with app.app_context():
            references = set(app.extensions["sqlalchemy"].session.scalars(
                sa.select(SupportRequest.reference)))
        assert references == {c.reference for c in kept} and later.reference not in references
        client = app.test_client()
        sign_in(client, manager)
        page = client.get(f"/staff/requests/{kept[0].id}")
        assert page.status_code == 200 and kept[0].reference in page.get_data(as_text=True)
    finally:
        for app in apps:
            with app.app_context():
                app.extensions["sqlalchemy"].engine.dispose()
        sources.close()
        targets.close()
