"""Many families at once: 8 processes x 50 requests against a multi-worker server.

Every request is sent as a browser would (each question page, then "check your answers"),
and the final POST is sent twice on some requests (a double click) and retried after a
dropped connection on others. Every acknowledged request must be stored exactly once
under a reference no other request has.
"""

from __future__ import annotations

import http.client
import multiprocessing
import re
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import sqlalchemy as sa

from tests.live import gunicorn, migrate
from tests.support import CSRF_RE, flatten, parent_answers

PROCESSES = 8
PER_PROCESS = 50
KEY_RE = re.compile(r'name="submission_key" value="([^"]+)"')


class Browser:
    """Just enough of a browser: one connection, one cookie, retries on a dropped line."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.cookie = ""
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str, str]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(5):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                text = response.read().decode()
                break
            except (ConnectionError, http.client.HTTPException, TimeoutError):
                self.connection.close()
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
                if attempt == 4:
                    raise
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return response.status, response.getheader("Location") or "", text

    def close(self) -> None:
        self.connection.close()

    def post_form(self, path: str, data: list[tuple[str, str]]) -> tuple[int, str, str]:
        status, _, page = self.request("GET", path)
        assert status == 200, (path, status)
        token = CSRF_RE.search(page).group(1)
        return self.request("POST", path, urlencode([("csrf_token", token), *data]))


def _one_request(base: str, n: int) -> tuple[str, str] | None:
    """Fill in and send one request; (submission key, reference) once acknowledged."""
    browser = Browser(base)
    try:
        return _fill_in_and_send(browser, base, n)
    finally:
        browser.close()


def _fill_in_and_send(browser: Browser, base: str, n: int) -> tuple[str, str] | None:
    status, _, page = browser.request("GET", "/request")
    token = CSRF_RE.search(page).group(1)
    browser.request("POST", "/request/start", urlencode({"csrf_token": token}))
    for slug, data in parent_answers(**{"child-name": {"child_name": f"Child {n}"}}):
        status, _, _ = browser.post_form(f"/request/{slug}", flatten(data))
        assert status == 302, slug
    status, _, page = browser.request("GET", "/request/check-answers")
    key = KEY_RE.search(page).group(1)
    body = urlencode({"csrf_token": CSRF_RE.search(page).group(1), "submission_key": key})
    status, location, _ = browser.request("POST", "/request/check-answers", body)
    if n % 3 == 0:  # a double click
        status, location, _ = browser.request("POST", "/request/check-answers", body)
    if n % 5 == 0:  # the line dropped; the retry comes on a new connection, cookie lost
        retry = Browser(base)
        _, _, fresh = retry.request("GET", "/request")
        again = urlencode({"csrf_token": CSRF_RE.search(fresh).group(1), "submission_key": key})
        status, second, _ = retry.request("POST", "/request/check-answers", again)
        retry.close()
        assert second == location, (second, location)
    if status != 302 or "/request/sent/" not in location:
        return None
    return key, location.rsplit("/", 1)[1]


def _worker(args: tuple[str, int]) -> list[Any]:
    base, index = args
    return [_one_request(base, index * PER_PROCESS + i) for i in range(PER_PROCESS)]


@pytest.mark.slow
def test_parallel_submissions_are_stored_once_each(backend, request):
    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_url")
    migrate(url)
    with gunicorn(url, workers=4) as base:
        with multiprocessing.get_context("spawn").Pool(PROCESSES) as pool:
            results = pool.map(_worker, [(base, i) for i in range(PROCESSES)])
    acknowledged = [r for batch in results for r in batch if r is not None]
    assert len(acknowledged) == PROCESSES * PER_PROCESS  # nothing was refused under load
    keys = {key for key, _ in acknowledged}
    references = [reference for _, reference in acknowledged]
    assert len(keys) == len(acknowledged)
    assert len(set(references)) == len(references)

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text(
                "SELECT idempotency_key, reference FROM support_requests")).all()
    finally:
        engine.dispose()
    stored = {}
    for key, reference in rows:
        assert key not in stored, "two rows for one submission"
        stored[key] = reference
    for key, reference in acknowledged:
        assert stored[key] == reference
    all_references = [reference for _, reference in rows]
    assert len(set(all_references)) == len(all_references)
