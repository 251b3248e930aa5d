"""Limits per client: past a limit one address gets the 429 page, with when to try again,
while everyone else carries on. Counted where every worker sees the same counts."""

from __future__ import annotations

import multiprocessing
import re
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from flask import Flask
from limits import parse_many

from portal.common.limit_store import SQLiteStorage
from portal.config import ConfigError
from portal.data.audit import AuditEvent
from portal.data.drafts import Draft
from tests.conftest import make_app
from tests.integration.staff_support import forget_last_code, make_staff, sign_in
from tests.live import gunicorn, migrate
from tests.support import csrf_token

_apps: dict[tuple[str, int], Flask] = {}


def limits_on(backend: str, request, trusted_proxies: int = 0) -> Flask:
    """The app with its limits on (as in production), every count starting from zero."""
    key = (backend, trusted_proxies)
    if key not in _apps:
        url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_url")
        _apps[key] = make_app(url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://",
                              TRUSTED_PROXIES=trusted_proxies)
    app = _apps[key]
    limiter, store, _strategy = app.extensions["portal.limits"]
    limiter.reset()
    store.reset()
    return app


@pytest.fixture
def limited(backend, request) -> Flask:
    return limits_on(backend, request)


def first_amount(app, setting: str) -> int:
    return min(item.amount for item in parse_many(app.config[setting]))


def from_address(app, address: str):
    """A new browser, at this address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def start(client):
    page = client.get("/request")
    assert page.status_code == 200
    return client.post("/request/start",
                       data={"csrf_token": csrf_token(page.get_data(as_text=True))})


def drafts(app) -> int:
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(Draft)))


def rate_limited_events(app) -> int:
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                                     .where(AuditEvent.action == "access.rate_limited")))


def assert_too_many(response) -> None:
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Too many tries" in page and "then try again" in page
    wait = int(response.headers["Retry-After"])
    assert 0 < wait <= 24 * 3600
    minutes = re.search(r"Wait (\d+) minutes?, then try again", page)
    assert minutes and int(minutes.group(1)) == -(-wait // 60)  # the page says the same


def test_fresh_clients_from_one_address_cannot_make_unfinished_requests_without_limit(
        limited):
    allowed = first_amount(limited, "RATELIMIT_WRITES")
    before = drafts(limited)
    for _ in range(allowed):  # a new browser each time: no cookie to count by
        assert start(from_address(limited, "203.0.113.5")).status_code == 302
    assert drafts(limited) == before + allowed
    refused = start(from_address(limited, "203.0.113.5"))
    assert_too_many(refused)
    assert drafts(limited) == before + allowed  # nothing was made
    # Someone else, at another address, starts as usual.
    assert start(from_address(limited, "198.51.100.7")).status_code == 302


def test_guessing_references_is_stopped_and_other_people_are_not(limited):
    allowed = first_amount(limited, "RATELIMIT_GUESSES")
    guesser = from_address(limited, "203.0.113.6")
    for _ in range(allowed):
        guess = f"DSR-{uuid.uuid4().hex[:6].upper()}"
        assert guesser.get(f"/consent/{guess}").status_code == 404
    before = rate_limited_events(limited)
    assert_too_many(guesser.get("/consent/DSR-ANYONE"))
    assert_too_many(guesser.get(f"/request/return/{'x' * 40}"))  # links too
    assert rate_limited_events(limited) == before + 2  # in the audit log, for staff to see
    assert from_address(limited, "198.51.100.8").get("/consent/DSR-ANYONE").status_code == 404


def test_one_password_tried_on_many_staff_accounts_from_one_address_is_stopped(limited):
    allowed = first_amount(limited, "RATELIMIT_STAFF_SIGN_IN")
    real = [make_staff(limited, "triage_officer") for _ in range(2)]
    emails = [user.email for user in real]
    emails += [f"staff{number}@example.org" for number in range(allowed + 1 - len(emails))]
    attacker = from_address(limited, "203.0.113.7")
    answers = [attacker.submit("/staff/sign-in", {"email": email, "password": "Spring2026!"})
               .status_code for email in emails]
    assert answers[:allowed] == [200] * allowed  # each refused, as usual
    assert answers[allowed] == 429
    assert_too_many(attacker.submit("/staff/sign-in", {"email": emails[0],
                                                       "password": "Summer2026!"}))
    # The staff themselves, from their own addresses, sign in as usual.
    assert sign_in(from_address(limited, "198.51.100.9"), real[0]).status_code == 302


def test_staff_signing_in_rightly_from_one_office_are_never_counted(limited):
    colleague = make_staff(limited, "register_manager")
    for _ in range(first_amount(limited, "RATELIMIT_STAFF_SIGN_IN") + 2):
        assert sign_in(from_address(limited, "198.51.100.11"), colleague).status_code == 302
        forget_last_code(limited, colleague)  # the next "device" reads the same code


def test_family_sign_in_requests_are_limited_per_address(limited):
    allowed = first_amount(limited, "RATELIMIT_FAMILY_SIGN_IN")
    asker = from_address(limited, "203.0.113.8")
    for number in range(allowed):
        sent = asker.submit("/account/sign-in", {"email": f"person{number}@example.com"})
        assert sent.status_code == 302
    assert_too_many(asker.submit("/account/sign-in", {"email": "one.more@example.com"}))


def test_the_client_is_the_proxys_client_when_a_proxy_is_trusted(backend, request):
    app = limits_on(backend, request, trusted_proxies=1)
    allowed = first_amount(app, "RATELIMIT_GUESSES")
    balancer = from_address(app, "10.0.0.2")  # every request arrives from the balancer

    def guess(client_address: str):
        return balancer.get("/consent/DSR-NOPE",
                            headers={"X-Forwarded-For": client_address})

    for _ in range(allowed):
        assert guess("203.0.113.9").status_code == 404
    assert guess("203.0.113.9").status_code == 429
    assert guess("198.51.100.12").status_code == 404  # another client behind the balancer


def test_limits_that_cannot_be_read_stop_the_service_starting(sqlite_url):
    with pytest.raises(ConfigError, match="RATELIMIT_GUESSES"):
        make_app(sqlite_url, RATELIMIT_GUESSES="ten an hour")


# The shared store ------------------------------------------------------------------------

def _count(path: str, times: int) -> None:
    store = SQLiteStorage(f"sqlite:///{path}")
    for _ in range(times):
        store.incr("shared", 3600)


@pytest.mark.slow
def test_the_sqlite_store_loses_no_count_when_processes_count_at_once(tmp_path):
    path = str(tmp_path / "limits.sqlite3")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_count, args=(path, 50)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    store = SQLiteStorage(f"sqlite:///{path}")
    assert store.get("shared") == 200
    assert store.get("never-counted") == 0
    store.clear("shared")
    assert store.get("shared") == 0


def test_the_sqlite_store_starts_a_new_window_when_one_ends(tmp_path):
    store = SQLiteStorage(f"sqlite:///{tmp_path / 'limits.sqlite3'}")
    assert store.incr("window", 3600) == 1
    assert store.incr("window", 3600) == 2
    assert store.incr("over", -1) == 1  # a window that has already ended...
    assert store.get("over") == 0  # ...counts nothing
    assert store.incr("over", 3600) == 1  # and the next count starts a new one
    assert store.check()


def _ask(url: str) -> tuple[int, str | None]:
    try:
        with urllib.request.urlopen(url, timeout=60) as answer:
            return answer.status, None
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Retry-After")


@pytest.mark.slow
def test_four_workers_share_one_limit(tmp_path):
    """gunicorn with 4 workers and the SQLite store: the limit is the same whichever worker
    answers (each worker counting on its own would let through up to four times as many).
    Requests go 4 at a time, so every worker is kept busy answering some."""
    database = f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    migrate(database)
    settings = {"RATELIMIT_ENABLED": "1", "RATELIMIT_LOOKUPS": "6 per hour",
                "RATELIMIT_STORAGE_URI": f"sqlite:///{tmp_path / 'limits.sqlite3'}"}
    with gunicorn(database, workers=4, extra_env=settings) as base, \
            ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(_ask, [f"{base}/consent/DSR-GUESS{n}" for n in range(24)]))
    statuses = [status for status, _wait in answers]
    assert statuses.count(404) == 6 and statuses.count(429) == 18
    assert all(int(wait) > 0 for status, wait in answers if status == 429)
