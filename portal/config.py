"""Settings, read from the environment only.

In development (PORTAL_ENV=development, the default for `make run`) safe local defaults
apply. Anywhere else the app refuses to start until every setting a family or a sender
relies on is real: a secret key, a database, the organisation's name, phone numbers and
email addresses (not the examples shipped for trying it out), an https address, and what
the chosen mail service needs. One error lists everything that is missing.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from datetime import date
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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


MAIL_RETRY_DEFAULT = "60,300,900,3600,10800,21600"


def _waits(env: dict[str, str], name: str, default: str) -> list[int]:
    """Whole seconds separated by commas, each more than 0 ("60,300,900")."""
    raw = env.get(name) or default
    try:
        waits = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError as exc:
        raise ConfigError(f"{name} must be whole seconds separated by commas") from exc
    if not waits or min(waits) < 1:
        raise ConfigError(f"{name} must be whole seconds separated by commas, each 1 or more")
    return waits


def _limits_storage(env: dict[str, str], portal_env: str, database_url: str) -> str:
    """RATELIMIT_STORAGE_URI, or by default: memory (tests only), else a SQLite file next to
    a SQLite database, else instance/limits.sqlite3 (one machine, no other service)."""
    chosen = env.get("RATELIMIT_STORAGE_URI", "").strip()
    if chosen:
        return chosen
    if portal_env == "test":
        return "memory://"
    folder = ROOT / "instance"
    if database_url.startswith("sqlite:///") and ":memory:" not in database_url:
        folder = Path(database_url[len("sqlite:///"):]).resolve().parent
    return f"sqlite:///{folder / 'limits.sqlite3'}"


MAIL_BACKENDS = ("console", "smtp", "notify")
PORTAL_ENVS = ("production", "development", "test")
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# A Notify API key is its name, the service id and the secret, joined by hyphens.
NOTIFY_API_KEY_FORM = re.compile(rf"(?:.*-)?({_UUID})-({_UUID})", re.IGNORECASE)
UUID_FORM = re.compile(_UUID, re.IGNORECASE)
_PHONE_CHARACTERS = re.compile(r"[0-9 +()\-]+")
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}  # noqa: S104 (a name, not a bind)  # nosec B104
_EXAMPLE_TLDS = {"example", "invalid", "test", "localhost", "local"}


def _example_domain(host: str) -> bool:
    labels = host.lower().rstrip(".").split(".")
    return "example" in labels or labels[-1] in _EXAMPLE_TLDS


def _phone_problem(value: str) -> str | None:
    digits = re.sub(r"\D", "", value)
    if not _PHONE_CHARACTERS.fullmatch(value) or len(digits) < 3:
        return "not a phone number: use digits, spaces, +, - and brackets"
    if len(digits) >= 10 and set(digits[-7:]) == {"0"}:
        return f"{value} is a placeholder, not a real number"
    return None


def _email_problem(value: str) -> str | None:
    address = parseaddr(value)[1]
    local, _, domain = address.rpartition("@")
    if not local or "." not in domain:
        return f"{value!r} is not an email address"
    if _example_domain(domain):
        return f"{address} is an example address"
    return None


def _https_problem(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        return f"{value!r} must be an https:// address"
    if parts.hostname in _LOCAL_HOSTS or _example_domain(parts.hostname):
        return f"{value} is a local or example address"
    return None


def _fernet_keys(env: dict[str, str], development: bool) -> list[str]:
    """TOTP_ENCRYPTION_KEYS: Fernet keys separated by commas (the first encrypts, all
    decrypt). Unset in development and tests: one fixed key for trying it out, the same
    in every process (never secret: production refuses to start without its own)."""
    raw = env.get("TOTP_ENCRYPTION_KEYS", "")
    keys = [part.strip() for part in raw.split(",") if part.strip()]
    if not keys:
        if not development:
            return []  # refused with the other production settings
        derived = hashlib.sha256(b"dsr-totp-key:development-only").digest()
        return [base64.urlsafe_b64encode(derived).decode()]
    for number, key in enumerate(keys, start=1):
        try:
            if len(base64.urlsafe_b64decode(key.encode())) != 32:
                raise ValueError
        except ValueError as exc:
            raise ConfigError(
                f"TOTP_ENCRYPTION_KEYS: key {number} is not a Fernet key (make one with "
                "python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')") from exc
    return keys


def _production_problems(env: dict[str, str], config: dict[str, Any]) -> list[str]:
    """Each setting production cannot run with as it is: "NAME: what it is for (why)"."""
    problems: list[str] = []

    def check(name: str, purpose: str, problem: str | None) -> None:
        if problem:
            problems.append(f"{name}: {purpose} ({problem})")

    def unset(name: str) -> str | None:
        if env.get(name, "").strip():
            return None
        default = config.get(name)
        return f"not set: {default!r} would be used" if default else "not set"

    secret = env.get("SECRET_KEY", "")
    check("SECRET_KEY", "signs sessions and emailed links",
          "not set" if not secret else "too short: at least 32 random characters"
          if len(secret) < 32 else None)
    check("DATABASE_URL", "where the register is kept", unset("DATABASE_URL"))
    check("TOTP_ENCRYPTION_KEYS", "encrypts staff two-factor secrets in the database",
          None if config["TOTP_ENCRYPTION_KEYS"] else "not set")
    check("ORGANISATION_NAME", "who runs the service, named on every page",
          unset("ORGANISATION_NAME") or (
              f"{config['ORGANISATION_NAME']!r} is an example name"
              if re.search(r"\bexample\b", config["ORGANISATION_NAME"], re.IGNORECASE)
              else None))
    check("CRISIS_LINE_PHONE", "the local crisis line, on the crisis page and danger warnings",
          unset("CRISIS_LINE_PHONE") or _phone_problem(config["CRISIS_LINE_PHONE"]))
    # The crisis page tells a family in crisis when the line answers: never a guess.
    check("CRISIS_LINE_HOURS", "when the crisis line answers, on the crisis page",
          unset("CRISIS_LINE_HOURS"))
    check("CONTACT_PHONE", "the register team's number, on the contact page",
          unset("CONTACT_PHONE") or _phone_problem(config["CONTACT_PHONE"]))
    check("CONTACT_EMAIL", "the register team's address, on the contact page",
          unset("CONTACT_EMAIL") or _email_problem(config["CONTACT_EMAIL"]))
    if env.get("TEAM_EMAIL"):
        check("TEAM_EMAIL", "where staff notices go", _email_problem(config["TEAM_EMAIL"]))
    if env.get("TRIAGE_TEAM_EMAIL"):
        check("TRIAGE_TEAM_EMAIL", "where urgent alerts go",
              _email_problem(config["TRIAGE_TEAM_EMAIL"]))
    check("BASE_URL", "the service's public https address, used in emailed links",
          unset("BASE_URL") or _https_problem(config["BASE_URL"]))

    backend = config["MAIL_BACKEND"]
    if backend == "console":
        check("MAIL_BACKEND", "how email is sent",
              "console prints every email, links included, to the log: use smtp or notify")
    elif backend == "smtp":
        check("MAIL_SERVER", "the SMTP server that sends email", unset("MAIL_SERVER"))
        check("MAIL_FROM", "the address email comes from",
              unset("MAIL_FROM") or _email_problem(config["MAIL_FROM"]))
    elif backend == "notify":
        key = config["NOTIFY_API_KEY"]
        check("NOTIFY_API_KEY", "the GOV.UK Notify API key email is sent with",
              "not set" if not key else None if NOTIFY_API_KEY_FORM.fullmatch(key)
              else "not a Notify API key: copy the whole key Notify shows")
        template = config["NOTIFY_TEMPLATE_ID"]
        check("NOTIFY_TEMPLATE_ID", "the Notify email template: subject ((subject)), "
              "message ((body))", "not set" if not template else None
              if UUID_FORM.fullmatch(template) else "not a Notify template ID")
        reply_to = config["NOTIFY_REPLY_TO_ID"]
        if reply_to and not UUID_FORM.fullmatch(reply_to):
            check("NOTIFY_REPLY_TO_ID", "the Notify reply-to address's ID",
                  "not a Notify reply-to address ID")
        check("NOTIFY_BASE_URL", "the GOV.UK Notify API",
              _https_problem(config["NOTIFY_BASE_URL"]))
    return problems


def load(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Return Flask config values built from the environment."""
    env = dict(os.environ if environ is None else environ)
    portal_env = env.get("PORTAL_ENV", "production").strip().lower()
    if portal_env not in PORTAL_ENVS:
        # A misspelling ("prod") must not quietly run without production's checks.
        raise ConfigError(f"PORTAL_ENV must be one of {', '.join(PORTAL_ENVS)}, "
                          f"not {portal_env!r}")
    development = portal_env in {"development", "test"}

    secret = env.get("SECRET_KEY", "")
    database_url = env.get("DATABASE_URL", "")
    mail_backend = (env.get("MAIL_BACKEND", "").strip().lower()
                    or ("console" if development else "smtp"))
    if mail_backend not in MAIL_BACKENDS:
        raise ConfigError(f"MAIL_BACKEND must be one of {', '.join(MAIL_BACKENDS)}, "
                          f"not {mail_backend!r}")
    if not secret:
        secret = "development-only-secret-key-do-not-use-in-production"  # noqa: S105
    if not database_url:
        database_url = f"sqlite:///{ROOT / 'instance' / 'portal.sqlite3'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://") :]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]

    config: dict[str, Any] = {
        "PORTAL_ENV": portal_env,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        # A server can drop idle connections; a SQLite file cannot, so no ping there
        # (it cost a query on every request). A database error never carries the values
        # sent with its statement (a family's answers): hide_parameters.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": not database_url.startswith("sqlite"),
                                      "hide_parameters": True},
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "SERVICE_NAME": env.get("SERVICE_NAME", "Dynamic Support Register"),
        "ORGANISATION_NAME": env.get("ORGANISATION_NAME", "Example Integrated Care Board"),
        "CONTACT_EMAIL": env.get("CONTACT_EMAIL", "dsr@example.nhs.uk"),
        "CONTACT_PHONE": env.get("CONTACT_PHONE", "0300 000 0000"),
        "CONTACT_HOURS": env.get("CONTACT_HOURS", "Monday to Friday, 9am to 5pm"),
        # Where staff notices go when a request has no assigned officer or keyworker email.
        "TEAM_EMAIL": env.get("TEAM_EMAIL") or env.get("CONTACT_EMAIL", "dsr@example.nhs.uk"),
        # The triage team's inbox for urgent alerts (urgent requests, reported admissions),
        # as well as staff on duty; empty: only those on duty hear.
        "TRIAGE_TEAM_EMAIL": env.get("TRIAGE_TEAM_EMAIL", "").strip(),
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
        # Staff sign-in. A new member of staff chooses their password through an emailed
        # set-up link that works once, for this many hours.
        "STAFF_SET_UP_LINK_HOURS": _int(env, "STAFF_SET_UP_LINK_HOURS", 72),
        # Fernet keys for staff two-factor secrets, separated by commas: the first
        # encrypts, all decrypt (to change the key: add the new one first, run
        # `flask rotate-totp-key`, then remove the old). Required in production.
        "TOTP_ENCRYPTION_KEYS": _fernet_keys(env, development),
        "STAFF_IDLE_MINUTES": _int(env, "STAFF_IDLE_MINUTES", 30),
        "STAFF_MAX_HOURS": _int(env, "STAFF_MAX_HOURS", 12),
        "STAFF_LOCKOUT_FAILURES": _int(env, "STAFF_LOCKOUT_FAILURES", 5),
        "STAFF_LOCKOUT_MINUTES": _int(env, "STAFF_LOCKOUT_MINUTES", 15),
        # The lockout above is for one account tried from one address. Tried from many
        # addresses this many times within STAFF_LOCKOUT_MINUTES, an account is slowed,
        # never locked: each address gets one try every STAFF_SLOWED_SECONDS.
        "STAFF_ACCOUNT_FAILURES": _int(env, "STAFF_ACCOUNT_FAILURES", 20),
        "STAFF_SLOWED_SECONDS": _int(env, "STAFF_SLOWED_SECONDS", 60),
        # Limits per client address (portal/common/limits.py), each as Flask-Limiter
        # writes them ("20 per hour;50 per day"). Counted in RATELIMIT_STORAGE_URI, which
        # every worker must share: sqlite:////path/limits.sqlite3 on one machine (the
        # default: next to a SQLite database, else instance/limits.sqlite3), or
        # redis://host:6379/1 across servers. Keys start with RATELIMIT_KEY_PREFIX (sites
        # sharing one Redis use distinct ones). RATELIMIT_ENABLED=0 turns the page limits
        # off (they are off by default only when PORTAL_ENV=test).
        "RATELIMIT_ENABLED": _bool(env, "RATELIMIT_ENABLED", portal_env != "test"),
        "RATELIMIT_STORAGE_URI": _limits_storage(env, portal_env, database_url),
        "RATELIMIT_KEY_PREFIX": env.get("RATELIMIT_KEY_PREFIX", "").strip() or "dsr-portal",
        # Forms that create rows or send email (starting, saving and sending a request,
        # consent, young person's links, family messages, family sign-in), together.
        "RATELIMIT_WRITES": env.get("RATELIMIT_WRITES", "").strip() or "20 per hour;50 per day",
        # Pages found by a reference or an emailed link: every visit...
        "RATELIMIT_LOOKUPS": env.get("RATELIMIT_LOOKUPS", "").strip() or "100 per hour",
        # ...and answers "not found" or "this link no longer works" (guessing).
        "RATELIMIT_GUESSES": env.get("RATELIMIT_GUESSES", "").strip() or "10 per hour",
        "RATELIMIT_FAMILY_SIGN_IN": env.get("RATELIMIT_FAMILY_SIGN_IN", "").strip()
        or "10 per hour",
        # Refused staff sign-ins and codes from one address, whichever accounts.
        "RATELIMIT_STAFF_SIGN_IN": env.get("RATELIMIT_STAFF_SIGN_IN", "").strip()
        or "20 per hour",
        # Triage targets and review intervals (days) by rating.
        "REVIEW_DAYS": {"blue": _int(env, "REVIEW_DAYS_BLUE", 28),
                        "red": _int(env, "REVIEW_DAYS_RED", 14),
                        "amber": _int(env, "REVIEW_DAYS_AMBER", 28),
                        "green": _int(env, "REVIEW_DAYS_GREEN", 91)},
        "CETR_MONTHS_BLUE": _int(env, "CETR_MONTHS_BLUE", 3),
        # A C(E)TR after an admission is due within this many days; its papers reach the
        # panel at least this many hours before it.
        "CETR_POST_ADMISSION_DAYS": _int(env, "CETR_POST_ADMISSION_DAYS", 14),
        "CETR_PAPERS_HOURS": _int(env, "CETR_PAPERS_HOURS", 24),
        # The local authorities a register entry can belong to, for the monthly return's
        # breakdown (names separated by semicolons: a name may hold a comma).
        "LOCAL_AUTHORITIES": [name.strip() for name in
                              env.get("LOCAL_AUTHORITIES", "").split(";") if name.strip()],
        # A local rule: after leaving hospital a child stays Red for at least this long.
        "RED_AFTER_DISCHARGE_DAYS": _int(env, "RED_AFTER_DISCHARGE_DAYS", 14),
        "QUEUE_PAGE_SIZE": _int(env, "QUEUE_PAGE_SIZE", 25),
        # Bank holidays (not working days), as YYYY-MM-DD separated by commas.
        "BANK_HOLIDAYS": _dates(env, "BANK_HOLIDAYS"),
        # Records: kept this long after support ends, then archived, then removed.
        "RETENTION_ACTIVE_MONTHS": _int(env, "RETENTION_ACTIVE_MONTHS", 6),
        "RETENTION_ARCHIVE_YEARS": _int(env, "RETENTION_ARCHIVE_YEARS", 6),
        # A sent email's stored body (its links too) is cleared this many days after
        # sending, and its address kept only as a fingerprint; the row stays as the record.
        "RETENTION_EMAIL_BODY_DAYS": _int(env, "RETENTION_EMAIL_BODY_DAYS", 7),
        # Staff sign-in attempts (kept for the lockout) are deleted after this many days.
        "RETENTION_SIGN_IN_DAYS": _int(env, "RETENTION_SIGN_IN_DAYS", 90),
        # Targets the family is told about.
        "DECISION_TARGET_WEEKS": _int(env, "DECISION_TARGET_WEEKS", 4),
        # Email: "console" prints messages (development); "smtp" sends them through
        # MAIL_SERVER; "notify" sends them through GOV.UK Notify (below).
        "MAIL_BACKEND": mail_backend,
        "MAIL_SERVER": env.get("MAIL_SERVER", "127.0.0.1"),
        "MAIL_PORT": _int(env, "MAIL_PORT", 25),
        # MAIL_USE_TLS: upgrade the connection with STARTTLS (port 587); MAIL_USE_SSL: TLS
        # from the first byte (port 465). Either way the server's certificate is checked
        # against the system's certificate authorities, or those in MAIL_CA_FILE (a PEM
        # file) when set; a certificate that does not check out is never sent through.
        "MAIL_USE_TLS": _bool(env, "MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _bool(env, "MAIL_USE_SSL", False),
        "MAIL_CA_FILE": env.get("MAIL_CA_FILE", "").strip(),
        "MAIL_USERNAME": env.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD", ""),
        "MAIL_FROM": env.get("MAIL_FROM", "dsr-noreply@example.nhs.uk"),
        # A failed email is tried again after each of these waits in turn (seconds; the
        # last repeats), and given up after MAIL_MAX_ATTEMPTS tries in all (by default the
        # first try and one after each wait: about 10 hours). Staff see given-up emails
        # and can send them again.
        "MAIL_RETRY_SECONDS": _waits(env, "MAIL_RETRY_SECONDS", MAIL_RETRY_DEFAULT),
        "MAIL_MAX_ATTEMPTS": _int(env, "MAIL_MAX_ATTEMPTS",
                                  len(_waits(env, "MAIL_RETRY_SECONDS", MAIL_RETRY_DEFAULT)) + 1),
        # A sender holds the email it is sending for this long; if it dies, another sender
        # takes the email after that. Keep it well above the mail server's 30-second timeout.
        "MAIL_CLAIM_SECONDS": _int(env, "MAIL_CLAIM_SECONDS", 300),
        # Background jobs (flask worker): where the job queue is kept. "sqlite": a file on
        # this machine, no other service (JOBS_SQLITE_PATH; empty: jobs.sqlite3 next to a
        # SQLite database, else instance/jobs.sqlite3). "redis": a Redis server shared by
        # several servers (JOBS_REDIS_URL). Sites sharing one store use distinct JOBS_NAMEs.
        "JOBS_BACKEND": env.get("JOBS_BACKEND", "sqlite").strip().lower(),
        "JOBS_SQLITE_PATH": env.get("JOBS_SQLITE_PATH", "").strip(),
        "JOBS_REDIS_URL": env.get("JOBS_REDIS_URL", "redis://127.0.0.1:6379/0").strip(),
        "JOBS_NAME": env.get("JOBS_NAME", "dsr-portal").strip() or "dsr-portal",
        # The daily jobs (purge, consent reminders, retention) run once a day, at the first
        # minute a worker is running from this hour (0-23, in TIMEZONE).
        "JOBS_DAILY_HOUR": _int(env, "JOBS_DAILY_HOUR", 2),
        # GOV.UK Notify (MAIL_BACKEND=notify): the API key, and one email template whose
        # subject is ((subject)) and whose message is ((body)); each email fills both.
        # Notify sends from the service's own address: MAIL_FROM is not used. Replies go
        # to the reply-to address with NOTIFY_REPLY_TO_ID, or Notify's default one.
        "NOTIFY_API_KEY": env.get("NOTIFY_API_KEY", "").strip(),
        "NOTIFY_TEMPLATE_ID": env.get("NOTIFY_TEMPLATE_ID", "").strip(),
        "NOTIFY_REPLY_TO_ID": env.get("NOTIFY_REPLY_TO_ID", "").strip(),
        "NOTIFY_BASE_URL": env.get("NOTIFY_BASE_URL",
                                   "https://api.notifications.service.gov.uk").rstrip("/"),
        # Refuse any database write outside the application layer (portal.cases): a stray
        # write fails loudly instead of being committed with the page. One check per
        # statement; it can be turned off, but should not be.
        "WRITE_GUARD": _bool(env, "WRITE_GUARD", True),
        # When the database is away or busy (portal/common/errors.py). SQLite: how long a
        # write waits for another's lock. PostgreSQL: how long a statement waits for a
        # lock, and a new connection for the server (seconds). Past these the person sees
        # a "try again" page (503) that keeps what they typed, and a Retry-After of
        # RETRY_AFTER_SECONDS.
        "SQLITE_BUSY_TIMEOUT_MS": _int(env, "SQLITE_BUSY_TIMEOUT_MS", 15000),
        "DATABASE_LOCK_TIMEOUT_MS": _int(env, "DATABASE_LOCK_TIMEOUT_MS", 15000),
        "DATABASE_CONNECT_TIMEOUT": _int(env, "DATABASE_CONNECT_TIMEOUT", 5),
        "RETRY_AFTER_SECONDS": _int(env, "RETRY_AFTER_SECONDS", 30),
        # Staff looking at a record is audited after the page's reads, waiting at most
        # this long for the database; if it is still busy or away, the record of the look
        # is kept in AUDIT_SPOOL_DIR (a folder on this server) and written later.
        "AUDIT_LOOK_WAIT_MS": _int(env, "AUDIT_LOOK_WAIT_MS", 2000),
        "AUDIT_SPOOL_DIR": env.get("AUDIT_SPOOL_DIR", "").strip()
        or str(ROOT / "instance" / "audit-spool"),
        # Operating it (portal/common/logs.py, portal/health). Logs: "json", one object per
        # line, or "text" for people; LOG_LEVEL as Python's logging names it.
        "LOG_FORMAT": env.get("LOG_FORMAT", "").strip().lower()
        or ("text" if development else "json"),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO").strip().upper(),
        # How many proxies (load balancers) stand in front of the app and add
        # X-Forwarded-For and X-Forwarded-Proto: 0 trusts none of those headers.
        "TRUSTED_PROXIES": _int(env, "TRUSTED_PROXIES", 0),
        # /readyz fails when an email has been due this long and is still not sent
        # (0: the email queue is not checked).
        "READY_MAX_EMAIL_AGE_MINUTES": _int(env, "READY_MAX_EMAIL_AGE_MINUTES", 15),
        # /metrics answers only with "Authorization: Bearer <this>"; unset, it is off.
        "METRICS_TOKEN": env.get("METRICS_TOKEN", "").strip(),
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
    if not development:
        problems = _production_problems(env, config)
        if problems:
            raise ConfigError(
                "Refusing to start: these settings are missing or still examples. Set them "
                "in the environment (or PORTAL_ENV=development to try the service locally):\n"
                + "\n".join("  " + problem for problem in problems))
    return config
