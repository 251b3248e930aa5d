"""SQLite settings that make it safe for a multi-worker server, write intent, and the guard
that keeps every write inside the application layer.

SQLite: WAL, busy_timeout, synchronous=FULL, foreign keys on; a request that will write
opens its transaction with BEGIN IMMEDIATE so two workers never both read and then fail to
upgrade to a write lock ("database is locked"). Reads open a plain deferred BEGIN.

The guard: the application layer (portal.cases) runs every change inside an operation.
With the guard installed, an INSERT, UPDATE or DELETE sent to the database outside an
operation raises at once, whoever sent it (a view changing a model's attribute, a
command, a template). Migrations and tests' own fixtures say so with `writes_allowed`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from portal.extensions import db

_write_intent: ContextVar[bool] = ContextVar("write_intent", default=False)
_writer: ContextVar[str | None] = ContextVar("writer", default=None)
BUSY_TIMEOUT_MS = 15000
_WRITES = frozenset({"INSERT", "UPDATE", "DELETE"})


class WriteOutsideOperation(RuntimeError):
    """A row was about to change outside the application layer."""


def configure_engine(engine: Engine, *, guard: bool = False) -> None:
    if guard:
        _install_guard(engine)
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


def _install_guard(engine: Engine) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def _only_inside_operations(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if _writer.get() is None and statement.lstrip()[:6].upper() in _WRITES:
            raise WriteOutsideOperation(
                "A row changed outside the application layer (portal.cases): "
                + statement.split("\n", 1)[0][:120])


def current_writer() -> str | None:
    """The operation (or reason) now allowed to write, if any."""
    return _writer.get()


@contextmanager
def writes_allowed(by: str) -> Iterator[None]:
    """Let the block write. The application layer's operations use it; so do migrations
    and tests that set up rows by hand. Nested blocks keep the outermost name."""
    if _writer.get() is not None:
        yield
        return
    token = _writer.set(by)
    try:
        yield
    finally:
        _writer.reset(token)


def set_write_intent(value: bool) -> None:
    _write_intent.set(value)


def begin_write() -> None:
    """Call before the first write of a request that began as a read (a GET that writes).

    Ends the read transaction so the next statement opens a write (IMMEDIATE) one: on
    SQLite a read transaction cannot always be upgraded to a write while others write.
    """
    if not _write_intent.get():
        if db.session().in_transaction():
            db.session.commit()
        _write_intent.set(True)


def move_sequences_past_ids(*tables: str) -> None:
    """PostgreSQL: move tables' id sequences past ids given explicitly (a bulk load)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    from sqlalchemy import text

    for table in tables:
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - our names
            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))
