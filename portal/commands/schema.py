"""The database schema: where it stands against the code, and going back a revision.

    flask db-revision [--check]        the database's revision, the code's, what is left
    flask downgrade-db REVISION [--yes]   undo revisions down to REVISION ("base": all)

Bringing it up to date is `flask upgrade-db` (portal/cli.py).
"""

from __future__ import annotations

import re

import click
from flask import Flask


def _describe(revision: str | None) -> str:
    from portal.data.health import revision_description

    return f"{revision or 'base'}: {revision_description(revision)}"


def _below(current: str | None) -> list[str]:
    """Revisions from `current` down to the first, newest first."""
    from portal.data.health import scripts

    found = []
    while current is not None:
        found.append(current)
        down = scripts().get_revision(current).down_revision
        current = down if isinstance(down, str) or down is None else down[0]
    return found


def _target(current: str | None, wanted: str) -> str | None:
    """The revision `wanted` names: an id, "base", or -N (N revisions below the current)."""
    from alembic.util import CommandError

    from portal.data.health import scripts

    below = _below(current)
    if wanted == "base":
        return None
    steps = re.fullmatch(r"-(\d+)", wanted)
    if steps:
        count = int(steps.group(1))
        if count > len(below):
            raise click.ClickException(
                f"The database is only {len(below)} revision(s) above the base.")
        return below[count] if count < len(below) else None
    try:
        revision = scripts().get_revision(wanted)
    except CommandError:
        revision = None
    if revision is None:
        raise click.ClickException(f"No revision {wanted!r}: see flask db-revision.")
    return revision.revision


def init_app(app: Flask) -> None:
    @app.cli.command("db-revision")
    @click.option("--check", is_flag=True,
                  help="Exit with status 1 unless the database is up to date.")
    def db_revision(check: bool) -> None:
        """Show the database's schema revision, the code's, and the migrations not yet
        run."""
        from portal.data.health import current_revision, head_revision
        from portal.extensions import db

        current, head = current_revision(), head_revision()
        db.session.rollback()
        click.echo(f"Database: {_describe(current)}")
        click.echo(f"Code:     {_describe(head)}")
        below_head = _below(head)
        if current == head:
            click.echo("Up to date.")
            return
        if current is None or current in below_head:
            waiting = below_head[:below_head.index(current)] if current else below_head
            click.echo(f"{len(waiting)} migration(s) to run with flask upgrade-db:")
            for revision in reversed(waiting):
                click.echo(f"  {_describe(revision)}")
        else:
            click.echo("The database is newer than this code: run the code that matches it, "
                       "or go back with flask downgrade-db.")
        if check:
            raise SystemExit(1)

    # "-1" is a revision here, not an option.
    @app.cli.command("downgrade-db", context_settings={"ignore_unknown_options": True})
    @click.argument("revision")
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    def downgrade_db(revision: str, yes: bool) -> None:
        """Undo schema migrations down to REVISION: a revision id (see flask db-revision),
        -1 for the one before, or base for none. Columns and tables those migrations
        added are dropped, with what they hold: back the database up first."""
        from portal.data.health import current_revision
        from portal.data.migrate import downgrade
        from portal.extensions import db

        current = current_revision()
        db.session.rollback()
        target = _target(current, revision)
        below = _below(current)
        if target == current:
            click.echo(f"The database is already at {_describe(current)}: nothing to do.")
            return
        if target is not None and target not in below:
            raise click.ClickException(
                f"{target} is not below the database's revision {current or 'base'}: "
                "flask downgrade-db only goes back (flask upgrade-db goes forward).")
        undone = below[:below.index(target)] if target is not None else below
        click.echo(f"From: {_describe(current)}")
        click.echo(f"To:   {_describe(target)}")
        click.echo("Undoing, newest first (what these added is dropped, data included):")
        for name in undone:
            click.echo(f"  {_describe(name)}")
        if not yes:
            click.confirm("Have you backed up the database, and go ahead?", abort=True)
        downgrade(target or "base")
        click.echo(f"The database is now at {_describe(current_revision())}.")
        db.session.rollback()
