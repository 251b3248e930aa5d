"""Settings, read from the environment only.

In development (PORTAL_ENV=development, the default for `make run`) safe local defaults
apply. Anywhere else the app refuses to start without a secret key and a database URL.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    pass


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from exc


def _bool(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _dates(env: dict[str, str], name: str) -> list[date]:
    raw = env.get(name, "")
    try:
        return [date.fromisoformat(part.strip()) for part in raw.split(",") if part.strip()]
    except ValueError as exc:
        raise ConfigError(f"{name} must be dates like 2026-12-25, separated by commas") from exc


def load(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Return Flask config values built from the environment."""
    env = dict(os.environ if environ is None else environ)
    portal_env = env.get("PORTAL_ENV", "production").strip().lower()
    development = portal_env in {"development", "test"}

    secret = env.get("SECRET_KEY", "")
    database_url = env.get("DATABASE_URL", "")
    if not development:
        missing = [n for n, v in (("SECRET_KEY", secret), ("DATABASE_URL", database_url)) if not v]
        if missing:
            raise ConfigError(
                "Refusing to start: set " + " and ".join(missing) + " (or PORTAL_ENV=development)"
            )
        if len(secret) < 32:
            raise ConfigError("Refusing to start: SECRET_KEY must be at least 32 characters")
    if not secret:
        secret = "development-only-secret-key-do-not-use-in-production"  # noqa: S105
    if not database_url:
        database_url = f"sqlite:///{ROOT / 'instance' / 'portal.sqlite3'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://") :]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]

    return {
        "PORTAL_ENV": portal_env,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        # A server can drop idle connections; a SQLite file cannot, so no ping there
        # (it cost a query on every request).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": not database_url.startswith("sqlite")},
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "SERVICE_NAME": env.get("SERVICE_NAME", "Dynamic Support Register"),
        "ORGANISATION_NAME": env.get("ORGANISATION_NAME", "Example Integrated Care Board"),
        "CONTACT_EMAIL": env.get("CONTACT_EMAIL", "dsr@example.nhs.uk"),
        "CONTACT_PHONE": env.get("CONTACT_PHONE", "0300 000 0000"),
        "CONTACT_HOURS": env.get("CONTACT_HOURS", "Monday to Friday, 9am to 5pm"),
        # Where staff notices go when a request has no assigned officer or keyworker email.
        "TEAM_EMAIL": env.get("TEAM_EMAIL") or env.get("CONTACT_EMAIL", "dsr@example.nhs.uk"),
        # Local crisis line, shown with NHS 111 option 2 and 999 on the crisis page.
        "CRISIS_LINE_NAME": env.get("CRISIS_LINE_NAME", "Children's crisis line"),
        "CRISIS_LINE_PHONE": env.get("CRISIS_LINE_PHONE", "0800 000 0000"),
        "CRISIS_LINE_HOURS": env.get("CRISIS_LINE_HOURS", "24 hours a day, 7 days a week"),
        "BASE_URL": env.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "LANGUAGES": [code.strip() for code in env.get("LANGUAGES", "en").split(",") if code],
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": env.get("TIMEZONE", "Europe/London"),
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "translations"),
        # Drafts and links.
        "DRAFT_TTL_DAYS": _int(env, "DRAFT_TTL_DAYS", 30),
        "RETURN_LINK_TTL_HOURS": _int(env, "RETURN_LINK_TTL_HOURS", 72),
        "RETURN_LINKS_PER_HOUR": _int(env, "RETURN_LINKS_PER_HOUR", 5),
        # Consent: links to give it (parent, young person) and to withdraw it.
        "CONSENT_LINK_TTL_DAYS": _int(env, "CONSENT_LINK_TTL_DAYS", 14),
        "WITHDRAW_LINK_TTL_DAYS": _int(env, "WITHDRAW_LINK_TTL_DAYS", 400),
        "YOUNG_PERSON_LINKS_PER_HOUR": _int(env, "YOUNG_PERSON_LINKS_PER_HOUR", 5),
        # Family sign-in by emailed link.
        "FAMILY_LINK_TTL_MINUTES": _int(env, "FAMILY_LINK_TTL_MINUTES", 15),
        "FAMILY_LINKS_PER_HOUR": _int(env, "FAMILY_LINKS_PER_HOUR", 5),
        # Staff sign-in.
        "STAFF_IDLE_MINUTES": _int(env, "STAFF_IDLE_MINUTES", 30),
        "STAFF_MAX_HOURS": _int(env, "STAFF_MAX_HOURS", 12),
        "STAFF_LOCKOUT_FAILURES": _int(env, "STAFF_LOCKOUT_FAILURES", 5),
        "STAFF_LOCKOUT_MINUTES": _int(env, "STAFF_LOCKOUT_MINUTES", 15),
        # Triage targets and review intervals (days) by rating.
        "REVIEW_DAYS": {"blue": _int(env, "REVIEW_DAYS_BLUE", 28),
                        "red": _int(env, "REVIEW_DAYS_RED", 14),
                        "amber": _int(env, "REVIEW_DAYS_AMBER", 28),
                        "green": _int(env, "REVIEW_DAYS_GREEN", 91)},
        "CETR_MONTHS_BLUE": _int(env, "CETR_MONTHS_BLUE", 3),
        # A local rule: after leaving hospital a child stays Red for at least this long.
        "RED_AFTER_DISCHARGE_DAYS": _int(env, "RED_AFTER_DISCHARGE_DAYS", 14),
        "QUEUE_PAGE_SIZE": _int(env, "QUEUE_PAGE_SIZE", 25),
        # Bank holidays (not working days), as YYYY-MM-DD separated by commas.
        "BANK_HOLIDAYS": _dates(env, "BANK_HOLIDAYS"),
        # Records: kept this long after support ends, then archived, then removed.
        "RETENTION_ACTIVE_MONTHS": _int(env, "RETENTION_ACTIVE_MONTHS", 6),
        "RETENTION_ARCHIVE_YEARS": _int(env, "RETENTION_ARCHIVE_YEARS", 6),
        # Targets the family is told about.
        "DECISION_TARGET_WEEKS": _int(env, "DECISION_TARGET_WEEKS", 4),
        # Email: "console" prints messages (development); "smtp" sends them.
        "MAIL_BACKEND": env.get("MAIL_BACKEND", "console" if development else "smtp"),
        "MAIL_SERVER": env.get("MAIL_SERVER", "127.0.0.1"),
        "MAIL_PORT": _int(env, "MAIL_PORT", 25),
        "MAIL_USE_TLS": _bool(env, "MAIL_USE_TLS", False),
        "MAIL_USERNAME": env.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD", ""),
        "MAIL_FROM": env.get("MAIL_FROM", "dsr-noreply@example.nhs.uk"),
        "MAIL_MAX_ATTEMPTS": _int(env, "MAIL_MAX_ATTEMPTS", 5),
        # Refuse any database write outside the application layer (portal.cases): a stray
        # write fails loudly instead of being committed with the page. One check per
        # statement; it can be turned off, but should not be.
        "WRITE_GUARD": _bool(env, "WRITE_GUARD", True),
        # Web.
        "MAX_CONTENT_LENGTH": _int(env, "MAX_CONTENT_LENGTH", 2 * 1024 * 1024),
        "MAX_FORM_MEMORY_SIZE": _int(env, "MAX_CONTENT_LENGTH", 2 * 1024 * 1024),
        "SESSION_COOKIE_NAME": "dsr_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env, "SESSION_COOKIE_SECURE", not development),
        "PERMANENT_SESSION_LIFETIME": _int(env, "DRAFT_TTL_DAYS", 30) * 24 * 3600,
        # The cookie is renewed when answers are saved (as the draft is), not on every
        # page view: re-signing it on each GET was a third of a question page's time.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "WTF_CSRF_TIME_LIMIT": None,  # the session cookie's own lifetime bounds it
        "WTF_CSRF_SSL_STRICT": not development,
        "TEMPLATES_AUTO_RELOAD": _bool(env, "TEMPLATES_AUTO_RELOAD", False),
        "SEND_FILE_MAX_AGE_DEFAULT": 3600,
        "ASSETS_DIR": str(ROOT / "static" / "build"),
    }
