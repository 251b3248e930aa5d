"""Records: retention (archive and delete on the published schedule) and backups.

    flask retention --dry-run [--today YYYY-MM-DD]   what the schedule would do, changing nothing
    flask retention [--today YYYY-MM-DD]             do it (the daily job does the same)
    flask backup PATH                                a SQLite database, copied while it runs
    flask restore PATH                               a SQLite backup, into a new database file

PostgreSQL is backed up and restored with its own tools (pg_dump and pg_restore): see
BACKUP_POSTGRESQL and RESTORE_POSTGRESQL below, which the commands print when asked.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy.engine import make_url

BACKUP_POSTGRESQL = 'pg_dump --format=custom --file=PATH "$DATABASE_URL"'
RESTORE_POSTGRESQL = 'pg_restore --clean --if-exists --no-owner -d "$DATABASE_URL" PATH'
BUSY_TIMEOUT_MS = 15000


class BackupProblem(click.ClickException):
    """A backup or restore that must not go ahead (or did not check out)."""


@dataclass(frozen=True)
class Checked:
    """A database file that passed SQLite's integrity check: its schema and row counts."""

    path: Path
    revision: str | None
    rows: dict[str, int]

    def lines(self) -> list[str]:
        return ([f"  Integrity check: ok. Schema revision: {self.revision or 'none'}."]
                + [f"  {table:32} {count:>10}" for table, count in self.rows.items()])


def init_app(app: Flask) -> None:
    @app.cli.command("retention")
    @click.option("--dry-run", is_flag=True,
                  help="Say what would be archived, deleted and cleared; change nothing.")
    @click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="Run as if it were this day (a real run: today or earlier only).")
    def retention(dry_run: bool, today: object) -> None:
        """Archive, delete and clear what the retention schedule says is due."""
        from portal.cases import retention as schedule
        from portal.cases.operation import Actor

        day: date | None = today.date() if today else None  # type: ignore[attr-defined]
        if day is not None and day > date.today() and not dry_run:
            raise click.ClickException(
                "A real run cannot be for a day still to come: it would archive and delete "
                "records early. Look ahead with --dry-run.")
        actor = Actor.system("retention")
        outcome = (schedule.dry_run if dry_run else schedule.run)(actor, day)
        for line in outcome.report():
            click.echo(line)

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    def backup(path: Path) -> None:
        """Copy the SQLite database to PATH while the service runs, and check the copy."""
        source = sqlite_path("backup")
        checked = backup_sqlite(source, path)
        click.echo(f"Backed up {source} to {checked.path} "
                   f"({checked.path.stat().st_size} bytes).")
        for line in checked.lines():
            click.echo(line)

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def restore(path: Path) -> None:
        """Restore a SQLite backup as the database DATABASE_URL names (a new file only)."""
        target = sqlite_path("restore")
        checked = restore_sqlite(path, target)
        click.echo(f"Restored {path} to {target}.")
        for line in checked.lines():
            click.echo(line)
        click.echo("Next: flask upgrade-db (if the backup is from an older release), then "
                   "start the service.")


def sqlite_path(command: str) -> Path:
    """The SQLite file DATABASE_URL names; for PostgreSQL, where to go instead."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        route = BACKUP_POSTGRESQL if command == "backup" else RESTORE_POSTGRESQL
        raise BackupProblem(
            f"flask {command} works on SQLite databases. This database is PostgreSQL: use "
            f"its own tool, as OPERATIONS.md (Back up and restore) says:\n  {route}")
    if not url.database or url.database == ":memory:":
        raise BackupProblem("DATABASE_URL names no database file.")
    return Path(url.database).resolve()


def backup_sqlite(source: Path, target: Path) -> Checked:
    """A consistent copy of a live SQLite database, made with SQLite's backup API in one
    step: it reads one snapshot while other processes go on writing (WAL), so the copy
    is the database as it was at one moment, every table together. The copy is a single
    file (no -wal), checked before it takes its name: a backup that does not pass
    PRAGMA integrity_check is never left where a good one is expected."""
    target = target.resolve()
    if not source.exists():
        raise BackupProblem(f"There is no database at {source}.")
    if target.exists():
        raise BackupProblem(f"{target} already exists: a backup never overwrites a file. "
                            "Choose a new name.")
    if not target.parent.is_dir():
        raise BackupProblem(f"There is no folder {target.parent}.")
    return _copy(source, target)


def restore_sqlite(backup: Path, target: Path) -> Checked:
    """Restore a backup as the database file `target`, which must not exist yet: a
    restore never writes over a database, in use or not. The backup is checked first,
    copied next to the target, checked again and only then given the target's name."""
    backup = backup.resolve()
    leftovers = [p for p in (target, _sidecar(target, "-wal"), _sidecar(target, "-shm"))
                 if p.exists()]
    if leftovers:
        raise BackupProblem(
            f"There is already a database at {target}. A restore only ever writes a new "
            "file. Stop the service, move the database aside (with any -wal and -shm file "
            "next to it; keep them until the restored copy is checked), then restore again.")
    if not target.parent.is_dir():
        raise BackupProblem(f"There is no folder {target.parent}.")
    _check(backup)
    return _copy(backup, target)


def _sidecar(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _copy(source: Path, target: Path) -> Checked:
    partial = _sidecar(target, ".partial")
    for leftover in (partial, _sidecar(partial, "-journal")):
        leftover.unlink(missing_ok=True)
    try:
        with closing(_connect(source)) as src, closing(_connect(partial)) as dst:
            src.backup(dst)  # all pages in one step: one snapshot of the source
            dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        checked = _check(partial)
        with open(partial, "rb") as written:
            os.fsync(written.fileno())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return Checked(target, checked.revision, checked.rows)


def _connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    connection = (sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) if read_only
                  else sqlite3.connect(path))
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return connection


def _check(path: Path) -> Checked:
    """SQLite's integrity and foreign key checks, the schema revision and row counts."""
    try:
        with closing(_connect(path, read_only=True)) as db:
            problems = [row[0] for row in db.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise BackupProblem(f"{path} failed its integrity check: "
                                    + "; ".join(problems[:5]))
            broken = db.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise BackupProblem(f"{path} has {len(broken)} row(s) pointing at nothing.")
            tables = [name for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
            if "alembic_version" not in tables:
                raise BackupProblem(f"{path} is not a database of this service.")
            revision = db.execute("SELECT version_num FROM alembic_version").fetchone()
            rows = {name: int(db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])  # noqa: S608 - names from the schema  # nosec B608
                    for name in tables}
    except sqlite3.DatabaseError as error:
        raise BackupProblem(f"{path} is not a readable SQLite database ({error}).") from None
    return Checked(path, revision[0] if revision else None, rows)
