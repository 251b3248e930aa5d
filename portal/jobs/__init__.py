"""Background work on Huey: sending email, and the daily jobs, run by `flask worker`.

Web processes only put tasks in the queue (they never run a worker): after a page that
queued an email commits, it asks for the email to be sent now. That is a favour, not a
promise: if the job store cannot be reached, the page does not fail, and the worker's
every-minute sweep sends the email instead.

The queue is kept in a SQLite file on one machine or in Redis across several
(portal.jobs.store). The work itself is the application layer's: portal.cases.outbox
sends each email once whoever runs it, and portal.cases.jobs runs each daily job once
per day however many workers are running.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import TYPE_CHECKING

from flask import Flask, current_app

from portal.config import ConfigError
from portal.data.outbox import take_queued

if TYPE_CHECKING:
    from portal.jobs.tasks import Jobs

log = logging.getLogger(__name__)
_building = threading.Lock()
BACKENDS = ("sqlite", "redis")
QUIET_SECONDS = 30  # after the job store failed, pages stop asking it for this long
_quiet_until = 0.0


def init_app(app: Flask) -> None:
    """Check the settings now (nothing is imported or connected to until a task is
    queued)."""
    if app.config.get("JOBS_BACKEND") not in BACKENDS:
        raise ConfigError(f"JOBS_BACKEND must be one of {', '.join(BACKENDS)}, "
                          f"not {app.config.get('JOBS_BACKEND')!r}")


def queue_for(app: Flask) -> Jobs:
    """This app's job queue and tasks, made once per process (a forked process makes its
    own: it must not share its parent's connection)."""
    jobs: Jobs | None = app.extensions.get("portal.jobs")
    if jobs is None or jobs.pid != os.getpid():
        from portal.jobs import store
        from portal.jobs.tasks import register

        with _building:
            jobs = app.extensions.get("portal.jobs")
            if jobs is None or jobs.pid != os.getpid():
                jobs = register(store.build(app.config), app)
                app.extensions["portal.jobs"] = jobs
    return jobs


def deliver_soon(app: Flask) -> bool:
    """Ask a worker to send the outbox now. Never raises: False when not asked."""
    global _quiet_until
    if time.monotonic() < _quiet_until:
        return False
    try:
        return queue_for(app).deliver_soon()
    except Exception as problem:
        _quiet_until = time.monotonic() + QUIET_SECONDS
        log.warning("The job queue could not be reached (%s): queued email goes at the next "
                    "sweep", type(problem).__name__)
        return False


def after_commit() -> None:
    """Called when a page's transaction has committed: if it queued email (or sent some
    again), ask for it to be sent now."""
    if take_queued():
        deliver_soon(current_app._get_current_object())  # type: ignore[attr-defined]
