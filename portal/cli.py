"""`flask` commands. Each calls the application layer (portal.cases) and commits."""

from __future__ import annotations

import click
from flask import Flask

from portal.extensions import db


def init_app(app: Flask) -> None:
    @app.cli.command("upgrade-db")
    def upgrade_db() -> None:
        """Bring the database schema up to date (Alembic)."""
        from portal.cases.consent import publish_bundled_texts
        from portal.data.migrate import upgrade

        upgrade()
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
        from portal.cases.outbox import send_pending

        sent, failed = send_pending(limit)
        click.echo(f"Sent {sent}, failed {failed}.")

    @app.cli.command("purge")
    def purge() -> None:
        """Delete unfinished requests (and their links) that have expired."""
        from portal.cases.drafts import purge_expired

        removed = purge_expired()
        db.session.commit()
        click.echo(f"Removed {removed} expired draft(s).")

    @app.cli.command("publish-consent-text")
    @click.argument("audience", type=click.Choice(["parent", "young_person", "child"]))
    @click.argument("locale")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--by", "published_by", required=True, help="Who approved this text.")
    def publish_consent_text(audience: str, locale: str, path: str, published_by: str) -> None:
        """Publish a new version of a consent text (never edits an old one)."""
        from pathlib import Path

        from portal.cases.consent import publish_text
        from portal.cases.operation import Actor

        text, new = publish_text(audience, locale, Path(path).read_text(encoding="utf-8"),
                                 Actor.system(published_by))
        if not new:
            click.echo(f"Unchanged: version {text.version} already has these words.")
            return
        db.session.commit()
        click.echo(f"Published {audience}/{locale} version {text.version} "
                   f"(SHA-256 {text.sha256}).")

    @app.cli.command("consent-reminders")
    @click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="Run as if it were this day (default: today).")
    def consent_reminders(today: object) -> None:
        """Queue the consent reminders that are due (safe to run again: never sends twice)."""
        from portal.cases.consent import send_reminders

        queued, no_email = send_reminders(today.date() if today else None)  # type: ignore[attr-defined]
        db.session.commit()
        click.echo(f"Queued {queued} reminder(s); {no_email} due with no email address.")

    @app.cli.command("create-staff")
    @click.argument("email")
    @click.option("--name", required=True)
    @click.option("--role", required=True,
                  type=click.Choice(["triage_officer", "register_manager", "partner_viewer",
                                     "admin"]))
    @click.password_option(help="Asked for if not given (at least 12 characters).")
    def create_staff(email: str, name: str, role: str, password: str) -> None:
        """Create a staff account. They set up their two-factor codes at first sign-in."""
        from portal.cases import staff as staff_cases
        from portal.cases.operation import Actor
        from portal.common.auth import hash_password
        from portal.data.staff import Role, find_staff_by_email
        from portal.domain.passwords import password_problems

        if find_staff_by_email(email):
            raise click.ClickException(f"There is already an account for {email}")
        problems = password_problems(password, email)
        if problems:
            raise click.ClickException("Password refused: " + ", ".join(problems))
        staff_cases.create(Actor.system("create-staff"), email=email, name=name,
                           role=Role(role), password_hash=hash_password(password))
        db.session.commit()
        click.echo(f"Created {role} {email}. They set up two-factor codes when they first "
                   "sign in.")

    @app.cli.command("seed-volume")
    @click.option("--requests", "count", default=100_000, show_default=True)
    @click.option("--entries", default=20_000, show_default=True)
    def seed_volume(count: int, entries: int) -> None:
        """Load made-up requests and register entries at scale (for load tests only)."""
        from portal.cases.volume import seed

        if entries > count:
            raise click.ClickException("--entries cannot be more than --requests")
        seed(count, entries)
        db.session.commit()
        click.echo(f"Added {count} requests, {entries} of them on the register.")

    @app.cli.command("rebuild-stats")
    def rebuild_stats() -> None:
        """Work the dashboard's figures out again from the register."""
        from portal.cases.figures import rebuild

        rows = rebuild()
        db.session.commit()
        click.echo(f"Rebuilt {rows} figure(s).")

    def _local_only(command: str) -> None:
        if app.config["PORTAL_ENV"] not in {"development", "test"}:
            raise click.ClickException(
                f"{command} is for trying the service on your own machine only "
                "(PORTAL_ENV=development): it refuses to run here.")

    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Load demo requests and one demo staff account per role (development only)."""
        from portal.demo import DEMO_PASSWORD, seed, seed_staff

        _local_only("seed-demo")
        added = seed()
        accounts = seed_staff()
        db.session.commit()
        click.echo(f"Demo data: {added} request(s) added.")
        click.echo(f"Demo staff accounts (password {DEMO_PASSWORD}):")
        for role, email, _new in accounts:
            click.echo(f"  {role.value:18} {email}")
        click.echo("The code asked for after the password: "
                   "flask --app portal staff-code EMAIL (or: make code EMAIL=...)")

    @app.cli.command("staff-code")
    @click.argument("email")
    def staff_code(email: str) -> None:
        """Print the current sign-in code of a staff account (development only)."""
        from portal.data.staff import find_staff_by_email
        from portal.demo import current_code

        _local_only("staff-code")
        user = find_staff_by_email(email)
        if user is None:
            raise click.ClickException(f"No staff account {email}")
        try:
            click.echo(current_code(user))
        except LookupError as problem:
            raise click.ClickException(str(problem)) from None
