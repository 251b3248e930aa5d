"""The worker: a Huey consumer with its scheduler, in threads, stopped cleanly.

SIGTERM (systemd, a container stopping) and SIGINT (Ctrl+C) both stop it gracefully: no
new task starts, a sweep finishes the email in hand and stops, and the worker waits for
running tasks up to `shutdown_timeout` seconds. A second signal stops it at once.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Any

from flask import Flask

from portal.jobs import queue_for, store
from portal.jobs.tasks import STOPPING

log = logging.getLogger(__name__)
HEALTH_CHECK_SECONDS = 10  # a worker thread that died is replaced


def run(app: Flask, workers: int = 2, *, shutdown_timeout: float = 50.0) -> None:
    """Run until asked to stop. `workers` threads run tasks; one more schedules them."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    jobs = queue_for(app)
    consumer = jobs.huey.create_consumer(
        workers=workers, worker_type="thread", periodic=True, check_worker_health=True,
        health_check_interval=HEALTH_CHECK_SECONDS, shutdown_timeout=shutdown_timeout)
    asked = threading.Event()

    def stop(signum: int, _frame: Any) -> None:
        if asked.is_set():
            raise KeyboardInterrupt  # asked twice: stop now
        log.info("Stopping (%s): finishing the tasks in hand", signal.Signals(signum).name)
        STOPPING.set()
        asked.set()

    STOPPING.clear()
    consumer.start()
    # Ours, not the consumer's: both signals stop gracefully, and the consumer's restart on
    # SIGHUP (which would run the command line again) is not wanted here.
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, stop)
    log.info("Worker started: %s thread(s); jobs queue: %s", workers,
             store.describe(app.config))
    # Each task's start and end, every minute, is noise: the jobs log what they did, and
    # a task that fails is still logged (as an error).
    logging.getLogger("huey").setLevel(logging.WARNING)
    try:
        checked = time.monotonic()
        while not asked.wait(1.0):
            if time.monotonic() - checked >= HEALTH_CHECK_SECONDS:
                consumer.check_worker_health()
                checked = time.monotonic()
        consumer.stop(graceful=True)
    except KeyboardInterrupt:
        consumer.stop()
    finally:
        STOPPING.set()
        jobs.huey.notify_interrupted_tasks()
    log.info("Worker stopped")
