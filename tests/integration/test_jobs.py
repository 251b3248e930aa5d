"""Background jobs: each daily job once per period however many workers or servers run
it, real `flask worker` processes sharing one job store (a SQLite file, or Redis) that
send email once and stop cleanly, and pages that ask for their email to go at once
without ever failing because the job store is away."""

from __future__ import annotations

import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

import portal.jobs
from portal.data.audit import AuditEvent
from portal.data.jobs import JobRun
from portal.data.outbox import OutboxMessage
from portal.jobs import daily, queue_for
from tests.integration import test_email_delivery as delivery
from tests.integration.test_email_delivery import FLASK, ROOT, Site, finished, free_port
from tests.support import by_hand

# The same fixtures as the email tests: a site with its own database, a real mail server.
sites = delivery.sites
site = delivery.site
mail_server = delivery.mail_server

REDIS_URL = "redis://127.0.0.1:6379/0"


def job_runs(site: Site, job: str | None = None) -> list[JobRun]:
    with site.app.app_context():
        query = sa.select(JobRun).order_by(JobRun.id)
        if job:
            query = query.where(JobRun.job == job)
        found = list(site.db.session.scalars(query))
        site.db.session.expunge_all()
        site.db.session.rollback()
    return found


def audited_runs(site: Site, since: int) -> Counter[tuple[str, str]]:
    """(job, period) of each job run audited after event `since`."""
    with site.app.app_context():
        events = site.db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.id > since, AuditEvent.action == "job.run"))
        found = Counter((event.subject_id, event.detail["period"]) for event in events)
        site.db.session.rollback()
    return found


def last_event(site: Site) -> int:
    with site.app.app_context():
        found = site.db.session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0
        site.db.session.rollback()
    return int(found)


def forget_job_runs(site: Site) -> None:
    with site.app.app_context(), by_hand():
        site.db.session.execute(sa.delete(JobRun))
        site.db.session.commit()


# Once per period ----------------------------------------------------------------------------

def test_a_job_runs_once_per_period_and_each_run_is_audited(site):
    since = last_event(site)
    period, next_period = f"test {uuid.uuid4().hex[:8]}", f"test {uuid.uuid4().hex[:8]}"
    with site.app.app_context():
        first = daily.run_job("purge", period, worker="server-a")
        second = daily.run_job("purge", period, worker="server-b")
        later = daily.run_job("purge", next_period, worker="server-b")
    assert first.ran and first.outcome == "done" and first.summary.startswith("Removed ")
    assert not second.ran and second.outcome == "already started"
    assert later.ran
    (run,) = [r for r in job_runs(site, "purge") if r.period == period]
    assert run.worker == "server-a" and run.outcome == "done" and run.finished_at
    assert audited_runs(site, since) == Counter({("purge", period): 1,
                                                 ("purge", next_period): 1})


@pytest.mark.parametrize("command", [["purge", "--daily"],
                                     ["consent-reminders", "--daily"]])
def test_two_servers_running_a_daily_job_at_once_run_it_once(site, command):
    """Daily jobs run by cron had no lock: two servers would both run them."""
    forget_job_runs(site)
    since = last_event(site)
    both = [site.flask(*command) for _ in range(2)]
    outputs = [finished(process)[0] for process in both]
    assert sorted("Already run for" in out for out in outputs) == [False, True], outputs
    job = command[0].replace("-", "_")
    (run,) = job_runs(site, job)
    assert run.outcome == "done"
    assert audited_runs(site, since) == Counter({(job, run.period): 1})


def test_a_job_run_by_hand_runs_every_time(site):
    forget_job_runs(site)
    for _ in range(2):
        out, _ = finished(site.flask("purge"))
        assert "Removed 0 expired draft(s)." in out
    runs = job_runs(site, "purge")
    assert len(runs) == 2 and all(r.period.startswith("once ") for r in runs)


# Workers ------------------------------------------------------------------------------------

@contextmanager
def job_store(app: Flask, **settings: Any) -> Iterator[Any]:
    """The app queueing its tasks in another store for a while."""
    saved = {name: app.config[name] for name in settings}
    app.config.update(settings)
    app.extensions.pop("portal.jobs", None)
    try:
        yield queue_for(app).huey
    finally:
        app.config.update(saved)
        app.extensions.pop("portal.jobs", None)
        portal.jobs._quiet_until = 0.0


def save_for_later(app: Flask, address: str) -> None:
    """A family saves their request: the page queues an email with their link."""
    client = app.test_client()
    client.start_request()
    client.submit("/request/who", {"who": "parent", "action": "save"})
    sent = client.submit("/request/save", {"email": address})
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/request/save/sent")


def emails_to(site: Site, address: str) -> list[OutboxMessage]:
    with site.app.app_context():
        found = list(site.db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.to_address == address)))
        site.db.session.expunge_all()
        site.db.session.rollback()
    return found


STORES = {"sqlite": {"JOBS_BACKEND": "sqlite"},
          "redis": {"JOBS_BACKEND": "redis", "JOBS_REDIS_URL": REDIS_URL}}


@pytest.fixture
def store_settings(request: pytest.FixtureRequest, site: Site) -> Iterator[dict[str, str]]:
    """Job store settings of its own for this test; emptied afterwards."""
    settings = {**STORES[request.param], "JOBS_NAME": f"dsr-test-{uuid.uuid4().hex[:10]}"}
    with job_store(site.app, **settings) as huey:
        if request.param == "redis":
            try:
                huey.storage.conn.ping()
            except Exception:
                pytest.skip(f"Redis is not running at {REDIS_URL}")
        try:
            yield settings
        finally:
            huey.storage.flush_all()


@pytest.mark.parametrize("store_settings", ["sqlite", "redis"], indirect=True)
def test_a_page_that_queued_email_asks_a_worker_to_send_it_now(site, store_settings):
    with job_store(site.app, **store_settings) as huey:
        assert huey.pending_count() == 0
        save_for_later(site.app, "soon-1@example.com")
        assert [type(task).__name__ for task in huey.pending()] == ["deliver_email"]
        save_for_later(site.app, "soon-2@example.com")  # the waiting task sends both
        assert huey.pending_count() == 1


def test_a_page_that_queued_email_works_when_the_job_store_is_away(site):
    away = {"JOBS_BACKEND": "redis", "JOBS_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    with job_store(site.app, **away):
        save_for_later(site.app, "store-away@example.com")
        save_for_later(site.app, "store-away-2@example.com")  # not asked again for a while
    (message,) = emails_to(site, "store-away@example.com")
    assert message.sent_at is None  # queued: the next sweep sends it


def start_worker(site: Site, log: Path, **settings: Any) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([FLASK, "--app", "portal", "worker", "--workers", "2"],
                                cwd=ROOT, env=site.env(**settings), stdout=out,
                                stderr=subprocess.STDOUT)


def wait_for(what: str, done: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(0.25)


@pytest.mark.slow
@pytest.mark.parametrize("backend, store_settings", [("sqlite", "sqlite"),
                                                     ("postgresql", "redis")],
                         indirect=["store_settings"])
def test_two_workers_run_each_daily_job_once_and_send_each_email_once(
        site, store_settings, mail_server, tmp_path):
    forget_job_runs(site)
    since = last_event(site)
    addresses = site.queue(12, "workers")
    mail_server.delay = 0.1
    settings = {**store_settings, "MAIL_PORT": mail_server.port, "JOBS_DAILY_HOUR": 0}
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    workers = [start_worker(site, log, **settings) for log in logs]
    try:
        def both_tried_every_daily_job() -> bool:  # one ran it, the other was too late
            text = "".join(log.read_text() for log in logs)
            return all(f"Job {job} for " in text and "has already started" in text
                       and text.count(f"Job {job} for ") >= 2 for job in daily.DAILY)

        wait_for("both workers at each daily job", both_tried_every_daily_job)
        wait_for("the queued emails", lambda: len(mail_server.accepted) >= 12)
        with job_store(site.app, **store_settings):  # a page, while the workers run
            save_for_later(site.app, "while-running@example.com")
        wait_for("the page's email", lambda: any(
            m["To"] == "while-running@example.com" for m in mail_server.accepted), 45)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        codes = [worker.wait(timeout=60) for worker in workers]
    text = "\n".join(log.read_text() for log in logs)
    assert codes == [0, 0], text
    assert text.count("Worker stopped") == 2

    for job in daily.DAILY:
        runs = job_runs(site, job)
        assert [(r.period, r.outcome) for r in runs] == [(runs[0].period, "done")], (job, text)
        assert text.count(f"Job {job} for {runs[0].period} has already started") >= 1
    assert audited_runs(site, since) == Counter(
        {(job, run.period): 1 for job in daily.DAILY for run in job_runs(site, job)})
    assert mail_server.delivered() == Counter(
        {**{address: 1 for address in addresses}, "while-running@example.com": 1})
    with site.app.app_context():
        rows = list(site.db.session.scalars(sa.select(OutboxMessage)))
        assert all(row.sent_at is not None and row.attempts == 1 for row in rows)
        site.db.session.rollback()
