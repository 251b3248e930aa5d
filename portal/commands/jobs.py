"""Background work: the job worker and its scheduled jobs."""

from __future__ import annotations

import click
from flask import Flask, current_app


def init_app(app: Flask) -> None:
    @app.cli.command("worker")
    @click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
                  help="Threads running tasks (one more schedules them).")
    def worker(workers: int) -> None:
        """Run background jobs until stopped: email every minute (and at once when a page
        queues one), the daily jobs once a day. Run as many as you like, on one server or
        several: each email is sent once and each daily job runs once a day.
        SIGTERM or Ctrl+C stops it after the tasks in hand."""
        from portal.jobs.worker import run

        run(current_app._get_current_object(), workers)  # type: ignore[attr-defined]
