"""The tasks a worker runs, and when.

- deliver_email: send what the outbox holds (asked for by a page that queued an email).
- sweep_email: the same, every minute, whatever was asked for.
- daily_<job>: every minute, run the daily job if its hour has come and no worker has
  run it today (portal.jobs.daily).

Each task runs inside the Flask app's context. Two workers (or twenty) may run the same
task at once: the outbox's claims and the job runs' periods make that safe.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

log = logging.getLogger(__name__)

SWEEP_LIMIT = 1000  # emails tried by one task; the next task carries on
# Set in the job store while a delivery task waits to run: pages that queue email then
# add no more (the one waiting sends theirs too). It lapses after DELIVER_SOON_SECONDS in
# case its task was lost.
DELIVER_SOON = "deliver-soon"
DELIVER_SOON_SECONDS = 120
# Set when the worker is asked to stop: a sweep finishes the email in hand and stops.
STOPPING = threading.Event()


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"[:100]


@dataclass
class Jobs:
    """The job queue of one app, in one process, with its tasks."""

    huey: Any  # huey.api.Huey
    deliver_email: Any = None
    periodic: dict[str, Any] = field(default_factory=dict)
    pid: int = field(default_factory=os.getpid)

    def deliver_soon(self) -> bool:
        """Ask a worker to send the outbox now. False when a request is already waiting."""
        now = time.time()
        if not self.huey.put_if_empty(DELIVER_SOON, now):
            since = self.huey.get(DELIVER_SOON, peek=True)
            if isinstance(since, int | float) and now - since < DELIVER_SOON_SECONDS:
                return False
            self.huey.put(DELIVER_SOON, now)
        self.deliver_email()
        return True


def register(huey: Any, app: Flask) -> Jobs:
    """Define the tasks on `huey` (a huey.api.Huey), each run in `app`'s context."""
    from huey import crontab

    from portal.jobs import daily

    def in_app(work: Callable[[], Any]) -> Any:
        with app.app_context():
            return work()

    def sweep() -> tuple[int, int]:
        from portal.cases.outbox import send_pending

        sent, failed = send_pending(SWEEP_LIMIT, should_stop=STOPPING.is_set)
        if sent or failed:
            log.info("Email: sent %s, failed %s", sent, failed)
        return sent, failed

    @huey.task(name="deliver_email")
    def deliver_email() -> None:
        huey.delete(DELIVER_SOON)  # from now on, a page's new email asks again
        in_app(sweep)

    @huey.periodic_task(crontab(), name="sweep_email")
    def sweep_email() -> None:
        in_app(sweep)

    jobs = Jobs(huey, deliver_email=deliver_email)
    jobs.periodic["sweep_email"] = sweep_email
    for job in daily.DAILY:
        jobs.periodic[f"daily_{job}"] = huey.periodic_task(crontab(), name=f"daily_{job}")(
            _daily_task(job, in_app))
    return jobs


def _daily_task(job: str, in_app: Callable[[Callable[[], Any]], Any]) -> Callable[[], None]:
    def run() -> None:
        from portal.jobs import daily

        if STOPPING.is_set():
            return
        in_app(lambda: daily.run_if_due(job, worker=worker_name()))

    run.__name__ = f"daily_{job}"
    run.__doc__ = f"Run the daily job {job} once today, on one worker."
    return run
