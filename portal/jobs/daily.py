"""The daily jobs, and running any of them once per period.

Each daily job runs once a day: at the first minute from JOBS_DAILY_HOUR (in the
service's TIMEZONE) that a worker is running, so a worker that was stopped at that hour
catches up when it starts. The day ("2026-11-23") is the period: portal.cases.jobs lets
one worker claim it, and the others skip. Run by hand (`flask purge`), a job has a
period of its own and always runs; `--daily` makes it today's run instead.
"""

from __future__ import annotations

import importlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app

from portal.cases import jobs as job_runs
from portal.cases.operation import Actor
from portal.data.base import utcnow
from portal.data.jobs import run_for
from portal.extensions import db

log = logging.getLogger(__name__)
SCHEDULER = "scheduler"
# A run that started this recently was a race another worker won: said in the log. Later
# checks (every minute, all day) say nothing.
RACE = timedelta(seconds=30)


class Unavailable(Exception):
    """The job's code is not part of this version: its run is recorded as skipped."""


def _purge(_today: date | None) -> tuple[str, Any]:
    from portal.cases.drafts import purge_expired

    removed = purge_expired()
    return f"Removed {removed} expired draft(s).", removed


def _consent_reminders(today: date | None) -> tuple[str, Any]:
    from portal.cases.consent import send_reminders

    queued, no_email = send_reminders(today)
    return f"Queued {queued} reminder(s); {no_email} due with no email address.", (
        queued, no_email)


def _retention(_today: date | None) -> tuple[str, Any]:
    try:
        module = importlib.import_module("portal.cases.retention")
    except ModuleNotFoundError as missing:
        if missing.name != "portal.cases.retention":
            raise
        raise Unavailable("retention is not part of this version") from None
    run_scheduled = getattr(module, "run_scheduled", None)
    if run_scheduled is None:
        raise Unavailable("retention has no scheduled run in this version")
    summary = run_scheduled(Actor.system(SCHEDULER))
    return str(summary if summary is not None else "Done."), summary


def _adult_handover(today: date | None) -> tuple[str, Any]:
    from portal.cases.handover import close_everyone_turned_18

    closed = close_everyone_turned_18(today)
    return f"Closed {closed} entry(ies) of young people now 18.", closed


def _keyworker_reviews(today: date | None) -> tuple[str, Any]:
    from portal.cases.keyworkers import tell_of_reviews_due

    sent = tell_of_reviews_due(today)
    return f"Told {sent} keyworker(s) of reviews due within a week.", sent


def _monthly_return(today: date | None) -> tuple[str, Any]:
    from portal.cases.returns import keep_last_month

    month, kept = keep_last_month(today)
    return (f"Kept the figures for {month}." if kept
            else f"The figures for {month} were kept already."), kept


# Job name -> what it does with the day it runs for: (a line for the record, its result).
DAILY: dict[str, Callable[[date | None], tuple[str, Any]]] = {
    "purge": _purge,
    "consent_reminders": _consent_reminders,
    "retention": _retention,
    "adult_handover": _adult_handover,
    "monthly_return": _monthly_return,
    "keyworker_reviews": _keyworker_reviews,
}


@dataclass(frozen=True)
class Outcome:
    job: str
    period: str
    ran: bool  # False: another worker had already started this period's run
    outcome: str  # "done", "failed", "skipped", or "already started"
    summary: str
    result: Any = None


def today_local(now: datetime | None = None) -> datetime:
    zone = ZoneInfo(str(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Europe/London"))
    return (now or datetime.now(UTC)).astimezone(zone)


def daily_period(now: datetime | None = None) -> str | None:
    """Today's period ("2026-11-23") once JOBS_DAILY_HOUR has come; None before it."""
    local = today_local(now)
    if local.hour < int(current_app.config["JOBS_DAILY_HOUR"]):
        return None
    return local.date().isoformat()


def one_off_period() -> str:
    """A period of its own, for a job run by hand."""
    return f"once {datetime.now(UTC):%Y-%m-%dT%H:%M:%S} {secrets.token_hex(3)}"


def started_at(job: str, period: str) -> datetime | None:
    """When this job's run for this period started (None: not yet)."""
    run = run_for(job, period)
    started = run.started_at if run is not None else None
    db.session.rollback()  # end the read: a claim opens its own write transaction
    return started


def run_job(job: str, period: str, *, worker: str, today: date | None = None) -> Outcome:
    """Run `job` for `period` unless it has started already (here or on any worker).
    Commits: the claim first, then the work, then how it went."""
    work = DAILY[job]
    actor = Actor.system(SCHEDULER)
    run_id = job_runs.claim(job, period, worker)
    db.session.commit()
    if run_id is None:
        log.info("Job %s for %s has already started: skipped", job, period)
        return Outcome(job, period, False, "already started", "")
    try:
        summary, result = work(today)
        db.session.commit()
    except Unavailable as why:
        db.session.rollback()
        job_runs.finish(run_id, "skipped", str(why), actor)
        db.session.commit()
        log.warning("Job %s for %s skipped: %s", job, period, why)
        return Outcome(job, period, True, "skipped", str(why))
    except Exception as problem:
        db.session.rollback()
        job_runs.finish(run_id, "failed", type(problem).__name__, actor)
        db.session.commit()
        log.exception("Job %s for %s failed", job, period)
        raise
    job_runs.finish(run_id, "done", summary, actor)
    db.session.commit()
    log.info("Job %s for %s done: %s", job, period, summary)
    return Outcome(job, period, True, "done", summary, result)


def run_if_due(job: str, *, worker: str, now: datetime | None = None) -> Outcome | None:
    """The scheduled check, every minute on every worker: run today's `job` if its hour
    has come and no worker has started it. None when there is nothing to do."""
    period = daily_period(now)
    if period is None:
        return None
    started = started_at(job, period)
    if started is not None:
        if utcnow() - started < RACE:  # another worker got there just before this one
            log.info("Job %s for %s has already started: skipped", job, period)
        return None
    return run_job(job, period, worker=worker, today=today_local(now).date())
