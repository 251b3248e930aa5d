"""Where rate-limit counters are kept on one machine: a SQLite file every worker shares.

A `limits` storage (RATELIMIT_STORAGE_URI=sqlite:///relative/path or
sqlite:////absolute/path) so that every gunicorn worker on the machine counts against
the same limits without another service. It uses the sqlite3 module on its own file,
never the records database: counting a page view is not a change to the records, and
must not wait for (or be refused by) the records' write transactions. Across several
servers use Redis (redis://...) instead.

Counters are fixed windows: a key's count and the moment it ends. Each change is one
statement, so two workers counting at once never lose a count.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from limits.storage import Storage

SCHEME = "sqlite"
BUSY_TIMEOUT_MS = 5000
_SWEEP_EVERY = 500  # counts: expired counters are removed every so often

_SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL,
    expires_at REAL NOT NULL
)
"""

_INCREMENT = """
INSERT INTO counters (key, value, expires_at) VALUES (:key, :amount, :expires_at)
ON CONFLICT (key) DO UPDATE SET
    value = CASE WHEN counters.expires_at <= :now THEN excluded.value
                 ELSE counters.value + excluded.value END,
    expires_at = CASE WHEN counters.expires_at <= :now THEN excluded.expires_at
                      ELSE counters.expires_at END
RETURNING value
"""


def path_from_uri(uri: str) -> Path:
    """sqlite:///relative/to/here.sqlite3 or sqlite:////absolute.sqlite3, as SQLAlchemy."""
    prefix = f"{SCHEME}:///"
    if not uri.startswith(prefix) or len(uri) == len(prefix):
        raise ValueError(f"a rate-limit file is named {prefix}path, not {uri!r}")
    return Path(uri[len(prefix):])


class SQLiteStorage(Storage):
    """Fixed-window counters in a SQLite file (WAL, a busy timeout), one connection per
    thread of each process."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False,
                 **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = path_from_uri(uri or "")
        self._local = threading.local()
        self._counted = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._connection().execute(_SCHEMA)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection (a forked worker opens its own)."""
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None or getattr(self._local, "pid", None) != os.getpid():
            connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000,
                                         isolation_level=None, check_same_thread=False)
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")  # counters, not records
            self._local.connection = connection
            self._local.pid = os.getpid()
        return connection

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        row = self._connection().execute(_INCREMENT, {
            "key": key, "amount": amount, "expires_at": now + expiry, "now": now}).fetchone()
        self._counted += 1
        if self._counted % _SWEEP_EVERY == 0:
            self._connection().execute("DELETE FROM counters WHERE expires_at <= ?", (now,))
        return int(row[0]) if row else amount

    def get(self, key: str) -> int:
        row = self._connection().execute(
            "SELECT value FROM counters WHERE key = ? AND expires_at > ?",
            (key, time.time())).fetchone()
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        row = self._connection().execute(
            "SELECT expires_at FROM counters WHERE key = ? AND expires_at > ?",
            (key, now)).fetchone()
        return float(row[0]) if row else now

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        return int(self._connection().execute("DELETE FROM counters").rowcount)

    def clear(self, key: str) -> None:
        self._connection().execute("DELETE FROM counters WHERE key = ?", (key,))
