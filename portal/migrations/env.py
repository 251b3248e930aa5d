"""Alembic environment: uses the app's metadata and, when given, the app's connection.

All the revisions being run go in one transaction. On SQLite, foreign keys are turned off
for it (SQLite only lets that change outside a transaction): batch mode changes a table
by building a copy and dropping the original, and dropping a table that other rows refer
to fails while they are on. Every reference is checked before the transaction commits,
so a migration still cannot leave a row pointing at nothing.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from portal.data import models  # noqa: F401
from portal.data.base import Base

config = context.config
target_metadata = Base.metadata


class BrokenReferences(RuntimeError):
    """After the migration some rows would point at rows that are not there."""


def _driver(connection: Connection) -> Any:
    return connection.connection.driver_connection


def _check_references(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        tables = sorted({f"{row[0]} -> {row[2]}" for row in broken})
        raise BrokenReferences(f"{len(broken)} row(s) would point at nothing: "
                               + ", ".join(tables))


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def migrate(connection: Connection) -> None:
    if connection.in_transaction():  # the caller holds the transaction: run inside it
        _run(connection)
        return
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        _driver(connection).execute("PRAGMA foreign_keys = OFF")
    try:
        with connection.begin():
            _run(connection)
            if sqlite:
                _check_references(connection)
    finally:
        if sqlite:
            _driver(connection).execute("PRAGMA foreign_keys = ON")


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        migrate(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as conn:
            migrate(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"),
                      target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
