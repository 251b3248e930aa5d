"""Scheduled job runs: each job once per period, however many workers and servers run it.

A worker claims (job, period) by adding its JobRun row; the table allows one row per job
and period, so when two workers race, one adds the row and the other is told it has
already started and skips it. The winner records when it finished, how it went and a
summary, and each run is an audit event.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from portal.cases import audit
from portal.cases.operation import Actor, operation
from portal.data.base import utcnow
from portal.data.jobs import JobRun, run_for
from portal.extensions import db

OUTCOMES = ("done", "failed", "skipped")


@operation
def claim(job: str, period: str, worker: str) -> int | None:
    """Start this job's run for this period: its id, or None when it has already started
    (here or on another worker). The caller commits before doing the work."""
    if run_for(job, period) is not None:
        return None
    run = JobRun(job=job, period=period, started_at=utcnow(), worker=worker[:100])
    try:
        with db.session.begin_nested():  # a savepoint: losing the race keeps the transaction
            db.session.add(run)
    except IntegrityError:
        return None
    return run.id


@operation
def finish(run_id: int, outcome: str, summary: str, actor: Actor) -> None:
    """Record how the run went ("done", "failed" or "skipped") and audit it."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    run = db.session.get(JobRun, run_id)
    if run is None:
        raise LookupError(f"no job run {run_id}")
    run.finished_at = utcnow()
    run.outcome = outcome
    run.summary = summary[:2000]
    audit.record(actor, "job.run", "job", run.job, period=run.period, outcome=outcome,
                 summary=summary[:500], worker=run.worker)
