"""Contention on a real server (gunicorn as deployed): a double-clicked Send, the crisis
and contact pages while writers wait on a lock, and creating a staff account while
families use the site."""

from __future__ import annotations

import http.client
import os
import re
import sqlite3
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import sqlalchemy as sa

from tests.integration.test_concurrency import Browser
from tests.live import gunicorn, migrate
from tests.support import CSRF_RE, REFERENCE_RE, flatten, parent_answers

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CONFIG = str(ROOT / "deploy" / "gunicorn.conf.py")
KEY_RE = re.compile(r'name="submission_key" value="([^"]+)"')
CLICKS = 4
ROUNDS = 8


def _database(request: pytest.FixtureRequest, backend: str) -> str:
    return str(request.getfixturevalue("sqlite_url" if backend == "sqlite"
                                       else "postgres_url"))


def _plain(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def _filled_in(base: str, n: int) -> tuple[Browser, str]:
    """A browser that has answered every question: (browser, "check your answers")."""
    browser = Browser(base)
    _, _, page = browser.request("GET", "/request")
    browser.request("POST", "/request/start",
                    urlencode({"csrf_token": CSRF_RE.search(page).group(1)}))
    for slug, data in parent_answers(**{"child-name": {"child_name": f"Click {n}"}}):
        status, _, _ = browser.post_form(f"/request/{slug}", flatten(data))
        assert status == 302, slug
    status, _, page = browser.request("GET", "/request/check-answers")
    assert status == 200
    return browser, page


def _post_at_once(base: str, cookie: str, path: str, body: str, times: int
                  ) -> list[tuple[int, str, str]]:
    """The same form sent `times` times at the same moment, each on its own connection
    (a double click): (status, location, the cookie the server sent back) for each."""
    parts = urlsplit(base)
    connections = [http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
                   for _ in range(times)]
    for connection in connections:
        connection.connect()
    ready = threading.Barrier(times)
    answers: list[tuple[int, str, str] | BaseException] = [None] * times  # type: ignore[list-item]

    def click(i: int) -> None:
        try:
            ready.wait()
            connections[i].request("POST", path, body=body, headers={
                "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
            response = connections[i].getresponse()
            response.read()
            answers[i] = (response.status, response.getheader("Location") or "",
                          (response.getheader("Set-Cookie") or cookie).split(";", 1)[0])
        except BaseException as problem:  # noqa: BLE001 - reported below
            answers[i] = problem
        finally:
            connections[i].close()

    threads = [threading.Thread(target=click, args=(i,)) for i in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for answer in answers:
        if isinstance(answer, BaseException):
            raise answer
    return answers  # type: ignore[return-value]


def test_every_click_of_a_double_clicked_send_shows_the_same_reference(backend, request):
    url = _database(request, backend)
    migrate(url)
    keys = []
    with gunicorn(url, config=CONFIG, extra_env={"GUNICORN_WORKERS": "4"}) as base:
        for n in range(ROUNDS):
            browser, page = _filled_in(base, n)
            browser.connection.close()
            key = KEY_RE.search(page).group(1)
            keys.append(key)
            body = urlencode({"csrf_token": CSRF_RE.search(page).group(1),
                              "submission_key": key})
            clicks = _post_at_once(base, browser.cookie, "/request/check-answers", body,
                                   CLICKS)
            assert [status for status, _, _ in clicks] == [302] * CLICKS, clicks
            places = {urlsplit(location).path for _, location, _ in clicks}
            assert len(places) == 1, places  # one request, whichever click answered
            place = places.pop()
            assert place.startswith("/request/sent/"), place
            reference = place.rsplit("/", 1)[1]
            for _, _, cookie in clicks:  # every click's page shows that reference
                shown = Browser(base)
                shown.cookie = cookie
                status, _, html = shown.request("GET", place)
                shown.connection.close()
                assert status == 200
                assert REFERENCE_RE.search(html).group(1) == reference

    engine = sa.create_engine(_plain(url))
    try:
        with engine.connect() as connection:
            stored = connection.execute(sa.text(
                "SELECT idempotency_key, count(*) FROM support_requests "
                "GROUP BY idempotency_key")).all()
    finally:
        engine.dispose()
    counts = dict(stored)
    assert [counts.get(key) for key in keys] == [1] * ROUNDS  # one row for each Send


WRITERS = 6


def test_the_crisis_and_contact_pages_answer_while_writers_wait_on_a_lock(tmp_path):
    """On SQLite, writers waiting on a lock hold a thread each, not a whole worker: with
    the deployed worker model the crisis and contact pages answer while they wait."""
    path = tmp_path / "portal.sqlite3"
    url = f"sqlite:///{path}"
    migrate(url)
    # The writers wait as long as it takes: the lock is let go only after the check.
    with gunicorn(url, config=CONFIG,
                  extra_env={"GUNICORN_WORKERS": "4", "SQLITE_BUSY_TIMEOUT_MS": "120000"}
                  ) as base:
        browsers = []
        for _ in range(WRITERS):
            browser = Browser(base)
            _, _, page = browser.request("GET", "/request")
            browser.connection.close()
            browsers.append((browser, CSRF_RE.search(page).group(1)))
        holder = sqlite3.connect(path, isolation_level=None, timeout=30)
        holder.execute("BEGIN IMMEDIATE")  # a long write: every writer now waits
        try:
            parts = urlsplit(base)
            waiting = []
            for browser, token in browsers:  # each a new request to start: a write
                connection = http.client.HTTPConnection(parts.hostname, parts.port,
                                                        timeout=180)
                connection.request("POST", "/request/start",
                                   body=urlencode({"csrf_token": token}),
                                   headers={"Cookie": browser.cookie, "Content-Type":
                                            "application/x-www-form-urlencoded"})
                waiting.append(connection)
            answered = {}
            for path_ in ("/help-now", "/about/contact", "/help-now?back=/request"):
                reader = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
                reader.request("GET", path_)
                response = reader.getresponse()
                html = response.read().decode()
                answered[path_] = response.status
                reader.close()
                assert "<h1" in html
        finally:  # let go only now: each page above answered while the lock was held
            holder.execute("ROLLBACK")
            holder.close()
        assert answered == dict.fromkeys(answered, 200)
        for connection in waiting:  # and every writer got through once it was let go
            response = connection.getresponse()
            response.read()
            assert response.status == 302
            connection.close()


def test_create_staff_works_while_families_use_the_site(backend, request):
    url = _database(request, backend)
    migrate(url)
    stop = threading.Event()
    sent: list[int] = []
    problems: list[BaseException] = []
    with gunicorn(url, config=CONFIG, extra_env={"GUNICORN_WORKERS": "4"}) as base:

        def family(n: int) -> None:
            try:
                while not stop.is_set():
                    browser, page = _filled_in(base, n * 1000 + len(sent))
                    status, _, _ = browser.request("POST", "/request/check-answers",
                                                   urlencode({
                                                       "csrf_token":
                                                           CSRF_RE.search(page).group(1),
                                                       "submission_key":
                                                           KEY_RE.search(page).group(1)}))
                    browser.connection.close()
                    assert status == 302
                    sent.append(n)
            except BaseException as problem:  # noqa: BLE001 - reported below
                problems.append(problem)

        families = [threading.Thread(target=family, args=(n,)) for n in range(3)]
        for thread in families:
            thread.start()
        created = []
        try:
            for _ in range(3):
                email = f"admin-{uuid.uuid4().hex[:8]}@example.org"
                result = subprocess.run(
                    [str(Path(sys.executable).parent / "flask"), "--app", "portal",
                     "create-staff", email, "--name", "Ada Admin", "--role", "admin"],
                    cwd=ROOT, capture_output=True, text=True, timeout=120,
                    env={**os.environ, "PORTAL_ENV": "test", "DATABASE_URL": url,
                         "MAIL_PORT": "1"})
                assert result.returncode == 0, result.stderr[-2000:]
                assert f"Created admin {email}" in result.stdout
                created.append(email)
        finally:
            stop.set()
            for thread in families:
                thread.join()
    assert not problems, problems
    assert sent  # families were sending requests the whole time
    engine = sa.create_engine(_plain(url))
    try:
        with engine.connect() as connection:
            found = connection.execute(sa.text(
                "SELECT email FROM staff_users WHERE email IN :emails").bindparams(
                sa.bindparam("emails", expanding=True)), {"emails": created}).scalars().all()
    finally:
        engine.dispose()
    assert sorted(found) == sorted(created)
