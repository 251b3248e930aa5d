"""`flask` commands: upgrade-db, seed-demo, send-outbox, purge."""

from __future__ import annotations

import click
from flask import Flask

from portal.extensions import db


def init_app(app: Flask) -> None:
    @app.cli.command("upgrade-db")
    def upgrade_db() -> None:
        """Bring the database schema up to date (Alembic)."""
        from portal.data.migrate import upgrade

        upgrade()
        from portal.public.consent.records import publish_bundled_texts

        published = publish_bundled_texts()
        db.session.commit()
        click.echo("Database is up to date.")
        for text in published:
            click.echo(f"Published consent text {text.audience}/{text.locale} "
                       f"version {text.version} ({text.sha256[:12]}).")

    @app.cli.command("send-outbox")
    @click.option("--limit", default=100, show_default=True)
    def send_outbox(limit: int) -> None:
        """Send queued emails."""
        from portal.common.mail import send_pending

        sent, failed = send_pending(limit)
        click.echo(f"Sent {sent}, failed {failed}.")

    @app.cli.command("purge")
    def purge() -> None:
        """Delete unfinished requests (and their links) that have expired."""
        from portal.data.drafts import purge_expired_drafts

        removed = purge_expired_drafts()
        db.session.commit()
        click.echo(f"Removed {removed} expired draft(s).")

    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Load demo requests (idempotent)."""
        from portal.data.demo import seed

        added = seed()
        db.session.commit()
        click.echo(f"Demo data: {added} request(s) added.")
