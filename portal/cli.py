"""`flask` commands. Each calls the application layer (portal.cases) and commits."""

from __future__ import annotations

from datetime import date

import click
from flask import Flask

from portal.extensions import db


def init_app(app: Flask) -> None:
    from portal import commands

    commands.init_app(app)

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

    def _run_job(job: str, daily: bool, today: date | None = None) -> object:
        """Run a daily job now, recorded and audited as the worker's runs are. --daily: as
        today's scheduled run (skipped if any worker or server has run it today)."""
        from portal.jobs import daily as jobs
        from portal.jobs.tasks import worker_name

        period = (today or jobs.today_local().date()).isoformat() if daily \
            else jobs.one_off_period()
        outcome = jobs.run_job(job, period, worker=worker_name(), today=today)
        if not outcome.ran:
            click.echo(f"Already run for {period}: skipped.")
            raise SystemExit(0)
        return outcome.result

    @app.cli.command("purge")
    @click.option("--daily", is_flag=True, help="Run as today's daily purge: skipped if it "
                  "has already run today (on any server).")
    def purge(daily: bool) -> None:
        """Delete unfinished requests (and their links) that have expired."""
        removed = _run_job("purge", daily)
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
    @click.option("--daily", is_flag=True, help="Run as that day's daily run: skipped if "
                  "it has already run for that day (on any server).")
    def consent_reminders(today: object, daily: bool) -> None:
        """Queue the consent reminders that are due (safe to run again: never sends twice)."""
        day = today.date() if today else None  # type: ignore[attr-defined]
        queued, no_email = _run_job("consent_reminders", daily, day)  # type: ignore[misc]
        click.echo(f"Queued {queued} reminder(s); {no_email} due with no email address.")

    @app.cli.command("adult-handover")
    @click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="Run as if it were this day (default: today).")
    @click.option("--daily", is_flag=True, help="Run as that day's daily run: skipped if "
                  "it has already run for that day (on any server).")
    def adult_handover(today: object, daily: bool) -> None:
        """Close the register entries of young people who are 18 (moved to the adult
        register when their referral was accepted); their family and they are told."""
        day = today.date() if today else None  # type: ignore[attr-defined]
        closed = _run_job("adult_handover", daily, day)
        click.echo(f"Closed {closed} entry(ies) of young people now 18.")

    @app.cli.command("keyworker-reviews")
    @click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="Run as if it were this day (default: today).")
    @click.option("--daily", is_flag=True, help="Run as that day's daily run: skipped if "
                  "it has already run for that day (on any server).")
    def keyworker_reviews(today: object, daily: bool) -> None:
        """Email each keyworker with an account how many of their children have a review
        due within a week (no names; once a day each)."""
        day = today.date() if today else None  # type: ignore[attr-defined]
        sent = _run_job("keyworker_reviews", daily, day)
        click.echo(f"Told {sent} keyworker(s) of reviews due within a week.")

    @app.cli.command("monthly-return")
    @click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="Run as if it were this day (default: today).")
    @click.option("--daily", is_flag=True, help="Run as that day's daily run: skipped if "
                  "it has already run for that day (on any server).")
    def monthly_return(today: object, daily: bool) -> None:
        """Keep last month's figures for the monthly return (once: kept already, nothing
        changes)."""
        day = today.date() if today else None  # type: ignore[attr-defined]
        kept = _run_job("monthly_return", daily, day)
        click.echo("Kept last month's figures." if kept
                   else "Last month's figures were kept already.")

    @app.cli.command("create-staff")
    @click.argument("email")
    @click.option("--name", required=True)
    @click.option("--role", required=True,
                  type=click.Choice(["triage_officer", "register_manager", "partner_viewer",
                                     "admin"]))
    def create_staff(email: str, name: str, role: str) -> None:
        """Create a staff account and email its owner a link to choose their password (it
        works once); the link is printed too. Two-factor codes are set up at first
        sign-in. Nobody chooses another person's password."""
        from portal.cases import staff as staff_cases
        from portal.cases.operation import Actor
        from portal.data.staff import Role, find_staff_by_email

        if find_staff_by_email(email):
            raise click.ClickException(f"There is already an account for {email}")
        actor = Actor.system("create-staff")
        user = staff_cases.create(actor, email=email, name=name, role=Role(role))
        link = staff_cases.send_set_up_link(actor, user)
        db.session.commit()
        hours = app.config["STAFF_SET_UP_LINK_HOURS"]
        click.echo(f"Created {role} {email}. A link to choose their password has been "
                   f"emailed to them; it works once, for {hours} hours:\n{link}")

    @app.cli.command("search-fingerprint")
    @click.argument("typed")
    def search_fingerprint(typed: str) -> None:
        """The fingerprint a search for TYPED leaves in the audit log (who looked for whom)."""
        from portal.cases.finding import query_fingerprint
        from portal.domain.names import parse_query

        query = parse_query(typed)
        if query.kind in {"empty", "reference"}:
            raise click.ClickException("a reference is kept as typed; give a name, an NHS "
                                       "number or a date of birth")
        click.echo(f"{query.kind} {query_fingerprint(query)}")

    @app.cli.command("rotate-totp-key")
    def rotate_totp_key() -> None:
        """Encrypt every staff two-factor secret again with the first of
        TOTP_ENCRYPTION_KEYS. To change the key: put the new key first (keep the old one
        after it), run this, then remove the old key."""
        from portal.cases import staff as staff_cases

        count = staff_cases.reencrypt_code_secrets()
        db.session.commit()
        click.echo(f"Encrypted {count} two-factor secret(s) with the first key. The other "
                   "keys can be removed now.")

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
