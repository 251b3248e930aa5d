"""Limits per client (by address), kept where every worker and server sees them.

Flask-Limiter counts in RATELIMIT_STORAGE_URI: a SQLite file every worker on the machine
shares (portal.common.limit_store), or Redis across servers. The client is
`request.remote_addr`, which is the client's own address once ProxyFix has read the
trusted proxies' X-Forwarded-For (TRUSTED_PROXIES).

Which pages have which limits is one table here (LIMITED), applied to the views when
the app is built, so every limit can be read in one place:
- writes: every form that creates rows or sends email (starting a request, save and
  return, sending it, consent, young person's links, family messages, family sign-in);
- look-ups: every page found by a reference or an emailed link, counted on each visit;
- guesses: the same pages and a family's own request pages, counting only "not found"
  and "link no longer works" answers, so guessing is stopped long before normal use is;
- family sign-in, and staff sign-in (counting refused tries only).
Past a limit the person sees the 429 page: what happened, and when to try again (also
in a Retry-After header).

Staff sign-in is also limited by account (portal/staff/sign_in.py): failures from one
address for one account lock that address out of that account for a while; failures
for an account from everywhere only slow it down (one try a minute from each address),
so nobody else can lock a member of staff out.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, Response, current_app, render_template, request
from flask_limiter import Limiter, RateLimitExceeded
from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from portal.common import limit_store  # noqa: F401  (registers the sqlite:// storage)
from portal.common.logs import RATE_LIMITED, security_event
from portal.config import ConfigError

POST = ("POST",)
EVERY = ("GET", "HEAD", "POST")
NOT_FOUND = (404, 410)


@dataclass(frozen=True)
class Rule:
    setting: str  # the setting holding the limit, as "20 per hour;50 per day"
    scope: str  # one count shared by every page under the rule
    methods: tuple[str, ...]
    # When given, only answers with these statuses count (the rest are free).
    counted: tuple[int, ...] | None = None


WRITES = Rule("RATELIMIT_WRITES", "writes", POST)
LOOKUPS = Rule("RATELIMIT_LOOKUPS", "lookups", EVERY)
GUESSES = Rule("RATELIMIT_GUESSES", "guesses", EVERY, counted=NOT_FOUND)
FAMILY_SIGN_IN = Rule("RATELIMIT_FAMILY_SIGN_IN", "family-sign-in", POST)
# A refused staff sign-in shows the form again (200); one that worked moves on (302).
STAFF_SIGN_IN = Rule("RATELIMIT_STAFF_SIGN_IN", "staff-sign-in", POST, counted=(200,))

_REFERENCE_PAGES = (
    "public.consent_start", "public.consent_agree", "public.consent_someone_else",
    "public.consent_record", "public.consent_record_pdf", "public.consent_signed",
    "public.request_sent", "public.young_person_ask", "public.young_person_ask_email",
    "public.young_person_code", "public.young_person_self", "public.young_person_done",
    "public.withdraw_start",
)
_LINK_PAGES = (
    "public.consent_link", "public.request_return", "public.withdraw_link",
    "public.young_person_link", "family.sign_in_link",
)
_FAMILY_REQUEST_PAGES = (
    "family.request_view", "family.changed", "family.ask", "family.reply",
    "family.withdraw", "family.data_page", "family.data_json", "family.evidence",
)
_WRITING_PAGES = (
    "public.request_begin", "public.request_save", "public.request_check",
    "public.request_add_email", "public.consent_start", "public.consent_agree",
    "public.consent_someone_else", "public.young_person_ask",
    "public.young_person_ask_email", "public.young_person_answer",
    "public.young_person_done", "public.withdraw_start", "public.withdraw_confirm",
    "family.sign_in", "family.reply", "family.changed", "family.ask", "family.withdraw",
)

# endpoint -> its limits.
LIMITED: dict[str, tuple[Rule, ...]] = {}
for _endpoint in (*_REFERENCE_PAGES, *_LINK_PAGES):
    LIMITED[_endpoint] = (LOOKUPS, GUESSES)
for _endpoint in _FAMILY_REQUEST_PAGES:
    LIMITED[_endpoint] = (GUESSES,)
for _endpoint in _WRITING_PAGES:
    LIMITED[_endpoint] = (*LIMITED.get(_endpoint, ()), WRITES)
LIMITED["family.sign_in"] = (*LIMITED["family.sign_in"], FAMILY_SIGN_IN)
for _endpoint in ("staff.sign_in", "staff.code", "staff.enrol"):
    LIMITED[_endpoint] = (STAFF_SIGN_IN,)

EXTENSION = "portal.limits"


def client_address() -> str:
    """Who is asking: the client's address (after ProxyFix), never empty."""
    return request.remote_addr or "unknown"


def _counted(statuses: tuple[int, ...]) -> Callable[[Response], bool]:
    return lambda response: response.status_code in statuses


def init_app(app: Flask) -> None:
    """Limit the views in LIMITED (call after the blueprints are registered)."""

    for rule in (WRITES, LOOKUPS, GUESSES, FAMILY_SIGN_IN, STAFF_SIGN_IN):
        try:
            parse_many(str(app.config[rule.setting]))
        except ValueError as exc:
            raise ConfigError(f"{rule.setting} must be limits like \"20 per hour;50 per day\", "
                              f"not {app.config[rule.setting]!r}") from exc
    limiter = Limiter(
        key_func=client_address,
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        key_prefix=app.config["RATELIMIT_KEY_PREFIX"],
        strategy="fixed-window",
        # A limits store that cannot be reached is written to the log; it does not take
        # the service down (staff accounts keep their lockout in the database).
        swallow_errors=True,
        headers_enabled=False,
    )
    limiter.init_app(app)
    # The store staff sign-in counts failures per address in (even when page limits are
    # off): the same store, so the counts hold across workers and servers.
    store = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
    app.extensions[EXTENSION] = (limiter, store, FixedWindowRateLimiter(store))

    for endpoint, rules in LIMITED.items():
        view = app.view_functions.get(endpoint)
        if view is None:
            raise RuntimeError(f"rate limits name a page that does not exist: {endpoint}")
        for rule in rules:
            view = limiter.shared_limit(
                str(app.config[rule.setting]), scope=rule.scope, methods=list(rule.methods),
                deduct_when=_counted(rule.counted) if rule.counted else None)(view)
        app.view_functions[endpoint] = view

    @app.errorhandler(RateLimitExceeded)
    def _too_many(_error: RateLimitExceeded) -> Response:
        seconds = _seconds_left(limiter)
        # A security event (the log, and the audit log with the client's address).
        rule = request.url_rule.rule if request.url_rule is not None else None
        security_event(RATE_LIMITED, subject=rule,
                       detail={"method": request.method, "limit": _scope(limiter)})
        response = Response(render_template(
            "errors/429.html", minutes=max(1, math.ceil(seconds / 60))), 429)
        response.headers["Retry-After"] = str(seconds)
        response.headers["Cache-Control"] = "no-store"
        return response


def _scope(limiter: Limiter) -> str:
    """Which limit was reached ("writes", "guesses"...): its key ends with the scope, then
    the limit's amount, multiples and unit."""
    current = limiter.current_limit
    parts = str(current.key).split("/") if current is not None else []
    return parts[-4] if len(parts) >= 4 else "?"


def _seconds_left(limiter: Limiter) -> int:
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))


# Staff sign-in by account and address ---------------------------------------------------

def _parts() -> tuple[Storage, FixedWindowRateLimiter]:
    _limiter, store, strategy = current_app.extensions[EXTENSION]
    return store, strategy


def _pair(email: str, address: str) -> str:
    """One account typed from one address, as a key that names neither."""
    typed = f"{email.strip().lower()}\n{address}".encode()
    return hashlib.sha256(typed).hexdigest()


def _lockout_window() -> RateLimitItem:
    config = current_app.config
    return RateLimitItemPerMinute(int(config["STAFF_LOCKOUT_FAILURES"]),
                                  max(1, int(config["STAFF_LOCKOUT_MINUTES"])))


def staff_failure(email: str, address: str) -> None:
    """A refused staff sign-in or code, for this account from this address."""
    _store, strategy = _parts()
    strategy.hit(_lockout_window(), current_app.config["RATELIMIT_KEY_PREFIX"],
                 "staff-failures", _pair(email, address))


def staff_failures_here(email: str, address: str) -> int:
    """Refused tries for this account from this address in the current lockout window."""
    _store, strategy = _parts()
    stats = strategy.get_window_stats(
        _lockout_window(), current_app.config["RATELIMIT_KEY_PREFIX"],
        "staff-failures", _pair(email, address))
    return int(current_app.config["STAFF_LOCKOUT_FAILURES"]) - stats.remaining


def staff_slowed_try(email: str, address: str, stage: str) -> bool:
    """When an account is being tried from many places: whether this address may have its
    one try (each address gets one every STAFF_SLOWED_SECONDS for each stage)."""
    _store, strategy = _parts()
    seconds = max(1, int(current_app.config["STAFF_SLOWED_SECONDS"]))
    return strategy.hit(RateLimitItemPerSecond(1, seconds),
                        current_app.config["RATELIMIT_KEY_PREFIX"], "staff-slowed", stage,
                        _pair(email, address))
