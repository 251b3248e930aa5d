"""Scheduled job runs: one row per job and period, so a periodic job runs once per period
however many workers and servers are running. Written by portal.cases.jobs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.data.base import Base
from portal.extensions import db


class JobRun(Base):
    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "period", name="uq_job_runs_job_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(60))
    period: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    worker: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str | None] = mapped_column(String(20))
    summary: Mapped[str | None] = mapped_column(Text)


def recent_runs(limit: int = 50) -> list[JobRun]:
    return list(db.session.scalars(select(JobRun).order_by(JobRun.id.desc()).limit(limit)))


def runs_of(job: str) -> list[JobRun]:
    return list(db.session.scalars(select(JobRun).where(JobRun.job == job)
                                   .order_by(JobRun.id)))


def run_for(job: str, period: str) -> JobRun | None:
    """The run of this job for this period, if one has started."""
    return db.session.scalars(select(JobRun).where(JobRun.job == job,
                                                   JobRun.period == period)).first()
