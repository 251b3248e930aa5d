"""SQLite settings that make it safe for a multi-worker server, and write intent.

SQLite: WAL, busy_timeout, synchronous=FULL, foreign keys on; a request that will write
opens its transaction with BEGIN IMMEDIATE so two workers never both read and then fail to
upgrade to a write lock ("database is locked"). Reads open a plain deferred BEGIN.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from portal.extensions import db

_write_intent: ContextVar[bool] = ContextVar("write_intent", default=False)
BUSY_TIMEOUT_MS = 15000


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy (not the driver) decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        # 32 MB of page cache per connection (the default is 2 MB): a large register's
        # indexes stay in memory.
        cursor.execute("PRAGMA cache_size = -32000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Straight to the driver: the same statement without SQLAlchemy's execution
        # machinery, which cost more than the query on a page that reads one row.
        conn.connection.driver_connection.execute(
            "BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


def set_write_intent(value: bool) -> None:
    _write_intent.set(value)


def begin_write() -> None:
    """Call before the first write of a request that began as a read (a GET that writes).

    Ends the read transaction so the next statement opens a write (IMMEDIATE) one.
    """
    if not _write_intent.get():
        if db.session().in_transaction():
            db.session.commit()
        _write_intent.set(True)
