"""SQLite settings that make it safe for a multi-worker server, write intent, and the guard
that keeps every write inside the application layer.

SQLite: WAL, busy_timeout, synchronous=FULL, foreign keys on; a request that will write
opens its transaction with BEGIN IMMEDIATE so two workers never both read and then fail to
upgrade to a write lock ("database is locked"). Reads open a plain deferred BEGIN.
PostgreSQL: a connection attempt and a wait for a lock each have a limit, so a request
never waits without end for a database that is away or a row someone else holds.

When the database is away or busy past those limits, `database_unavailable` says so: the
web layer answers 503 and keeps what was typed (portal.common.errors).

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

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

from portal.extensions import db

_write_intent: ContextVar[bool] = ContextVar("write_intent", default=False)
_writer: ContextVar[str | None] = ContextVar("writer", default=None)
_lock_wait: ContextVar[int | None] = ContextVar("lock_wait", default=None)
BUSY_TIMEOUT_MS = 15000  # the default of the SQLITE_BUSY_TIMEOUT_MS setting
_WRITES = frozenset({"INSERT", "UPDATE", "DELETE"})


class WriteOutsideOperation(RuntimeError):
    """A row was about to change outside the application layer."""


def configure_engine(engine: Engine, *, guard: bool = False,
                     busy_timeout_ms: int = BUSY_TIMEOUT_MS, lock_timeout_ms: int = 0,
                     connect_timeout_s: int = 0) -> None:
    """busy_timeout_ms: how long a SQLite write waits for another's lock.
    lock_timeout_ms and connect_timeout_s (PostgreSQL; 0: no limit): how long a statement
    waits for a lock, and a new connection for the server."""
    if guard:
        _install_guard(engine)
    if engine.dialect.name == "postgresql":
        _limit_postgres_waits(engine, lock_timeout_ms, connect_timeout_s)
    if engine.dialect.name != "sqlite":
        return
    busy_timeout_ms = int(busy_timeout_ms)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        # Let SQLAlchemy (not the driver) decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
        record.info["busy_timeout_ms"] = busy_timeout_ms
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
        driver = conn.connection.driver_connection
        wait = _lock_wait.get()
        wanted = busy_timeout_ms if wait is None else min(wait, busy_timeout_ms)
        info = conn.connection.info
        if info.get("busy_timeout_ms") != wanted:  # only inside `lock_wait` blocks
            driver.execute(f"PRAGMA busy_timeout = {int(wanted)}")
            info["busy_timeout_ms"] = wanted
        driver.execute("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


def _limit_postgres_waits(engine: Engine, lock_timeout_ms: int,
                          connect_timeout_s: int) -> None:
    @event.listens_for(engine, "begin")
    def _shorter_wait(conn: Any) -> None:
        wait = _lock_wait.get()
        if wait is not None:  # only inside `lock_wait` blocks
            with conn.connection.driver_connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = {int(wait)}")

    if connect_timeout_s > 0:
        @event.listens_for(engine, "do_connect")
        def _connect_timeout(_dialect: Any, _record: Any, _args: Any,
                             params: dict[str, Any]) -> None:
            params.setdefault("connect_timeout", int(connect_timeout_s))

    if lock_timeout_ms > 0:
        @event.listens_for(engine, "connect")
        def _lock_timeout(dbapi_connection: Any, _record: Any) -> None:
            # A write that waits longer than this for a row or table someone else holds
            # fails (and the person is told to try again) instead of holding a thread.
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f"SET lock_timeout = {int(lock_timeout_ms)}")
            dbapi_connection.commit()


@contextmanager
def lock_wait(ms: int) -> Iterator[None]:
    """Transactions begun inside the block wait at most `ms` for a lock (SQLite: for the
    write lock, never longer than the busy timeout; PostgreSQL: for any lock): for writes
    that can be kept for later instead of holding up a page."""
    token = _lock_wait.set(int(ms))
    try:
        yield
    finally:
        _lock_wait.reset(token)


_SQLITE_BUSY = ("database is locked", "database is busy", "database table is locked")


def database_unavailable(error: BaseException) -> bool:
    """Whether `error` means the database is away or busy for now (unreachable, restarting,
    a lock held past the time allowed, no connection free in the pool), as opposed to a
    mistake in what was asked: trying again later can work."""
    if isinstance(error, exc.TimeoutError):  # every pooled connection is in use
        return True
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    # The driver's own error: wrapped by SQLAlchemy, or as raised where SQLAlchemy does
    # not wrap it (the BEGIN sent straight to the driver above).
    original = error.orig if isinstance(error, exc.DBAPIError) else error
    kind = type(original).__name__
    module = type(original).__module__
    if module.startswith("sqlite3"):
        return kind == "OperationalError" and any(
            words in str(original).lower() for words in _SQLITE_BUSY)
    if module.startswith("psycopg"):
        # Connection refused or lost, server shutting down or starting, a lock or
        # statement timeout, a deadlock or serialization failure: all OperationalError.
        import psycopg

        return isinstance(original, (psycopg.OperationalError, psycopg.InterfaceError))
    return isinstance(error, exc.InterfaceError)


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


def discard_transaction() -> None:
    """Roll back whatever this request's session holds, without raising: after a failure,
    with the database perhaps gone, the page still has to be answered."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is dropped below either way
        try:
            db.session.close()
        except Exception:  # noqa: BLE001, S110 - nothing more can be done here
            pass


def write_intent() -> bool:
    """Whether this request's transactions begin as writes (BEGIN IMMEDIATE)."""
    return _write_intent.get()


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
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - our names  # nosec B608
            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))
