"""Where the job queue is kept: a SQLite file on this machine, or a Redis server.

JOBS_BACKEND=sqlite (the default) needs no other service: a file, JOBS_SQLITE_PATH, by
default jobs.sqlite3 next to a SQLite database (else instance/jobs.sqlite3). Every worker
on the machine shares it. JOBS_BACKEND=redis (JOBS_REDIS_URL) is shared by several
servers. JOBS_NAME keeps sites that share one store apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from portal.config import ROOT, ConfigError
from portal.jobs import BACKENDS


def sqlite_path(config: dict[str, Any]) -> Path:
    """The job queue's file: the setting, or next to the database when that is a file."""
    if config.get("JOBS_SQLITE_PATH"):
        return Path(config["JOBS_SQLITE_PATH"])
    url = make_url(str(config["SQLALCHEMY_DATABASE_URI"]))
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(str(url.database)).resolve().parent / "jobs.sqlite3"
    return ROOT / "instance" / "jobs.sqlite3"


def build(config: dict[str, Any]) -> Any:
    """A Huey instance on the configured store (no task registered yet). Results are not
    kept: every job records what it did in the database. (Huey is imported here, when a
    process first needs it: with Redis's client it takes a few hundred milliseconds.)"""
    from huey import RedisHuey, SqliteHuey

    backend = config.get("JOBS_BACKEND", "sqlite")
    name = config.get("JOBS_NAME") or "dsr-portal"
    if backend == "sqlite":
        path = sqlite_path(config)
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name, filename=str(path), results=False, timeout=5)
    if backend == "redis":
        from redis import ConnectionPool

        # Short connection timeout: a page asking for email to go now must not hang on a
        # Redis server that is down. Reads wait longer than the worker's 1-second poll.
        pool = ConnectionPool.from_url(config["JOBS_REDIS_URL"], socket_connect_timeout=2,
                                       socket_timeout=10)
        return RedisHuey(name, connection_pool=pool, results=False)
    raise ConfigError(f"JOBS_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}")


def describe(config: dict[str, Any]) -> str:
    """Where the queue is, for people (never a password)."""
    if config.get("JOBS_BACKEND") == "redis":
        parts = urlsplit(config["JOBS_REDIS_URL"])
        where = f"{parts.scheme}://{parts.hostname}:{parts.port or 6379}{parts.path}"
        return f"Redis {where}, queue {config.get('JOBS_NAME')}"
    return f"SQLite {sqlite_path(config)}, queue {config.get('JOBS_NAME')}"
